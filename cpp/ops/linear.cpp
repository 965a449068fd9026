#include "ops/linear.h"

#include "ironnet/activations.h"
#include "ironnet/errors.h"
#include "ironnet/gemm.h"
#include "ironnet/linear.h"
#include "ops/gemm.h"

namespace ironnet::ops {
namespace {

void check(const char* op, const char* name, const Tensor& t, int64_t rank) {
  if (t.dtype() != DType::Float32)
    fail<TypeError>(op, ": ", name, " must be float32, got ", dtype_name(t.dtype()), " ", shape_str(t.shape()));
  if (t.dim() != rank) fail<ValueError>(op, ": ", name, " must be ", rank, "-D, got ", shape_str(t.shape()));
  if (!t.device().is_cpu())
    fail<ValueError>(op, ": ", name, " is on ", t.device().str(),
                     "; not implemented on cuda yet (CPU only until the CUDA backend issue)");
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& w, const Tensor* b, bool relu) {
  constexpr const char* op = "linear";
  check(op, "x", x, 2);
  check(op, "kernel", w, 2);
  if (x.size(1) != w.size(0))
    fail<ValueError>(op, ": x ", shape_str(x.shape()), " has ", x.size(1), " features but the kernel ",
                     shape_str(w.shape()), " expects ", w.size(0));
  Tensor out;
  if (!b) {
    out = gemm(x, w, nullptr, false, false, 1.0f, 0.0f);
  } else {
    check(op, "bias", *b, 1);
  if (b->size(0) != w.size(1))
    fail<ValueError>(op, ": bias ", shape_str(b->shape()), " does not match the kernel's ", w.size(1), " units ",
                     shape_str(w.shape()));
    out = Tensor::empty({x.size(0), w.size(1)}, DType::Float32, x.device());
    const Tensor bias = b->contiguous();
    cpu::broadcast_rows(out.size(0), out.size(1), bias.data<float>(), out.data<float>(), out.size(1));
    gemm(x, w, &out, false, false, 1.0f, 1.0f);  // out = x @ w + bias rows
  }
  if (relu) cpu::relu_forward(out.numel(), out.data<float>(), out.data<float>());  // in place, in cache
  return out;
}

LinearGrads linear_backward(const Tensor& dy_in, const Tensor& x, const Tensor& w, bool need_dx, bool need_dw,
                            bool need_db, const Tensor* relu_output) {
  constexpr const char* op = "linear_backward";
  check(op, "dy", dy_in, 2);
  if (dy_in.size(0) != x.size(0) || dy_in.size(1) != w.size(1))
    fail<ValueError>(op, ": dy ", shape_str(dy_in.shape()), " does not match x ", shape_str(x.shape()), " @ kernel ",
                     shape_str(w.shape()));
  Tensor dy = dy_in;
  if (relu_output) {  // the gradient flows only where the relu let the value through
    if (relu_output->shape() != dy_in.shape())
      fail<ValueError>(op, ": relu output ", shape_str(relu_output->shape()), " does not match dy ",
                       shape_str(dy_in.shape()));
    const Tensor y = relu_output->contiguous(), g = dy_in.contiguous();
    dy = Tensor::empty(dy_in.shape(), DType::Float32, dy_in.device());
    cpu::relu_backward(dy.numel(), y.data<float>(), g.data<float>(), dy.data<float>());
  }
  LinearGrads grads;
  if (need_dx) grads.dx = gemm(dy, w, nullptr, false, true, 1.0f, 0.0f);
  if (need_dw) grads.dw = gemm(x, dy, nullptr, true, false, 1.0f, 0.0f);
  if (need_db) {
    const Tensor dense = dy.contiguous();
    grads.db = Tensor::empty({dy.size(1)}, DType::Float32, dy.device());
    cpu::column_sums(dense.size(0), dense.size(1), dense.data<float>(), dense.size(1), grads.db.data<float>());
  }
  return grads;
}

}  // namespace ironnet::ops
