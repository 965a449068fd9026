// Image warp entry points on Tensors (channels_last float32): validate once, make inputs
// contiguous, allocate the output, call the CPU kernel. CPU only for now: a CUDA tensor gets a
// ValueError naming the op.
//
// transforms: (N, 6) float32, row [a0 a1 a2 b0 b1 b2] mapping each OUTPUT pixel (column x, row y)
// to the INPUT location (a0 x + a1 y + a2, b0 x + b1 y + b2) - the TF/Keras convention, output ->
// input (see ironnet/image.h). interpolation: "bilinear" | "nearest"; fill_mode: "reflect" |
// "wrap" | "constant" | "nearest".
#pragma once
#include <string>

#include "ironnet/tensor.h"

namespace ironnet::ops {

// x: (N, H, W, C) -> y: (N, H, W, C). fill_value is read by fill_mode "constant" only.
Tensor affine_warp(const Tensor& x, const Tensor& transforms, const std::string& interpolation,
                   const std::string& fill_mode, float fill_value);

// dy: (N, Ho, Wo, C), input_shape: x's (N, H, W, C) -> dx: input_shape, the transpose of the warp
// (so <affine_warp(x), dy> == <x, affine_warp_backward(dy)>).
Tensor affine_warp_backward(const Tensor& dy, const Tensor& transforms, const Shape& input_shape,
                            const std::string& interpolation, const std::string& fill_mode);

// x: (N, H, W, C) -> y: x[n] mirrored left-right where horizontal[n] != 0 and upside-down where
// vertical[n] != 0; horizontal, vertical: (N,) int64. Its own inverse (so also its backward).
Tensor flip(const Tensor& x, const Tensor& horizontal, const Tensor& vertical);

}  // namespace ironnet::ops
