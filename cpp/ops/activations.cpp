#include "ops/activations.h"

#include <cmath>

#include "ironnet/activations.h"
#include "ironnet/cuda/activations.h"
#include "ironnet/errors.h"
#include "ops/device.h"

namespace ironnet::ops {
namespace {

// x is a float32 tensor; returns it contiguous (a copy only when it was not).
Tensor checked_input(const char* op, const Tensor& x, const char* name = "x") {
  if (x.dtype() != DType::Float32)
    fail<TypeError>(op, ": expected a float32 tensor, got ", name, " ", shape_str(x.shape()), " ",
                    dtype_name(x.dtype()));
  return x.contiguous();
}

// grad and the saved tensor (x or y): both float32, same shape.
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

// The kernels below are called with the device first: each op's lambda runs the CPU kernel, or the
// CUDA one in CUDA builds (the `else if constexpr (kCudaBuilt)` branch of ops/device.h).

// Pointwise forward: y = kernel(device, n, x, y).
template <class Kernel>
Tensor pointwise(const char* op, const Tensor& x, Kernel kernel) {
  const Device device = common_device(op, {{"x", &x}});
  const Tensor xc = checked_input(op, x);
  Tensor y = Tensor::empty(xc.shape(), DType::Float32, device);
  kernel(device, xc.numel(), xc.data<float>(), y.data<float>());
  return y;
}

// Pointwise backward: dx = kernel(device, n, saved, grad, dx).
template <class Kernel>
Tensor pointwise_backward(const char* op, const Tensor& grad, const Tensor& saved, const char* saved_name,
                          Kernel kernel) {
  const Device device = common_device(op, {{"grad", &grad}, {saved_name, &saved}});
  const Tensor gc = checked_input(op, grad, "grad");
  const Tensor sc = checked_input(op, saved, saved_name);
  check_backward(op, gc, sc, saved_name);
  Tensor dx = Tensor::empty(gc.shape(), DType::Float32, device);
  kernel(device, gc.numel(), sc.data<float>(), gc.data<float>(), dx.data<float>());
  return dx;
}

// Rows of the last axis: (numel / cols, cols).
int64_t last_axis(const Tensor& t) { return t.size(t.dim() - 1); }
int64_t rows_of(const Tensor& t) {
  const int64_t cols = last_axis(t);
  return cols == 0 ? 0 : t.numel() / cols;
}

// Over rows of the last axis: y = kernel(device, rows, cols, x, y).
template <class Kernel>
Tensor rowwise(const char* op, const Tensor& x, Kernel kernel) {
  check_has_axis(op, x, "x");
  const Device device = common_device(op, {{"x", &x}});
  const Tensor xc = checked_input(op, x);
  Tensor y = Tensor::empty(xc.shape(), DType::Float32, device);
  kernel(device, rows_of(xc), last_axis(xc), xc.data<float>(), y.data<float>());
  return y;
}

// dx = kernel(device, rows, cols, y, grad, dx).
template <class Kernel>
Tensor rowwise_backward(const char* op, const Tensor& grad, const Tensor& y, Kernel kernel) {
  check_has_axis(op, y, "y");
  const Device device = common_device(op, {{"grad", &grad}, {"y", &y}});
  const Tensor gc = checked_input(op, grad, "grad");
  const Tensor yc = checked_input(op, y, "y");
  check_backward(op, gc, yc, "y");
  Tensor dx = Tensor::empty(gc.shape(), DType::Float32, device);
  kernel(device, rows_of(yc), last_axis(yc), yc.data<float>(), gc.data<float>(), dx.data<float>());
  return dx;
}

}  // namespace

Tensor relu(const Tensor& x) {
  return pointwise("relu", x, [](Device device, int64_t n, const float* src, float* y) {
    if (device.is_cpu())
      cpu::relu_forward(n, src, y);
    else if constexpr (kCudaBuilt)
      cuda::relu_forward(n, src, y, device.index);
  });
}
Tensor relu_backward(const Tensor& grad, const Tensor& x) {
  return pointwise_backward("relu_backward", grad, x, "x",
                            [](Device device, int64_t n, const float* saved, const float* g, float* dx) {
                              if (device.is_cpu())
                                cpu::relu_backward(n, saved, g, dx);
                              else if constexpr (kCudaBuilt)
                                cuda::relu_backward(n, saved, g, dx, device.index);
                            });
}

Tensor leaky_relu(const Tensor& x, float slope) {
  check_finite_param("leaky_relu", "negative_slope", slope);
  return pointwise("leaky_relu", x, [slope](Device device, int64_t n, const float* src, float* y) {
    if (device.is_cpu())
      cpu::leaky_relu_forward(n, slope, src, y);
    else if constexpr (kCudaBuilt)
      cuda::leaky_relu_forward(n, slope, src, y, device.index);
  });
}
Tensor leaky_relu_backward(const Tensor& grad, const Tensor& x, float slope) {
  check_finite_param("leaky_relu_backward", "negative_slope", slope);
  return pointwise_backward("leaky_relu_backward", grad, x, "x",
                            [slope](Device device, int64_t n, const float* saved, const float* g, float* dx) {
                              if (device.is_cpu())
                                cpu::leaky_relu_backward(n, slope, saved, g, dx);
                              else if constexpr (kCudaBuilt)
                                cuda::leaky_relu_backward(n, slope, saved, g, dx, device.index);
                            });
}

Tensor elu(const Tensor& x, float alpha) {
  check_finite_param("elu", "alpha", alpha);
  return pointwise("elu", x, [alpha](Device device, int64_t n, const float* src, float* y) {
    if (device.is_cpu())
      cpu::elu_forward(n, alpha, src, y);
    else if constexpr (kCudaBuilt)
      cuda::elu_forward(n, alpha, src, y, device.index);
  });
}
Tensor elu_backward(const Tensor& grad, const Tensor& x, float alpha) {
  check_finite_param("elu_backward", "alpha", alpha);
  return pointwise_backward("elu_backward", grad, x, "x",
                            [alpha](Device device, int64_t n, const float* saved, const float* g, float* dx) {
                              if (device.is_cpu())
                                cpu::elu_backward(n, alpha, saved, g, dx);
                              else if constexpr (kCudaBuilt)
                                cuda::elu_backward(n, alpha, saved, g, dx, device.index);
                            });
}

Tensor gelu(const Tensor& x, bool approximate) {
  return pointwise("gelu", x, [approximate](Device device, int64_t n, const float* src, float* y) {
    if (device.is_cpu())
      cpu::gelu_forward(n, approximate, src, y);
    else if constexpr (kCudaBuilt)
      cuda::gelu_forward(n, approximate, src, y, device.index);
  });
}
Tensor gelu_backward(const Tensor& grad, const Tensor& x, bool approximate) {
  return pointwise_backward("gelu_backward", grad, x, "x",
                            [approximate](Device device, int64_t n, const float* saved, const float* g, float* dx) {
                              if (device.is_cpu())
                                cpu::gelu_backward(n, approximate, saved, g, dx);
                              else if constexpr (kCudaBuilt)
                                cuda::gelu_backward(n, approximate, saved, g, dx, device.index);
                            });
}

Tensor sigmoid(const Tensor& x) {
  return pointwise("sigmoid", x, [](Device device, int64_t n, const float* src, float* y) {
    if (device.is_cpu())
      cpu::sigmoid_forward(n, src, y);
    else if constexpr (kCudaBuilt)
      cuda::sigmoid_forward(n, src, y, device.index);
  });
}
Tensor sigmoid_backward(const Tensor& grad, const Tensor& y) {
  return pointwise_backward("sigmoid_backward", grad, y, "y",
                            [](Device device, int64_t n, const float* saved, const float* g, float* dx) {
                              if (device.is_cpu())
                                cpu::sigmoid_backward(n, saved, g, dx);
                              else if constexpr (kCudaBuilt)
                                cuda::sigmoid_backward(n, saved, g, dx, device.index);
                            });
}

Tensor tanh(const Tensor& x) {
  return pointwise("tanh", x, [](Device device, int64_t n, const float* src, float* y) {
    if (device.is_cpu())
      cpu::tanh_forward(n, src, y);
    else if constexpr (kCudaBuilt)
      cuda::tanh_forward(n, src, y, device.index);
  });
}
Tensor tanh_backward(const Tensor& grad, const Tensor& y) {
  return pointwise_backward("tanh_backward", grad, y, "y",
                            [](Device device, int64_t n, const float* saved, const float* g, float* dx) {
                              if (device.is_cpu())
                                cpu::tanh_backward(n, saved, g, dx);
                              else if constexpr (kCudaBuilt)
                                cuda::tanh_backward(n, saved, g, dx, device.index);
                            });
}

Tensor softmax(const Tensor& x) {
  return rowwise("softmax", x, [](Device device, int64_t rows, int64_t cols, const float* src, float* y) {
    if (device.is_cpu())
      cpu::softmax_forward(rows, cols, src, y);
    else if constexpr (kCudaBuilt)
      cuda::softmax_forward(rows, cols, src, y, device.index);
  });
}
Tensor softmax_backward(const Tensor& grad, const Tensor& y) {
  return rowwise_backward("softmax_backward", grad, y,
                          [](Device device, int64_t rows, int64_t cols, const float* saved, const float* g, float* dx) {
                            if (device.is_cpu())
                              cpu::softmax_backward(rows, cols, saved, g, dx);
                            else if constexpr (kCudaBuilt)
                              cuda::softmax_backward(rows, cols, saved, g, dx, device.index);
                          });
}

Tensor log_softmax(const Tensor& x) {
  return rowwise("log_softmax", x, [](Device device, int64_t rows, int64_t cols, const float* src, float* y) {
    if (device.is_cpu())
      cpu::log_softmax_forward(rows, cols, src, y);
    else if constexpr (kCudaBuilt)
      cuda::log_softmax_forward(rows, cols, src, y, device.index);
  });
}
Tensor log_softmax_backward(const Tensor& grad, const Tensor& y) {
  return rowwise_backward("log_softmax_backward", grad, y,
                          [](Device device, int64_t rows, int64_t cols, const float* saved, const float* g, float* dx) {
                            if (device.is_cpu())
                              cpu::log_softmax_backward(rows, cols, saved, g, dx);
                            else if constexpr (kCudaBuilt)
                              cuda::log_softmax_backward(rows, cols, saved, g, dx, device.index);
                          });
}

}  // namespace ironnet::ops
