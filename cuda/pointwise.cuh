// Pointwise kernels over contiguous float32 arrays: one templated grid-stride loop applies a functor
// to each element (map_unary: y = f(x); map_binary: y = f(a, b)), so every activation, its backward
// and the other pointwise ops share one kernel body and differ only in a small functor.
#pragma once
#include <cstdint>

#include "common.cuh"

namespace ironnet::cuda {

constexpr int kPointwiseThreads = 256;

__device__ inline int64_t first_index() { return blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; }
__device__ inline int64_t grid_step() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

template <class F>
__global__ void map_unary_kernel(int64_t n, F f, const float* __restrict__ x, float* __restrict__ y) {
  for (int64_t i = first_index(); i < n; i += grid_step()) y[i] = f(x[i]);
}

template <class F>
__global__ void map_binary_kernel(int64_t n, F f, const float* __restrict__ a, const float* __restrict__ b,
                                  float* __restrict__ y) {
  for (int64_t i = first_index(); i < n; i += grid_step()) y[i] = f(a[i], b[i]);
}

// y[i] = f(x[i]) for i < n, queued on the device's stream; `op` names the op in launch errors.
template <class F>
void map_unary(const char* op, int64_t n, F f, const float* x, float* y, int device) {
  if (n == 0) return;
  DeviceGuard guard(device);
  launch_kernel(map_unary_kernel<F>, grid_for(n, kPointwiseThreads), kPointwiseThreads, 0, stream(device), n, f, x, y);
  check_launch(op);
}

// y[i] = f(a[i], b[i]) for i < n.
template <class F>
void map_binary(const char* op, int64_t n, F f, const float* a, const float* b, float* y, int device) {
  if (n == 0) return;
  DeviceGuard guard(device);
  launch_kernel(map_binary_kernel<F>, grid_for(n, kPointwiseThreads), kPointwiseThreads, 0, stream(device), n, f, a, b,
      y);
  check_launch(op);
}

}  // namespace ironnet::cuda
