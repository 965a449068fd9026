// Block-wide reductions with a fixed combination order: warp shuffles (a fixed tree), then the
// warp totals by warp 0 (the same tree). For a given block size the same inputs give the same bits on
// every run, which is what makes ironnet's CUDA reductions deterministic (no float atomics).
#pragma once
#include <cuda_runtime.h>

namespace ironnet::cuda {

struct SumOp {
  template <class T>
  __device__ T operator()(T a, T b) const { return a + b; }
};
struct MaxOp {
  __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

// `value` combined over every thread of the block; the result is returned to every thread.
// blockDim.x must be a multiple of 32 and at most 1024; every thread of the block must call it.
// Safe to call repeatedly in one kernel (it synchronizes before reusing its shared slots).
template <class T, class Op>
__device__ T block_all_reduce(T value, Op op) {
  __shared__ T warp_totals[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  for (int offset = 16; offset > 0; offset >>= 1) value = op(value, __shfl_down_sync(0xffffffffu, value, offset));
  __syncthreads();  // an earlier call's readers are done with warp_totals
  if (lane == 0) warp_totals[warp] = value;
  __syncthreads();
  if (warp == 0) {
    value = warp_totals[lane < warps ? lane : 0];  // lanes past the last warp repeat warp 0 ...
    for (int offset = 16; offset > 0; offset >>= 1) {
      const T other = __shfl_down_sync(0xffffffffu, value, offset);
      if (lane + offset < warps) value = op(value, other);  // ... and are never combined in
    }
    if (lane == 0) warp_totals[0] = value;
  }
  __syncthreads();
  return warp_totals[0];
}

template <class T>
__device__ T block_sum(T value) {
  return block_all_reduce(value, SumOp{});
}

}  // namespace ironnet::cuda
