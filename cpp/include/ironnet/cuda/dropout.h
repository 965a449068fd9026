// Dropout launcher on the GPU (cuda/dropout.cu). Declarations only: no CUDA headers here.
#pragma once
#include <cstdint>

namespace ironnet::cuda {

// y[i] = keep(seed, i) ? x[i] / (1 - rate) : 0 over n contiguous floats in device memory: the mask of
// cpu::dropout bit for bit (both use kernels/shared/dropout_mask.h). Backward is the same call on dy.
void dropout(int64_t n, const float* x, float* y, float rate, uint64_t seed, int device);

}  // namespace ironnet::cuda
