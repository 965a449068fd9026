// conv2d with relu followed by max_pool2d as one op (NHWC, Keras's layouts): the same results as the
// two ops in a row, without keeping the full-size conv output for the backward, whose weight gradient
// is computed from the pooled outputs alone (ironnet/conv2d_pool.h has the rule).
#pragma once
#include <string>
#include <utility>

#include "ops/conv2d.h"
#include "ops/pooling.h"

namespace ironnet::ops {

// The pooling half of the op: pool (h, w), strides (h, w), padding "valid" or "same" (as max_pool2d).
struct MaxPoolWindows {
  Pair pool, strides;
  std::string padding;
};

// x (N, H, W, C_in), w (kh, kw, C_in, C_out), b (C_out,) or null: as conv2d(x, w, b, g, relu=true)
// then max_pool2d(windows). Returns (pooled (N, Hp, Wp, C_out), argmax (N, Hp, Wp, C_out) int32: the
// flat index oh * Wo + ow within the conv output of each max, first one on ties).
std::pair<Tensor, Tensor> conv2d_relu_max_pool2d(const Tensor& x, const Tensor& w, const Tensor* b,
                                                 const Conv2dGeometry& g, const MaxPoolWindows& windows);

// dpooled, pooled, argmax (N, Hp, Wp, C_out): the gradient and the forward's two outputs. dx, dw and db
// of the pair, each only when asked for. dw / db come from the pooled side only; dx (a first layer
// needs none) scatters dpooled back to the full-size conv gradient and runs conv2d's backward for dx.
Conv2dGrads conv2d_relu_max_pool2d_backward(const Tensor& dpooled, const Tensor& pooled, const Tensor& argmax,
                                            const Tensor& x, const Tensor& w, const Conv2dGeometry& g,
                                            const MaxPoolWindows& windows, bool need_dx, bool need_dw, bool need_db);

}  // namespace ironnet::ops
