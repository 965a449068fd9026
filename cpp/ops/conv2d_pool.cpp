#include "ops/conv2d_pool.h"

#include "ironnet/activations.h"
#include "ironnet/conv2d_pool.h"
#include "ironnet/cuda/conv2d.h"
#include "ironnet/cuda/pooling.h"
#include "ironnet/errors.h"
#include "ops/device.h"

namespace ironnet::ops {
namespace {

// The pooling of conv s's output (N, Ho, Wo, C_out); ValueError naming `op` when the windows do not fit.
cpu::Pool2dGeometry pooling_of(const char* op, const cpu::Conv2dShape& s, const MaxPoolWindows& windows) {
  return pool2d_geometry(op, {s.n, s.ho, s.wo, s.c_out}, windows.pool, windows.strides, windows.padding);
}

Shape pooled_shape(const cpu::Pool2dGeometry& p) { return {p.batch, p.out_h, p.out_w, p.channels}; }

// One of the backward's pooled-side inputs, checked against the forward's pooled shape; returned contiguous.
Tensor pooled_input(const char* op, const char* name, const Tensor& t, DType dtype, const Shape& expected) {
  if (t.dtype() != dtype)
    fail<TypeError>(op, ": ", name, " must be ", dtype_name(dtype), ", got ", dtype_name(t.dtype()), " ",
                    shape_str(t.shape()));
  if (t.shape() != expected)
    fail<ValueError>(op, ": ", name, " ", shape_str(t.shape()), " does not match the pooled output ",
                     shape_str(expected));
  return t.contiguous();
}

}  // namespace

std::pair<Tensor, Tensor> conv2d_relu_max_pool2d(const Tensor& x_in, const Tensor& w_in, const Tensor* b,
                                                 const Conv2dGeometry& g, const MaxPoolWindows& windows) {
  constexpr const char* op = "conv2d_relu_max_pool2d";
  const cpu::Conv2dShape s = conv2d_shape(op, x_in, w_in, g);
  const Tensor bias = b ? conv2d_bias(op, *b, s, w_in) : Tensor();
  const cpu::Pool2dGeometry p = pooling_of(op, s, windows);
  const Device device = common_device(op, {{"x", &x_in}, {"kernel", &w_in}, {"bias", b}});
  const Tensor x = x_in.contiguous(), w = w_in.contiguous();
  Tensor pooled = Tensor::empty(pooled_shape(p), DType::Float32, x.device());
  Tensor argmax = Tensor::empty(pooled_shape(p), DType::Int32, x.device());
  {
    // The full-size conv output lives only until it is pooled: the backward never reads it.
    Tensor y = Tensor::empty({s.n, s.ho, s.wo, s.c_out}, DType::Float32, x.device());
    if (device.is_cpu()) {
      cpu::conv2d_forward(s, x.data<float>(), w.data<float>(), b ? bias.data<float>() : nullptr, true,
                          y.data<float>());
      cpu::max_pool2d_forward(p, y.data<float>(), pooled.data<float>(), argmax.data<int32_t>());
    } else if constexpr (kCudaBuilt) {
      cuda::conv2d_forward(s, x.data<float>(), w.data<float>(), b ? bias.data<float>() : nullptr, true,
                           y.data<float>(), device.index);
      cuda::max_pool2d_forward(p, y.data<float>(), pooled.data<float>(), argmax.data<int32_t>(), device.index);
    }
  }
  return {pooled, argmax};
}

Conv2dGrads conv2d_relu_max_pool2d_backward(const Tensor& dpooled_in, const Tensor& pooled_in, const Tensor& argmax_in,
                                            const Tensor& x_in, const Tensor& w_in, const Conv2dGeometry& g,
                                            const MaxPoolWindows& windows, bool need_dx, bool need_dw, bool need_db) {
  constexpr const char* op = "conv2d_relu_max_pool2d_backward";
  const cpu::Conv2dShape s = conv2d_shape(op, x_in, w_in, g);
  const cpu::Pool2dGeometry p = pooling_of(op, s, windows);
  const Shape out = pooled_shape(p);
  const Tensor dpooled = pooled_input(op, "dpooled", dpooled_in, DType::Float32, out);
  const Tensor pooled = pooled_input(op, "pooled", pooled_in, DType::Float32, out);
  const Tensor argmax = pooled_input(op, "argmax", argmax_in, DType::Int32, out);
  const Device device = common_device(op, {{"dpooled", &dpooled_in}, {"pooled", &pooled_in}, {"argmax", &argmax_in},
                                           {"x", &x_in}, {"kernel", &w_in}});
  const Tensor x = x_in.contiguous(), w = w_in.contiguous();
  Conv2dGrads grads;
  if (!device.is_cpu()) {
    // The GPU composes its two kernels: max pooling's backward, masked by relu where pooled <= 0, builds
    // the full-size conv gradient, from which conv2d's backward computes every gradient asked for (the
    // same sums as the CPU's pooled-side rule, where the conv gradient is zero off the argmaxes).
    if (!(need_dx || need_dw || need_db)) return grads;
    if (need_dx) grads.dx = Tensor::empty(x.shape(), DType::Float32, x.device());
    if (need_dw) grads.dw = Tensor::empty(w.shape(), DType::Float32, w.device());
    if (need_db) grads.db = Tensor::empty({s.c_out}, DType::Float32, w.device());
    Tensor dy = Tensor::empty({s.n, s.ho, s.wo, s.c_out}, DType::Float32, x.device());
    if constexpr (kCudaBuilt)
      cuda::max_pool2d_backward(p, dpooled.data<float>(), pooled.data<float>(), argmax.data<int32_t>(),
                                dy.data<float>(), device.index);
    conv2d_backward_cuda(s, dy, nullptr, x, w, grads);
    return grads;
  }
  if (need_dw || need_db) {
    // The kernel always writes dw; a frozen kernel with a trainable bias gets a scratch one.
    Tensor dw = Tensor::empty(w.shape(), DType::Float32, w.device());
    if (need_db) grads.db = Tensor::empty({s.c_out}, DType::Float32, w.device());
    cpu::conv2d_relu_max_pool2d_weight_grad(s, p, dpooled.data<float>(), pooled.data<float>(),
                                            argmax.data<int32_t>(), x.data<float>(), dw.data<float>(),
                                            need_db ? grads.db.data<float>() : nullptr);
    if (need_dw) grads.dw = dw;
  }
  if (need_dx) {
    // relu's mask at each argmax is pooled > 0; max pooling's backward puts the masked gradient at the
    // argmaxes of a full-size conv gradient (zero elsewhere), whose dx conv2d's backward computes.
    Tensor masked = Tensor::empty(out, DType::Float32, x.device());
    cpu::relu_backward(p.batch * p.out_h * p.out_w * p.channels, pooled.data<float>(), dpooled.data<float>(),
                       masked.data<float>());
    Tensor dy = Tensor::empty({s.n, s.ho, s.wo, s.c_out}, DType::Float32, x.device());
    cpu::max_pool2d_backward(p, masked.data<float>(), argmax.data<int32_t>(), dy.data<float>());
    grads.dx = Tensor::empty(x.shape(), DType::Float32, x.device());
    cpu::conv2d_backward(s, dy.data<float>(), nullptr, x.data<float>(), w.data<float>(), grads.dx.data<float>(),
                         nullptr, nullptr);
  }
  return grads;
}

}  // namespace ironnet::ops
