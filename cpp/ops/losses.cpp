#include "ops/losses.h"

#include <cmath>

#include "ironnet/errors.h"
#include "ironnet/losses.h"

namespace ironnet::ops {
namespace {
using cpu::ElementwiseLoss;

void check_cpu(const char* op, const Tensor& t) {
  if (!t.device().is_cpu())
    fail<ValueError>(op, ": not implemented on cuda yet (CPU only until the CUDA backend issue)");
}

void check_float(const char* op, const char* name, const Tensor& t) {
  if (t.dtype() != DType::Float32)
    fail<TypeError>(op, ": ", name, " ", shape_str(t.shape()), " must be float32, got ", dtype_name(t.dtype()));
}

// y_true and y_pred: float32, same shape, on the CPU.
void check_dense(const char* op, const Tensor& y_true, const Tensor& y_pred) {
  check_float(op, "y_pred", y_pred);
  check_float(op, "y_true", y_true);
  check_cpu(op, y_pred);
  check_cpu(op, y_true);
  if (y_true.shape() != y_pred.shape())
    fail<ValueError>(op, ": y_true ", shape_str(y_true.shape()), " and y_pred ", shape_str(y_pred.shape()),
                     " must have the same shape");
}

// The class axis is the last one and holds at least one class.
int64_t classes_of(const char* op, const Tensor& y_pred) {
  if (y_pred.dim() < 1 || y_pred.size(y_pred.dim() - 1) < 1)
    fail<ValueError>(op, ": y_pred ", shape_str(y_pred.shape()), " needs a last (class) axis of at least 1 class");
  return y_pred.size(y_pred.dim() - 1);
}

Tensor scalar(double value) {
  Tensor out = Tensor::empty({}, DType::Float32, Device{DeviceType::CPU, 0});
  *out.data<float>() = static_cast<float>(value);
  return out;
}

Tensor dense_forward(const char* op, ElementwiseLoss kind, const Tensor& y_true, const Tensor& y_pred, float delta) {
  check_dense(op, y_true, y_pred);
  const Tensor t = y_true.contiguous(), p = y_pred.contiguous();
  return scalar(cpu::elementwise_loss_forward(kind, p.numel(), t.data<float>(), p.data<float>(), delta));
}

Tensor dense_backward(const char* op, ElementwiseLoss kind, const Tensor& y_true, const Tensor& y_pred, float delta,
                      float grad) {
  check_dense(op, y_true, y_pred);
  const Tensor t = y_true.contiguous(), p = y_pred.contiguous();
  Tensor out = Tensor::empty(p.shape(), DType::Float32, p.device());
  cpu::elementwise_loss_backward(kind, p.numel(), t.data<float>(), p.data<float>(), delta, grad, out.data<float>());
  return out;
}

void check_delta(const char* op, float delta) {
  if (!(delta >= 0.0f) || !std::isfinite(delta))
    fail<ValueError>(op, ": delta must be a finite number >= 0, got ", delta);
}

ElementwiseLoss bce_kind(bool from_logits) {
  return from_logits ? ElementwiseLoss::BinaryCrossentropyLogits : ElementwiseLoss::BinaryCrossentropy;
}

// Labels: int32/int64 of y_pred's shape without the class axis (or with a class axis of 1), every
// one in [0, classes). Returns the number of rows.
int64_t check_sparse(const char* op, const Tensor& labels, const Tensor& y_pred) {
  check_float(op, "y_pred", y_pred);
  if (labels.dtype() != DType::Int32 && labels.dtype() != DType::Int64)
    fail<TypeError>(op, ": labels ", shape_str(labels.shape()), " must be int32 or int64 class indices, got ",
                    dtype_name(labels.dtype()));
  check_cpu(op, y_pred);
  check_cpu(op, labels);
  classes_of(op, y_pred);
  Shape rows_shape(y_pred.shape().begin(), y_pred.shape().end() - 1);
  Shape with_one = rows_shape;
  with_one.push_back(1);
  if (labels.shape() != rows_shape && labels.shape() != with_one)
    fail<ValueError>(op, ": labels ", shape_str(labels.shape()), " do not match y_pred ", shape_str(y_pred.shape()),
                     ": expected labels of shape ", shape_str(rows_shape), " or ", shape_str(with_one));
  return shape_numel(rows_shape);
}

template <class Label>
void check_label_range(const char* op, const Label* labels, int64_t rows, int64_t classes) {
  for (int64_t r = 0; r < rows; ++r)
    if (labels[r] < 0 || labels[r] >= classes)
      fail<ValueError>(op, ": label ", static_cast<int64_t>(labels[r]), " at position ", r,
                       " is out of range for ", classes, " classes (expected 0 <= label < ", classes, ")");
}
}  // namespace

Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred) {
  return dense_forward("mean_squared_error", ElementwiseLoss::MeanSquaredError, y_true, y_pred, 0.0f);
}
Tensor mean_squared_error_backward(const Tensor& y_true, const Tensor& y_pred, float grad) {
  return dense_backward("mean_squared_error_backward", ElementwiseLoss::MeanSquaredError, y_true, y_pred, 0.0f, grad);
}

