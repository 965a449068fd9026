#include "ops/activations.h"

#include <cmath>

#include "ironnet/activations.h"
#include "ironnet/errors.h"

namespace ironnet::ops {
namespace {

// x is a float32 CPU tensor; returns it contiguous (a copy only when it was not).
Tensor checked_input(const char* op, const Tensor& x, const char* name = "x") {
  if (x.dtype() != DType::Float32)
    fail<TypeError>(op, ": expected a float32 tensor, got ", name, " ", shape_str(x.shape()), " ",
                    dtype_name(x.dtype()));
  if (!x.device().is_cpu())
    fail<ValueError>(op, ": not implemented on cuda yet (CPU only until the CUDA backend issue); got ", name, " ",
                     shape_str(x.shape()), " on ", x.device().str());
  return x.contiguous();
}

// grad and the saved tensor (x or y): both float32 CPU, same shape.
void check_backward(const char* op, const Tensor& grad, const Tensor& saved, const char* saved_name) {
  if (grad.shape() != saved.shape())
    fail<ValueError>(op, ": grad ", shape_str(grad.shape()), " and ", saved_name, " ", shape_str(saved.shape()),
                     " must have the same shape");
}

void check_finite_param(const char* op, const char* name, float value) {
  if (!std::isfinite(value)) fail<ValueError>(op, ": ", name, " must be finite, got ", value);
}

void check_has_axis(const char* op, const Tensor& t, const char* name) {
  if (t.dim() == 0)
    fail<ValueError>(op, ": needs at least one dimension to normalize over, got a 0-d ", name, " ",
                     shape_str(t.shape()));
}

// Pointwise forward: y = kernel(n, x, y).
template <class Kernel>
Tensor pointwise(const char* op, const Tensor& x, Kernel kernel) {
  const Tensor xc = checked_input(op, x);
  Tensor y = Tensor::empty(xc.shape(), DType::Float32, xc.device());
  kernel(xc.numel(), xc.data<float>(), y.data<float>());
  return y;
}

// Pointwise backward: dx = kernel(n, saved, grad, dx).
template <class Kernel>
Tensor pointwise_backward(const char* op, const Tensor& grad, const Tensor& saved, const char* saved_name,
                          Kernel kernel) {
  const Tensor gc = checked_input(op, grad, "grad");
  const Tensor sc = checked_input(op, saved, saved_name);
  check_backward(op, gc, sc, saved_name);
  Tensor dx = Tensor::empty(gc.shape(), DType::Float32, gc.device());
  kernel(gc.numel(), sc.data<float>(), gc.data<float>(), dx.data<float>());
  return dx;
}

// Rows of the last axis: (numel / cols, cols).
int64_t last_axis(const Tensor& t) { return t.size(t.dim() - 1); }
int64_t rows_of(const Tensor& t) {
  const int64_t cols = last_axis(t);
  return cols == 0 ? 0 : t.numel() / cols;
}

template <class Kernel>
Tensor rowwise(const char* op, const Tensor& x, Kernel kernel) {
  check_has_axis(op, x, "x");
  const Tensor xc = checked_input(op, x);
  Tensor y = Tensor::empty(xc.shape(), DType::Float32, xc.device());
  kernel(rows_of(xc), last_axis(xc), xc.data<float>(), y.data<float>());
  return y;
}

template <class Kernel>
Tensor rowwise_backward(const char* op, const Tensor& grad, const Tensor& y, Kernel kernel) {
  check_has_axis(op, y, "y");
  const Tensor gc = checked_input(op, grad, "grad");
  const Tensor yc = checked_input(op, y, "y");
  check_backward(op, gc, yc, "y");
  Tensor dx = Tensor::empty(gc.shape(), DType::Float32, gc.device());
  kernel(rows_of(yc), last_axis(yc), yc.data<float>(), gc.data<float>(), dx.data<float>());
  return dx;
}

}  // namespace

Tensor relu(const Tensor& x) {
  return pointwise("relu", x, [](int64_t n, const float* in, float* out) { cpu::relu_forward(n, in, out); });
}
Tensor relu_backward(const Tensor& grad, const Tensor& x) {
  return pointwise_backward("relu_backward", grad, x, "x", [](int64_t n, const float* s, const float* g, float* d) {
    cpu::relu_backward(n, s, g, d);
  });
}

Tensor leaky_relu(const Tensor& x, float slope) {
  check_finite_param("leaky_relu", "negative_slope", slope);
  return pointwise("leaky_relu", x,
                   [slope](int64_t n, const float* in, float* out) { cpu::leaky_relu_forward(n, slope, in, out); });
}
Tensor leaky_relu_backward(const Tensor& grad, const Tensor& x, float slope) {
  check_finite_param("leaky_relu_backward", "negative_slope", slope);
  return pointwise_backward("leaky_relu_backward", grad, x, "x",
                            [slope](int64_t n, const float* s, const float* g, float* d) {
                              cpu::leaky_relu_backward(n, slope, s, g, d);
                            });
}

Tensor elu(const Tensor& x, float alpha) {
  check_finite_param("elu", "alpha", alpha);
  return pointwise("elu", x, [alpha](int64_t n, const float* in, float* out) { cpu::elu_forward(n, alpha, in, out); });
}
Tensor elu_backward(const Tensor& grad, const Tensor& x, float alpha) {
  check_finite_param("elu_backward", "alpha", alpha);
  return pointwise_backward("elu_backward", grad, x, "x", [alpha](int64_t n, const float* s, const float* g, float* d) {
    cpu::elu_backward(n, alpha, s, g, d);
  });
}

Tensor gelu(const Tensor& x, bool approximate) {
  return pointwise("gelu", x, [approximate](int64_t n, const float* in, float* out) {
    cpu::gelu_forward(n, approximate, in, out);
  });
}
Tensor gelu_backward(const Tensor& grad, const Tensor& x, bool approximate) {
  return pointwise_backward("gelu_backward", grad, x, "x",
                            [approximate](int64_t n, const float* s, const float* g, float* d) {
                              cpu::gelu_backward(n, approximate, s, g, d);
                            });
}

Tensor sigmoid(const Tensor& x) {
  return pointwise("sigmoid", x, [](int64_t n, const float* in, float* out) { cpu::sigmoid_forward(n, in, out); });
}
Tensor sigmoid_backward(const Tensor& grad, const Tensor& y) {
  return pointwise_backward("sigmoid_backward", grad, y, "y", [](int64_t n, const float* s, const float* g, float* d) {
    cpu::sigmoid_backward(n, s, g, d);
  });
}

Tensor tanh(const Tensor& x) {
  return pointwise("tanh", x, [](int64_t n, const float* in, float* out) { cpu::tanh_forward(n, in, out); });
}
Tensor tanh_backward(const Tensor& grad, const Tensor& y) {
  return pointwise_backward("tanh_backward", grad, y, "y", [](int64_t n, const float* s, const float* g, float* d) {
    cpu::tanh_backward(n, s, g, d);
  });
}

Tensor softmax(const Tensor& x) {
  return rowwise("softmax", x,
                 [](int64_t rows, int64_t cols, const float* in, float* out) { cpu::softmax_forward(rows, cols, in, out); });
}
Tensor softmax_backward(const Tensor& grad, const Tensor& y) {
  return rowwise_backward("softmax_backward", grad, y,
                          [](int64_t rows, int64_t cols, const float* s, const float* g, float* d) {
                            cpu::softmax_backward(rows, cols, s, g, d);
                          });
}

Tensor log_softmax(const Tensor& x) {
  return rowwise("log_softmax", x, [](int64_t rows, int64_t cols, const float* in, float* out) {
    cpu::log_softmax_forward(rows, cols, in, out);
  });
}
Tensor log_softmax_backward(const Tensor& grad, const Tensor& y) {
  return rowwise_backward("log_softmax_backward", grad, y,
                          [](int64_t rows, int64_t cols, const float* s, const float* g, float* d) {
                            cpu::log_softmax_backward(rows, cols, s, g, d);
                          });
}

}  // namespace ironnet::ops
