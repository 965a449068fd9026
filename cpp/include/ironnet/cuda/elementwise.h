// Elementwise launchers on the GPU (cuda/elementwise.cu). Declarations only: no CUDA headers here.
#pragma once
#include <cstdint>

namespace ironnet::cuda {

// y[i] += alpha * x[i] for i < n, device memory. Queued on the device's stream.
void axpy(int64_t n, float alpha, const float* x, float* y, int device);

}  // namespace ironnet::cuda
