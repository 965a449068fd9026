// Convolution launchers on the GPU (cuda/conv2d.cu). Declarations only: no CUDA headers here.
// Layouts as the CPU kernels (ironnet/conv2d.h): x / dx (n, h, w, c_in), kernel / dkernel
// (kh, kw, c_in, c_out), y / dy / relu_y (n, ho, wo, c_out), bias / dbias (c_out,); every pointer is
// contiguous device memory on `device`, sizes in `s`. Gradients are written (=). relu_y, when not null,
// is the forward's relu output: dy counts only where relu_y > 0 (relu's backward, fused into the reads).
// Everything is queued on the device's stream; workspaces are allocated by the caller.
#pragma once
#include <cstdint>

#include "ironnet/conv2d.h"

namespace ironnet::cuda {

// y = conv(x, kernel) + bias (bias may be null), relu applied in the same pass when `relu`.
void conv2d_forward(const cpu::Conv2dShape& s, const float* x, const float* kernel, const float* bias, bool relu,
                    float* y, int device);

// dx from dy and the kernel.
void conv2d_backward_data(const cpu::Conv2dShape& s, const float* dy, const float* relu_y, const float* kernel,
                          float* dx, int device);

// How many floats of workspace conv2d_backward_weight needs for `s` (0: none, workspace may be null).
int64_t conv2d_backward_weight_workspace(const cpu::Conv2dShape& s);
// dkernel from x and dy: the sum over output pixels is split into slices reduced in a fixed order (no
// float atomics), so the result is the same on every run.
void conv2d_backward_weight(const cpu::Conv2dShape& s, const float* dy, const float* relu_y, const float* x,
                            float* dkernel, float* workspace, int device);

// How many floats of workspace conv2d_backward_bias needs for `s` (0: none, workspace may be null).
int64_t conv2d_backward_bias_workspace(const cpu::Conv2dShape& s);
// dbias = the sum of dy over output pixels (deterministic, as the weight gradient).
void conv2d_backward_bias(const cpu::Conv2dShape& s, const float* dy, const float* relu_y, float* dbias,
                          float* workspace, int device);

}  // namespace ironnet::cuda
