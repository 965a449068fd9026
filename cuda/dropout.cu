// Seeded dropout on the GPU: a grid-stride loop over the elements; element i's keep/drop decision is
// the counter-based hash of (seed, i) that the CPU kernel uses, so both devices draw the same mask.
#include "common.cuh"
#include "ironnet/cuda/dropout.h"
#include "kernels/shared/dropout_mask.h"
#include "pointwise.cuh"

namespace ironnet::cuda {
namespace {

__global__ void dropout_kernel(int64_t n, const float* __restrict__ x, float* __restrict__ y, uint64_t threshold,
                               float scale, uint64_t seed) {
  for (int64_t i = first_index(); i < n; i += grid_step())
    y[i] = dropout_mask::keep(seed, static_cast<uint64_t>(i), threshold) ? x[i] * scale : 0.0f;
}

}  // namespace

void dropout(int64_t n, const float* x, float* y, float rate, uint64_t seed, int device) {
  if (n == 0) return;
  DeviceGuard guard(device);
  launch_kernel(dropout_kernel, grid_for(n, kPointwiseThreads), kPointwiseThreads, 0, stream(device), n, x, y,
      dropout_mask::threshold(rate), dropout_mask::keep_scale(rate), seed);
  check_launch("dropout on cuda");
}

}  // namespace ironnet::cuda
