// Pooling launchers on the GPU (cuda/pooling.cu). Declarations only: no CUDA headers here.
// The same windows and results as the CPU kernels (ironnet/pooling.h), on contiguous device memory:
// x / dx (batch, in_h, in_w, channels), y / dy / argmax / relu_y (batch, out_h, out_w, channels).
// Gradients are written (=). Global pooling is the window the size of the image. Queued on the
// device's stream.
#pragma once
#include <cstdint>

#include "ironnet/pooling.h"

namespace ironnet::cuda {

// y = the max over each window's real elements, argmax = its flat index ih * in_w + iw (ties: the
// first in row-major window order; a NaN wins), as cpu::max_pool2d_forward.
void max_pool2d_forward(const cpu::Pool2dGeometry& g, const float* x, float* y, int32_t* argmax, int device);
// dx = the sum of dy over the outputs whose argmax is each input element. relu_y, when not null, is
// the pooled output of a relu'd input: dy counts only where relu_y > 0 (the fused conv + relu + pool).
void max_pool2d_backward(const cpu::Pool2dGeometry& g, const float* dy, const float* relu_y, const int32_t* argmax,
                         float* dx, int device);

// y = the mean over each window's real elements (padding not counted); dx = the sum of dy / count
// over the windows holding each input element.
void avg_pool2d_forward(const cpu::Pool2dGeometry& g, const float* x, float* y, int device);
void avg_pool2d_backward(const cpu::Pool2dGeometry& g, const float* dy, float* dx, int device);

}  // namespace ironnet::cuda