Tensor mean_absolute_error(const Tensor& y_true, const Tensor& y_pred) {
  return dense_forward("mean_absolute_error", ElementwiseLoss::MeanAbsoluteError, y_true, y_pred, 0.0f);
}
Tensor mean_absolute_error_backward(const Tensor& y_true, const Tensor& y_pred, float grad) {
  return dense_backward("mean_absolute_error_backward", ElementwiseLoss::MeanAbsoluteError, y_true, y_pred, 0.0f,
                        grad);
}

Tensor huber(const Tensor& y_true, const Tensor& y_pred, float delta) {
  check_delta("huber", delta);
  return dense_forward("huber", ElementwiseLoss::Huber, y_true, y_pred, delta);
}
Tensor huber_backward(const Tensor& y_true, const Tensor& y_pred, float delta, float grad) {
  check_delta("huber_backward", delta);
  return dense_backward("huber_backward", ElementwiseLoss::Huber, y_true, y_pred, delta, grad);
}

Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits) {
  return dense_forward("binary_crossentropy", bce_kind(from_logits), y_true, y_pred, 0.0f);
}
Tensor binary_crossentropy_backward(const Tensor& y_true, const Tensor& y_pred, bool from_logits, float grad) {
  return dense_backward("binary_crossentropy_backward", bce_kind(from_logits), y_true, y_pred, 0.0f, grad);
}

Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits) {
  constexpr const char* op = "categorical_crossentropy";
  check_dense(op, y_true, y_pred);
  const int64_t classes = classes_of(op, y_pred);
  const Tensor t = y_true.contiguous(), p = y_pred.contiguous();
  return scalar(cpu::categorical_crossentropy_forward(p.numel() / classes, classes, t.data<float>(), p.data<float>(),
                                                      from_logits));
}
Tensor categorical_crossentropy_backward(const Tensor& y_true, const Tensor& y_pred, bool from_logits, float grad) {
  constexpr const char* op = "categorical_crossentropy_backward";
  check_dense(op, y_true, y_pred);
  const int64_t classes = classes_of(op, y_pred);
  const Tensor t = y_true.contiguous(), p = y_pred.contiguous();
  Tensor out = Tensor::empty(p.shape(), DType::Float32, p.device());
  cpu::categorical_crossentropy_backward(p.numel() / classes, classes, t.data<float>(), p.data<float>(), from_logits,
                                         grad, out.data<float>());
  return out;
}

Tensor sparse_categorical_crossentropy(const Tensor& labels, const Tensor& y_pred, bool from_logits) {
  constexpr const char* op = "sparse_categorical_crossentropy";
  const int64_t rows = check_sparse(op, labels, y_pred);
  const int64_t classes = y_pred.size(y_pred.dim() - 1);
  const Tensor l = labels.contiguous(), p = y_pred.contiguous();
  double loss = 0.0;
  if (l.dtype() == DType::Int32) {
    check_label_range(op, l.data<int32_t>(), rows, classes);
    loss = cpu::sparse_categorical_crossentropy_forward(rows, classes, l.data<int32_t>(), p.data<float>(), from_logits);
  } else {
    check_label_range(op, l.data<int64_t>(), rows, classes);
    loss = cpu::sparse_categorical_crossentropy_forward(rows, classes, l.data<int64_t>(), p.data<float>(), from_logits);
  }
  return scalar(loss);
}

Tensor sparse_categorical_crossentropy_backward(const Tensor& labels, const Tensor& y_pred, bool from_logits,
                                                float grad) {
  constexpr const char* op = "sparse_categorical_crossentropy_backward";
  const int64_t rows = check_sparse(op, labels, y_pred);
  const int64_t classes = y_pred.size(y_pred.dim() - 1);
  const Tensor l = labels.contiguous(), p = y_pred.contiguous();
  Tensor out = Tensor::empty(p.shape(), DType::Float32, p.device());
  if (l.dtype() == DType::Int32) {
    check_label_range(op, l.data<int32_t>(), rows, classes);
    cpu::sparse_categorical_crossentropy_backward(rows, classes, l.data<int32_t>(), p.data<float>(), from_logits, grad,
                                                  out.data<float>());
  } else {
    check_label_range(op, l.data<int64_t>(), rows, classes);
    cpu::sparse_categorical_crossentropy_backward(rows, classes, l.data<int64_t>(), p.data<float>(), from_logits, grad,
                                                  out.data<float>());
  }
  return out;
}

}  // namespace ironnet::ops
