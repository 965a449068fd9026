// Activation launchers on the GPU (cuda/activations.cu). Declarations only: no CUDA headers here.
// The same contracts as the CPU kernels in ironnet/activations.h (contiguous float32 device arrays of
// n elements, or rows x cols for the softmax family; gradients written, not accumulated), each call
// queued on the device's stream.
#pragma once
#include <cstdint>

namespace ironnet::cuda {

void relu_forward(int64_t n, const float* x, float* y, int device);
void relu_backward(int64_t n, const float* x, const float* dy, float* dx, int device);
void leaky_relu_forward(int64_t n, float slope, const float* x, float* y, int device);
void leaky_relu_backward(int64_t n, float slope, const float* x, const float* dy, float* dx, int device);
void elu_forward(int64_t n, float alpha, const float* x, float* y, int device);
void elu_backward(int64_t n, float alpha, const float* x, const float* dy, float* dx, int device);
void gelu_forward(int64_t n, bool approximate, const float* x, float* y, int device);
void gelu_backward(int64_t n, bool approximate, const float* x, const float* dy, float* dx, int device);
// Backward from the output y.
void sigmoid_forward(int64_t n, const float* x, float* y, int device);
void sigmoid_backward(int64_t n, const float* y, const float* dy, float* dx, int device);
void tanh_forward(int64_t n, const float* x, float* y, int device);
void tanh_backward(int64_t n, const float* y, const float* dy, float* dx, int device);

// Over the last axis of a (rows, cols) array; backward from the output y.
void softmax_forward(int64_t rows, int64_t cols, const float* x, float* y, int device);
void softmax_backward(int64_t rows, int64_t cols, const float* y, const float* dy, float* dx, int device);
void log_softmax_forward(int64_t rows, int64_t cols, const float* x, float* y, int device);
void log_softmax_backward(int64_t rows, int64_t cols, const float* y, const float* dy, float* dx, int device);

}  // namespace ironnet::cuda
