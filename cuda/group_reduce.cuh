// Reductions across the threads of a group that works on one row: a warp (32 threads) or a whole
// block. Every thread of the group gets the result, combined in a fixed order (a butterfly within
// warps, then the warps' partials in warp order), so results are deterministic run to run.
#pragma once

namespace ironnet::cuda {

struct SumOp {
  template <class T>
  __device__ T operator()(T a, T b) const { return a + b; }
};

struct MaxOp {
  __device__ float operator()(float a, float b) const { return b > a ? b : a; }
};

// kGroup == 32: the calling warp; kGroup > 32: the whole block, which must be exactly kGroup threads
// and call this uniformly (it synchronizes). `shared` holds kGroup / 32 values; it may be reused by
// the next call (the trailing barrier orders the reads before any new write).
template <int kGroup, class T, class Op>
__device__ T group_all_reduce(T value, Op op, T* shared) {
  static_assert(kGroup % 32 == 0, "groups are whole warps");
  for (int offset = 16; offset > 0; offset /= 2) value = op(value, __shfl_xor_sync(0xffffffffu, value, offset));
  if constexpr (kGroup == 32) {
    return value;
  } else {
    if (threadIdx.x % 32 == 0) shared[threadIdx.x / 32] = value;
    __syncthreads();
    T total = shared[0];
    for (int w = 1; w < kGroup / 32; ++w) total = op(total, shared[w]);
    __syncthreads();
    return total;
  }
}

}  // namespace ironnet::cuda
