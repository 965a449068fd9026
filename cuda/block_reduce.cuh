// Reductions across the threads of a warp or a block with a fixed combination order, so the same
// inputs give the same bits on every run: ironnet's CUDA reductions use no float atomics.
//  - warp_all_reduce: a butterfly over the 32 lanes (offsets 16, 8, 4, 2, 1). For a commutative op
//    (op(a, b) == op(b, a) bit for bit, as + and max are) every lane ends with the same bits, and
//    lane 0's are those of the shuffle-down tree ((v0 + v16) + (v8 + v24)) + ...
//  - block_all_reduce: every warp's butterfly, then the warp totals combined in warp order
//    (((w0 + w1) + w2) + ...) by every thread.
//  - group_all_reduce<kGroup>: the one of the two that fits a kernel templated on the number of
//    threads (a warp or the whole block) that work on one row.
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

// `value` combined over the 32 lanes of the calling warp, which must all call it; every lane gets it.
template <class T, class Op>
__device__ T warp_all_reduce(T value, Op op) {
  for (int offset = 16; offset > 0; offset /= 2) value = op(value, __shfl_xor_sync(0xffffffffu, value, offset));
  return value;
}

// `value` combined over every thread of the block; every thread gets the result. blockDim.x must be
// a multiple of 32 and at most 1024, and every thread of the block must call it (it synchronizes).
// Safe to call repeatedly in one kernel: it synchronizes before reusing its shared slots.
template <class T, class Op>
__device__ T block_all_reduce(T value, Op op) {
  __shared__ T warp_totals[32];
  value = warp_all_reduce(value, op);
  __syncthreads();  // an earlier call's readers are done with warp_totals
  if (threadIdx.x % 32 == 0) warp_totals[threadIdx.x / 32] = value;
  __syncthreads();
  T total = warp_totals[0];
  for (int w = 1; w < static_cast<int>(blockDim.x / 32); ++w) total = op(total, warp_totals[w]);
  return total;
}

template <class T>
__device__ T block_sum(T value) {
  return block_all_reduce(value, SumOp{});
}

// kGroup == 32: the calling warp; kGroup > 32: the whole block, which must be exactly kGroup threads
// and call this uniformly.
template <int kGroup, class T, class Op>
__device__ T group_all_reduce(T value, Op op) {
  static_assert(kGroup % 32 == 0, "groups are whole warps");
  if constexpr (kGroup == 32)
    return warp_all_reduce(value, op);
  else
    return block_all_reduce(value, op);
}

}  // namespace ironnet::cuda
