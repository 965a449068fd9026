// Activation CPU kernels, callable from any C++ code. Arguments are trusted (op entry points check):
// contiguous float32 arrays of n elements (or rows x cols for the softmax family), outputs that do
// not overlap the inputs unless noted. Activation gradients are written (=), never accumulated.
// num_threads <= 0 means the library's thread count (ironnet::get_num_threads()).
#pragma once
#include <cstdint>

namespace ironnet::cpu {

// y = max(x, 0);  dx = dy where x > 0, else 0.
void relu_forward(int64_t n, const float* x, float* y, int num_threads = 0);
void relu_backward(int64_t n, const float* x, const float* dy, float* dx, int num_threads = 0);

// y = x > 0 ? x : slope * x;  dx = x > 0 ? dy : slope * dy.
void leaky_relu_forward(int64_t n, float slope, const float* x, float* y, int num_threads = 0);
void leaky_relu_backward(int64_t n, float slope, const float* x, const float* dy, float* dx, int num_threads = 0);

// y = x > 0 ? x : alpha * expm1(x);  dx = x > 0 ? dy : alpha * exp(x) * dy (from the input x).
void elu_forward(int64_t n, float alpha, const float* x, float* y, int num_threads = 0);
void elu_backward(int64_t n, float alpha, const float* x, const float* dy, float* dx, int num_threads = 0);

// Exact: y = x * Phi(x), Phi the normal CDF (computed from erfc for x < 0: no cancellation there).
// approximate: y = x * sigmoid(2u), u = sqrt(2/pi) * (x + 0.044715 x^3), the same as
// 0.5 x (1 + tanh(u)) without its cancellation. Backward from the input x.
void gelu_forward(int64_t n, bool approximate, const float* x, float* y, int num_threads = 0);
void gelu_backward(int64_t n, bool approximate, const float* x, const float* dy, float* dx, int num_threads = 0);

// y = 1 / (1 + exp(-x)) without overflow for any finite x;  dx = dy * y * (1 - y) (from the output y).
void sigmoid_forward(int64_t n, const float* x, float* y, int num_threads = 0);
void sigmoid_backward(int64_t n, const float* y, const float* dy, float* dx, int num_threads = 0);

// y = tanh(x);  dx = dy * (1 - y^2) (from the output y).
void tanh_forward(int64_t n, const float* x, float* y, int num_threads = 0);
void tanh_backward(int64_t n, const float* y, const float* dy, float* dx, int num_threads = 0);

// Over the last axis of a (rows, cols) array, each row shifted by its max first.
// softmax: y = exp(x - max) / sum;  dx = y * (dy - sum(dy * y)) (from the output y).
void softmax_forward(int64_t rows, int64_t cols, const float* x, float* y, int num_threads = 0);
void softmax_backward(int64_t rows, int64_t cols, const float* y, const float* dy, float* dx, int num_threads = 0);
// log_softmax: y = x - max - log(sum exp(x - max));  dx = dy - exp(y) * sum(dy) (from the output y).
void log_softmax_forward(int64_t rows, int64_t cols, const float* x, float* y, int num_threads = 0);
void log_softmax_backward(int64_t rows, int64_t cols, const float* y, const float* dy, float* dx,
                          int num_threads = 0);

}  // namespace ironnet::cpu
