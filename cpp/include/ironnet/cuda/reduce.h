// Sum-reduction launchers on the GPU (cuda/reduce.cu). Declarations only: no CUDA headers here.
#pragma once
#include <cstdint>

namespace ironnet::cuda {

// A sum's index spaces as the op entry coalesced them (the same arguments as cpu::reduce_sum): the
// kept dimensions index out row-major, the reduced ones are summed; each list has its own strides
// into x (in elements). Ranks may be 0; sizes are > 0.
struct ReduceDims {
  int kept_rank;
  const int64_t* kept_sizes;
  const int64_t* kept_strides;
  int reduced_rank;
  const int64_t* reduced_sizes;
  const int64_t* reduced_strides;
};

// Bytes of device workspace reduce_sum needs for `dims` (0 when every output is summed by one block
// or thread in one pass; otherwise the partial sums of a second pass).
int64_t reduce_sum_workspace_bytes(const ReduceDims& dims);

// out[k] = scale * sum over the reduced index r of x[k, r], accumulated in double like the CPU kernel
// and deterministic (a fixed tree and a fixed order of partial sums). x, out and workspace (at least
// reduce_sum_workspace_bytes(dims) bytes, 8-byte aligned) are device memory.
void reduce_sum(const float* x, const ReduceDims& dims, double scale, float* out, void* workspace, int device);

}  // namespace ironnet::cuda
