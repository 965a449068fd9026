#include "ops/losses.h"

#include <cmath>

#include "ironnet/cuda/losses.h"
#include "ironnet/errors.h"
#include "ironnet/losses.h"
#include "ops/device.h"
#include "ops/index_check.h"

namespace ironnet::ops {
namespace {
using cpu::ElementwiseLoss;

void check_float(const char* op, const char* name, const Tensor& t) {
  if (t.dtype() != DType::Float32)
    fail<TypeError>(op, ": ", name, " ", shape_str(t.shape()), " must be float32, got ", dtype_name(t.dtype()));
}

// y_true and y_pred: float32, same shape, on one device (returned).
Device check_dense(const char* op, const Tensor& y_true, const Tensor& y_pred) {
  check_float(op, "y_pred", y_pred);
  check_float(op, "y_true", y_true);
  const Device device = common_device(op, {{"y_true", &y_true}, {"y_pred", &y_pred}});
  if (y_true.shape() != y_pred.shape())
    fail<ValueError>(op, ": y_true ", shape_str(y_true.shape()), " and y_pred ", shape_str(y_pred.shape()),
                     " must have the same shape");
  return device;
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

// Where a CUDA forward writes its loss: a 0-d float32 tensor on the device, and 8-byte scratch for the
// double partials of its two-pass reduction (there is no float64 dtype).
struct CudaLoss {
  Tensor loss, partials;
  explicit CudaLoss(Device device)
      : loss(Tensor::empty({}, DType::Float32, device)),
        partials(Tensor::empty({cuda::kLossPartials}, DType::Int64, device)) {}
  double* scratch() const { return static_cast<double*>(partials.raw_data()); }
  float* value() const { return loss.data<float>(); }
};

Tensor dense_forward(const char* op, ElementwiseLoss kind, const Tensor& y_true, const Tensor& y_pred, float delta) {
  const Device device = check_dense(op, y_true, y_pred);
  const Tensor t = y_true.contiguous(), p = y_pred.contiguous();
  if (device.is_cpu())
    return scalar(cpu::elementwise_loss_forward(kind, p.numel(), t.data<float>(), p.data<float>(), delta));
  CudaLoss out(device);
  if constexpr (kCudaBuilt)
    cuda::elementwise_loss_forward(kind, p.numel(), t.data<float>(), p.data<float>(), delta, out.scratch(),
                                   out.value(), device.index);
  return out.loss;
}

Tensor dense_backward(const char* op, ElementwiseLoss kind, const Tensor& y_true, const Tensor& y_pred, float delta,
                      float grad) {
  const Device device = check_dense(op, y_true, y_pred);
  const Tensor t = y_true.contiguous(), p = y_pred.contiguous();
  Tensor out = Tensor::empty(p.shape(), DType::Float32, device);
  if (device.is_cpu())
    cpu::elementwise_loss_backward(kind, p.numel(), t.data<float>(), p.data<float>(), delta, grad, out.data<float>());
  else if constexpr (kCudaBuilt)
    cuda::elementwise_loss_backward(kind, p.numel(), t.data<float>(), p.data<float>(), delta, grad, out.data<float>(),
                                    device.index);
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
// one in [0, classes) (checked by check_label_range once contiguous). Returns their device.
Device check_sparse(const char* op, const Tensor& labels, const Tensor& y_pred) {
  check_float(op, "y_pred", y_pred);
  if (labels.dtype() != DType::Int32 && labels.dtype() != DType::Int64)
    fail<TypeError>(op, ": labels ", shape_str(labels.shape()), " must be int32 or int64 class indices, got ",
                    dtype_name(labels.dtype()));
  const Device device = common_device(op, {{"labels", &labels}, {"y_pred", &y_pred}});
  classes_of(op, y_pred);
  Shape rows_shape(y_pred.shape().begin(), y_pred.shape().end() - 1);
  Shape with_one = rows_shape;
  with_one.push_back(1);
  if (labels.shape() != rows_shape && labels.shape() != with_one)
    fail<ValueError>(op, ": labels ", shape_str(labels.shape()), " do not match y_pred ", shape_str(y_pred.shape()),
                     ": expected labels of shape ", shape_str(rows_shape), " or ", shape_str(with_one));
  return device;
}

// labels: contiguous.
void check_label_range(const char* op, const Tensor& labels, int64_t classes) {
  if (const auto bad = first_out_of_range(labels, classes))
    fail<ValueError>(op, ": label ", bad->value, " at position ", bad->position, " is out of range for ", classes,
                     " classes (expected 0 <= label < ", classes, ")");
}

template <class Label>
Tensor sparse_forward(Device device, const Tensor& labels, const Tensor& pred, bool from_logits) {
  const int64_t classes = pred.size(pred.dim() - 1), rows = labels.numel();
  if (device.is_cpu())
    return scalar(cpu::sparse_categorical_crossentropy_forward(rows, classes, labels.data<Label>(), pred.data<float>(),
                                                                from_logits));
  CudaLoss out(device);
  if constexpr (kCudaBuilt)
    cuda::sparse_categorical_crossentropy_forward(rows, classes, labels.data<Label>(), pred.data<float>(), from_logits,
                                                  out.scratch(), out.value(), device.index);
  return out.loss;
}

template <class Label>
void sparse_backward(Device device, const Tensor& labels, const Tensor& pred, bool from_logits, float grad, Tensor& out) {
  const int64_t classes = pred.size(pred.dim() - 1), rows = labels.numel();
  if (device.is_cpu())
    cpu::sparse_categorical_crossentropy_backward(rows, classes, labels.data<Label>(), pred.data<float>(), from_logits,
                                                  grad, out.data<float>());
  else if constexpr (kCudaBuilt)
    cuda::sparse_categorical_crossentropy_backward(rows, classes, labels.data<Label>(), pred.data<float>(),
                                                   from_logits, grad, out.data<float>(), device.index);
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
  const Device device = check_dense(op, y_true, y_pred);
  const int64_t classes = classes_of(op, y_pred);
  const Tensor t = y_true.contiguous(), p = y_pred.contiguous();
  const int64_t rows = p.numel() / classes;
  if (device.is_cpu())
    return scalar(cpu::categorical_crossentropy_forward(rows, classes, t.data<float>(), p.data<float>(), from_logits));
  CudaLoss out(device);
  if constexpr (kCudaBuilt)
    cuda::categorical_crossentropy_forward(rows, classes, t.data<float>(), p.data<float>(), from_logits,
                                           out.scratch(), out.value(), device.index);
  return out.loss;
}
Tensor categorical_crossentropy_backward(const Tensor& y_true, const Tensor& y_pred, bool from_logits, float grad) {
  constexpr const char* op = "categorical_crossentropy_backward";
  const Device device = check_dense(op, y_true, y_pred);
  const int64_t classes = classes_of(op, y_pred);
  const Tensor t = y_true.contiguous(), p = y_pred.contiguous();
  const int64_t rows = p.numel() / classes;
  Tensor out = Tensor::empty(p.shape(), DType::Float32, device);
  if (device.is_cpu())
    cpu::categorical_crossentropy_backward(rows, classes, t.data<float>(), p.data<float>(), from_logits, grad,
                                           out.data<float>());
  else if constexpr (kCudaBuilt)
    cuda::categorical_crossentropy_backward(rows, classes, t.data<float>(), p.data<float>(), from_logits, grad,
                                            out.data<float>(), device.index);
  return out;
}

Tensor sparse_categorical_crossentropy(const Tensor& labels, const Tensor& y_pred, bool from_logits) {
  constexpr const char* op = "sparse_categorical_crossentropy";
  const Device device = check_sparse(op, labels, y_pred);
  const Tensor l = labels.contiguous(), p = y_pred.contiguous();
  check_label_range(op, l, p.size(p.dim() - 1));
  return l.dtype() == DType::Int32 ? sparse_forward<int32_t>(device, l, p, from_logits)
                                   : sparse_forward<int64_t>(device, l, p, from_logits);
}

Tensor sparse_categorical_crossentropy_backward(const Tensor& labels, const Tensor& y_pred, bool from_logits,
                                                float grad) {
  constexpr const char* op = "sparse_categorical_crossentropy_backward";
  const Device device = check_sparse(op, labels, y_pred);
  const Tensor l = labels.contiguous(), p = y_pred.contiguous();
  check_label_range(op, l, p.size(p.dim() - 1));
  Tensor out = Tensor::empty(p.shape(), DType::Float32, device);
  if (l.dtype() == DType::Int32)
    sparse_backward<int32_t>(device, l, p, from_logits, grad, out);
  else
    sparse_backward<int64_t>(device, l, p, from_logits, grad, out);
  return out;
}

}  // namespace ironnet::ops
