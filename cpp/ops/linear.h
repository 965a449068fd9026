// The dense layer's op: y = x @ w + b, one coarse native op with a hand-written backward.
#pragma once
#include "ironnet/tensor.h"

namespace ironnet::ops {

// x: (N, in), w: (in, out) (Keras's kernel layout), b: (out,) or undefined. Returns (N, out), with
// relu applied in place right after the GEMM (its output still in cache) when `relu` is set.
Tensor linear(const Tensor& x, const Tensor& w, const Tensor* b, bool relu = false);

struct LinearGrads {
  Tensor dx, dw, db;  // undefined where not asked for
};
// dy: (N, out). dx = dy @ w^T, dw = x^T @ dy, db = column sums of dy. With relu_output (the forward's
// output when it applied relu), dy is first masked where that output is 0, in the same call.
LinearGrads linear_backward(const Tensor& dy, const Tensor& x, const Tensor& w, bool need_dx, bool need_dw,
                            bool need_db, const Tensor* relu_output = nullptr);

}  // namespace ironnet::ops
