// Image-op launchers on the GPU (cuda/image.cu). Declarations only: no CUDA headers here.
// The same contracts as the CPU kernels in ironnet/image.h; every pointer is device memory (the
// transforms and flags too), every call queued on the device's stream.
#pragma once
#include <cstdint>

#include "ironnet/image.h"

namespace ironnet::cuda {

void affine_warp(const cpu::WarpShape& shape, const float* x, const float* transforms, float* y,
                 cpu::Interpolation interpolation, cpu::FillMode fill_mode, float fill_value, int device);

// dx written (=). The scatter-add uses float atomics: the order in which the dy pixels sharing an
// input tap are added varies run to run, so results differ by rounding (more where many outputs read
// one pixel, e.g. an edge pixel under the "nearest" fill). Not a training hot path: augmentations
// sit before the trainable layers, whose inputs need no gradient.
void affine_warp_backward(const cpu::WarpShape& shape, const float* dy, const float* transforms, float* dx,
                          cpu::Interpolation interpolation, cpu::FillMode fill_mode, int device);

void flip(int64_t batch, int64_t height, int64_t width, int64_t channels, const float* x, const int64_t* horizontal,
          const int64_t* vertical, float* y, int device);

}  // namespace ironnet::cuda
