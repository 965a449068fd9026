#include "ops/conv2d.h"

#include "ironnet/cuda/conv2d.h"
#include "ironnet/errors.h"
#include "ops/device.h"

namespace ironnet::ops {
namespace {

void check(const char* op, const char* name, const Tensor& t, int64_t rank, const char* layout) {
  if (t.dtype() != DType::Float32)
    fail<TypeError>(op, ": ", name, " must be float32, got ", dtype_name(t.dtype()), " ", shape_str(t.shape()));
  if (t.dim() != rank) fail<ValueError>(op, ": ", name, " must be ", rank, "-D ", layout, ", got ", shape_str(t.shape()));
}

// A float32 GPU buffer of n elements for a launcher's workspace (none when n == 0).
Tensor workspace(int64_t n, Device device) {
  return n == 0 ? Tensor() : Tensor::empty({n}, DType::Float32, device);
}
float* data_or_null(const Tensor& t) { return t.defined() ? t.data<float>() : nullptr; }

std::string pair_str(int64_t a, int64_t b) { return shape_str({a, b}); }

}  // namespace

cpu::Conv2dShape conv2d_shape(const char* op, const Tensor& x, const Tensor& w, const Conv2dGeometry& g) {
  check(op, "x", x, 4, "(N, H, W, C_in)");
  check(op, "kernel", w, 4, "(kh, kw, C_in, C_out)");
  if (x.size(3) != w.size(2))
    fail<ValueError>(op, ": x ", shape_str(x.shape()), " has ", x.size(3), " channels but the kernel ",
                     shape_str(w.shape()), " expects ", w.size(2));
  if (g.stride_h < 1 || g.stride_w < 1)
    fail<ValueError>(op, ": strides must be >= 1, got ", pair_str(g.stride_h, g.stride_w));
  if (g.dilation_h < 1 || g.dilation_w < 1)
    fail<ValueError>(op, ": dilation_rate must be >= 1, got ", pair_str(g.dilation_h, g.dilation_w));
  if (g.pad_top < 0 || g.pad_bottom < 0 || g.pad_left < 0 || g.pad_right < 0)
    fail<ValueError>(op, ": padding must be >= 0, got ((", g.pad_top, ", ", g.pad_bottom, "), (", g.pad_left, ", ",
                     g.pad_right, "))");
  cpu::Conv2dShape s{x.size(0), x.size(1), x.size(2), x.size(3), w.size(0), w.size(1), w.size(3), 0, 0, g};
  const int64_t span_h = g.dilation_h * (s.kh - 1) + 1, span_w = g.dilation_w * (s.kw - 1) + 1;
  const int64_t padded_h = s.h + g.pad_top + g.pad_bottom, padded_w = s.w + g.pad_left + g.pad_right;
  if (s.kh < 1 || s.kw < 1 || span_h > padded_h || span_w > padded_w)
    fail<ValueError>(op, ": the kernel ", shape_str(w.shape()), " with dilation ", pair_str(g.dilation_h, g.dilation_w),
                     " spans ", span_h, "x", span_w, " but x ", shape_str(x.shape()), " padded is only ", padded_h, "x",
                     padded_w, ": no output pixel would remain");
  s.ho = (padded_h - span_h) / g.stride_h + 1;
  s.wo = (padded_w - span_w) / g.stride_w + 1;
  return s;
}

Tensor conv2d_bias(const char* op, const Tensor& b, const cpu::Conv2dShape& s, const Tensor& w) {
  check(op, "bias", b, 1, "(C_out,)");
  if (b.size(0) != s.c_out)
    fail<ValueError>(op, ": bias ", shape_str(b.shape()), " does not match the kernel's ", s.c_out, " filters ",
                     shape_str(w.shape()));
  return b.contiguous();
}

Tensor conv2d(const Tensor& x_in, const Tensor& w_in, const Tensor* b, const Conv2dGeometry& g, bool relu) {
  constexpr const char* op = "conv2d";
  const cpu::Conv2dShape s = conv2d_shape(op, x_in, w_in, g);
  const Tensor bias = b ? conv2d_bias(op, *b, s, w_in) : Tensor();
  const Device device = common_device(op, {{"x", &x_in}, {"kernel", &w_in}, {"bias", b}});
  const Tensor x = x_in.contiguous(), w = w_in.contiguous();
  Tensor y = Tensor::empty({s.n, s.ho, s.wo, s.c_out}, DType::Float32, x.device());
  if (device.is_cpu())
    cpu::conv2d_forward(s, x.data<float>(), w.data<float>(), b ? bias.data<float>() : nullptr, relu, y.data<float>());
  else if constexpr (kCudaBuilt)
    cuda::conv2d_forward(s, x.data<float>(), w.data<float>(), b ? bias.data<float>() : nullptr, relu,
                         y.data<float>(), device.index);
  return y;
}

void conv2d_backward_cuda(const cpu::Conv2dShape& s, const Tensor& dy, const Tensor* relu_y, const Tensor& x,
                          const Tensor& w, Conv2dGrads& grads) {
  if constexpr (kCudaBuilt) {
    const Device device = dy.device();
    const float* mask = relu_y ? relu_y->data<float>() : nullptr;
    if (grads.dx.defined())
      cuda::conv2d_backward_data(s, dy.data<float>(), mask, w.data<float>(), grads.dx.data<float>(), device.index);
    if (grads.dw.defined()) {
      const Tensor slices = workspace(cuda::conv2d_backward_weight_workspace(s), device);
      cuda::conv2d_backward_weight(s, dy.data<float>(), mask, x.data<float>(), grads.dw.data<float>(),
                                   data_or_null(slices), device.index);
    }
    if (grads.db.defined()) {
      const Tensor slices = workspace(cuda::conv2d_backward_bias_workspace(s), device);
      cuda::conv2d_backward_bias(s, dy.data<float>(), mask, grads.db.data<float>(), data_or_null(slices),
                                 device.index);
    }
  }
}

Conv2dGrads conv2d_backward(const Tensor& dy_in, const Tensor& x_in, const Tensor& w_in, const Conv2dGeometry& g,
                            bool need_dx, bool need_dw, bool need_db, const Tensor* relu_output) {
  constexpr const char* op = "conv2d_backward";
  const cpu::Conv2dShape s = conv2d_shape(op, x_in, w_in, g);
  check(op, "dy", dy_in, 4, "(N, Ho, Wo, C_out)");
  const Shape out_shape{s.n, s.ho, s.wo, s.c_out};
  if (dy_in.shape() != out_shape)
    fail<ValueError>(op, ": dy ", shape_str(dy_in.shape()), " does not match the output ", shape_str(out_shape),
                     " of x ", shape_str(x_in.shape()), " and kernel ", shape_str(w_in.shape()));
  Tensor relu_y;
  if (relu_output) {
    check(op, "relu output", *relu_output, 4, "(N, Ho, Wo, C_out)");
    if (relu_output->shape() != out_shape)
      fail<ValueError>(op, ": relu output ", shape_str(relu_output->shape()), " does not match dy ",
                       shape_str(out_shape));
    relu_y = relu_output->contiguous();
  }
  const Device device =
      common_device(op, {{"dy", &dy_in}, {"x", &x_in}, {"kernel", &w_in}, {"relu output", relu_output}});
  const Tensor dy = dy_in.contiguous(), x = x_in.contiguous(), w = w_in.contiguous();
  Conv2dGrads grads;
  if (need_dx) grads.dx = Tensor::empty(x.shape(), DType::Float32, x.device());
  if (need_dw) grads.dw = Tensor::empty(w.shape(), DType::Float32, w.device());
  if (need_db) grads.db = Tensor::empty({s.c_out}, DType::Float32, w.device());
  if (!(need_dx || need_dw || need_db)) return grads;
  if (device.is_cpu())
    cpu::conv2d_backward(s, dy.data<float>(), relu_output ? relu_y.data<float>() : nullptr, x.data<float>(),
                         w.data<float>(), data_or_null(grads.dx), data_or_null(grads.dw), data_or_null(grads.db));
  else
    conv2d_backward_cuda(s, dy, relu_output ? &relu_y : nullptr, x, w, grads);
  return grads;
}

}  // namespace ironnet::ops
