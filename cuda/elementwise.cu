// Elementwise kernels on the GPU: grid-stride loops over contiguous float32 arrays.
#include "common.cuh"
#include "ironnet/cuda_api.h"

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
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  axpy_kernel<<<static_cast<unsigned>(blocks < 65535 ? blocks : 65535), kThreads>>>(n, alpha, x, y);
  check(cudaGetLastError(), "axpy on cuda (launch)");
  check(cudaDeviceSynchronize(), "axpy on cuda");
}

}  // namespace ironnet::cuda
