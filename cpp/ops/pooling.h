// Pooling entry points on NHWC (channels-last) float32 Tensors: validate once, make the input
// contiguous, allocate the outputs, call the CPU kernels (ironnet/pooling.h) or the GPU's
// (ironnet/cuda/pooling.h) on the input's device (dy and argmax must share one).
//
// x: (N, H, W, C). pool and strides: (h, w), each >= 1. padding: "valid" (windows inside the image)
// or "same" (Keras/TensorFlow: out = ceil(in / stride), pad_total = max((out - 1) * stride + pool - in, 0),
// pad_top = pad_total / 2, the rest at the bottom; the same for columns). Padding never wins a max
// and is not counted in an average. Backward ops take the forward's geometry again and return dx of
// `input_shape`, a new contiguous tensor.
#pragma once
#include <array>
#include <string>
#include <utility>

#include "ironnet/pooling.h"
#include "ironnet/tensor.h"

namespace ironnet::ops {

using Pair = std::array<int64_t, 2>;

// Output length along one axis, or ValueError naming `op` when pool/stride < 1, padding is unknown
// or the pool does not fit (output length <= 0).
int64_t pool_output_length(const char* op, int64_t length, int64_t pool, int64_t stride, const std::string& padding);

// The windows of pooling an `input` shape (N, H, W, C) with pool/strides/padding; ValueError naming
// `op` and the shapes when they do not fit.
cpu::Pool2dGeometry pool2d_geometry(const char* op, const Shape& input, Pair pool, Pair strides,
                                    const std::string& padding);

// Returns (y (N, Ho, Wo, C), argmax (N, Ho, Wo, C) int32): the flat index ih * W + iw within the
// image of each max (ties: the first in row-major window order).
std::pair<Tensor, Tensor> max_pool2d(const Tensor& x, Pair pool, Pair strides, const std::string& padding);
Tensor max_pool2d_backward(const Tensor& dy, const Tensor& argmax, const Shape& input_shape, Pair pool, Pair strides,
                           const std::string& padding);

Tensor avg_pool2d(const Tensor& x, Pair pool, Pair strides, const std::string& padding);
Tensor avg_pool2d_backward(const Tensor& dy, const Shape& input_shape, Pair pool, Pair strides,
                           const std::string& padding);

// Over H and W: x (N, H, W, C) -> (N, C); global_max_pool2d also returns argmax (N, C) int32.
std::pair<Tensor, Tensor> global_max_pool2d(const Tensor& x);
Tensor global_max_pool2d_backward(const Tensor& dy, const Tensor& argmax, const Shape& input_shape);
Tensor global_avg_pool2d(const Tensor& x);
Tensor global_avg_pool2d_backward(const Tensor& dy, const Shape& input_shape);

}  // namespace ironnet::ops
