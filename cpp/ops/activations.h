// Activation entry points on Tensors: validate once, make the input contiguous, allocate the
// output, call the CPU kernel. CPU only for now: a CUDA tensor gets a ValueError naming the op.
//
// Forward ops take x (any shape, float32, any strides) and return a new contiguous tensor of x's
// shape. Each backward takes the upstream gradient `grad` (x's shape) and what is cheapest to
// differentiate from: the input x (relu, leaky_relu, elu, gelu) or the forward's output y
// (sigmoid, tanh, softmax, log_softmax); it returns d(loss)/dx, a new contiguous tensor.
#pragma once
#include "ironnet/tensor.h"

namespace ironnet::ops {

Tensor relu(const Tensor& x);
Tensor relu_backward(const Tensor& grad, const Tensor& x);

Tensor leaky_relu(const Tensor& x, float negative_slope);
Tensor leaky_relu_backward(const Tensor& grad, const Tensor& x, float negative_slope);

Tensor elu(const Tensor& x, float alpha);
Tensor elu_backward(const Tensor& grad, const Tensor& x, float alpha);

// approximate: the tanh form; otherwise the exact, erf-based one.
Tensor gelu(const Tensor& x, bool approximate);
Tensor gelu_backward(const Tensor& grad, const Tensor& x, bool approximate);

Tensor sigmoid(const Tensor& x);
Tensor sigmoid_backward(const Tensor& grad, const Tensor& y);

Tensor tanh(const Tensor& x);
Tensor tanh_backward(const Tensor& grad, const Tensor& y);

// Over the last axis; x must have at least one dimension.
Tensor softmax(const Tensor& x);
Tensor softmax_backward(const Tensor& grad, const Tensor& y);
Tensor log_softmax(const Tensor& x);
Tensor log_softmax_backward(const Tensor& grad, const Tensor& y);

}  // namespace ironnet::ops
