// Elementwise kernels on the GPU: grid-stride loops over contiguous float32 arrays.
#include "common.cuh"
#include "ironnet/cuda/elementwise.h"

namespace ironnet::cuda {
namespace {

__global__ void axpy_kernel(int64_t n, float alpha, const float* __restrict__ x, float* __restrict__ y) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    y[i] += alpha * x[i];
}

}  // namespace

void axpy(int64_t n, float alpha, const float* x, float* y, int device) {
  if (n == 0) return;
  DeviceGuard guard(device);
  constexpr int kThreads = 256;
  launch_kernel(axpy_kernel, grid_for(n, kThreads), kThreads, 0, stream(device), n, alpha, x, y);
  check_launch("axpy on cuda");
}

}  // namespace ironnet::cuda
