// Loss entry points on Tensors: validate once, run the fused CPU kernel (cpp/kernels/cpu/losses.cpp).
//
// Every forward returns the scalar loss as a 0-d float32 tensor, reduced the Keras way
// ("sum_over_batch_size": mean over all elements for MSE/MAE/Huber/BCE; sum over the last axis, then
// mean over the rows, for the categorical ones). Every backward returns d(loss)/d(y_pred) * grad,
// grad being the upstream gradient of that scalar, as a new tensor of y_pred's shape.
// y_true, y_pred: float32, same shape (labels: int32/int64 of y_pred's shape without its last axis,
// or with a last axis of 1). The loss is a 0-d tensor on the inputs' device; the grad scale is a host float.
#pragma once
#include "ironnet/tensor.h"

namespace ironnet::ops {

Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred);
Tensor mean_squared_error_backward(const Tensor& y_true, const Tensor& y_pred, float grad);

Tensor mean_absolute_error(const Tensor& y_true, const Tensor& y_pred);
Tensor mean_absolute_error_backward(const Tensor& y_true, const Tensor& y_pred, float grad);

Tensor huber(const Tensor& y_true, const Tensor& y_pred, float delta);
Tensor huber_backward(const Tensor& y_true, const Tensor& y_pred, float delta, float grad);

Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits);
Tensor binary_crossentropy_backward(const Tensor& y_true, const Tensor& y_pred, bool from_logits, float grad);

// y_pred: (..., classes), classes >= 1.
Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits);
Tensor categorical_crossentropy_backward(const Tensor& y_true, const Tensor& y_pred, bool from_logits, float grad);

// labels: (...) or (..., 1) class indices in [0, classes); y_pred: (..., classes).
Tensor sparse_categorical_crossentropy(const Tensor& labels, const Tensor& y_pred, bool from_logits);
Tensor sparse_categorical_crossentropy_backward(const Tensor& labels, const Tensor& y_pred, bool from_logits,
                                                float grad);

}  // namespace ironnet::ops
