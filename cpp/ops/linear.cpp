#include "ops/linear.h"

#include "ironnet/activations.h"
#include "ironnet/cuda/activations.h"
#include "ironnet/cuda/gemm.h"
#include "ironnet/cuda/linear.h"
#include "ironnet/errors.h"
#include "ironnet/gemm.h"
#include "ironnet/linear.h"
#include "ops/device.h"
#include "ops/gemm.h"

namespace ironnet::ops {
namespace {

void check(const char* op, const char* name, const Tensor& t, int64_t rank) {
  if (t.dtype() != DType::Float32)
    fail<TypeError>(op, ": ", name, " must be float32, got ", dtype_name(t.dtype()), " ", shape_str(t.shape()));
  if (t.dim() != rank) fail<ValueError>(op, ": ", name, " must be ", rank, "-D, got ", shape_str(t.shape()));
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& w, const Tensor* b, bool relu) {
  constexpr const char* op = "linear";
  check(op, "x", x, 2);
  check(op, "kernel", w, 2);
  if (x.size(1) != w.size(0))
    fail<ValueError>(op, ": x ", shape_str(x.shape()), " has ", x.size(1), " features but the kernel ",
                     shape_str(w.shape()), " expects ", w.size(0));
  if (b) {
    check(op, "bias", *b, 1);
    if (b->size(0) != w.size(1))
      fail<ValueError>(op, ": bias ", shape_str(b->shape()), " does not match the kernel's ", w.size(1), " units ",
                       shape_str(w.shape()));
  }
  const Device device = common_device(op, {{"x", &x}, {"kernel", &w}, {"bias", b}});
  if (!device.is_cpu()) {
    // One launch: the bias and the relu are the GEMM's epilogue.
    Tensor out = Tensor::empty({x.size(0), w.size(1)}, DType::Float32, device);
    if constexpr (kCudaBuilt) {
      const Tensor bias = b ? b->contiguous() : Tensor();
      cuda::GemmEpilogue epilogue;
      epilogue.bias = b ? bias.data<float>() : nullptr;
      epilogue.relu = relu;
      cuda::gemm_batched(1, x.size(0), w.size(1), x.size(1), cuda::GemmOperand{x.data<float>(), x.stride(0), x.stride(1), 0},
                         cuda::GemmOperand{w.data<float>(), w.stride(0), w.stride(1), 0}, out.data<float>(), w.size(1),
                         0, epilogue, device.index);
    }
    return out;
  }
  Tensor out;
  if (!b) {
    out = gemm(x, w, nullptr, false, false, 1.0f, 0.0f);
  } else {
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
  const Device device = common_device(op, {{"dy", &dy_in}, {"x", &x}, {"kernel", &w}, {"relu output", relu_output}});
  if (dy_in.size(0) != x.size(0) || dy_in.size(1) != w.size(1))
    fail<ValueError>(op, ": dy ", shape_str(dy_in.shape()), " does not match x ", shape_str(x.shape()), " @ kernel ",
                     shape_str(w.shape()));
  Tensor dy = dy_in;
  if (relu_output) {  // the gradient flows only where the relu let the value through
    if (relu_output->shape() != dy_in.shape())
      fail<ValueError>(op, ": relu output ", shape_str(relu_output->shape()), " does not match dy ",
                       shape_str(dy_in.shape()));
    const Tensor y = relu_output->contiguous(), g = dy_in.contiguous();
    dy = Tensor::empty(dy_in.shape(), DType::Float32, device);
    if (device.is_cpu())
      cpu::relu_backward(dy.numel(), y.data<float>(), g.data<float>(), dy.data<float>());
    else if constexpr (kCudaBuilt)
      cuda::relu_backward(dy.numel(), y.data<float>(), g.data<float>(), dy.data<float>(), device.index);
  }
  LinearGrads grads;
  if (need_dx) grads.dx = gemm(dy, w, nullptr, false, true, 1.0f, 0.0f);
  if (need_dw) grads.dw = gemm(x, dy, nullptr, true, false, 1.0f, 0.0f);
  if (need_db) {
    const Tensor dense = dy.contiguous();
    const int64_t rows = dense.size(0), cols = dense.size(1);
    grads.db = Tensor::empty({cols}, DType::Float32, device);
    if (device.is_cpu()) {
      cpu::column_sums(rows, cols, dense.data<float>(), cols, grads.db.data<float>());
    } else if constexpr (kCudaBuilt) {
      // ironnet has no float64 dtype: the double partial sums live in int64-sized words.
      const int64_t chunks = (rows + cuda::kColumnSumChunk - 1) / cuda::kColumnSumChunk;
      Tensor partials = Tensor::empty({chunks, cols}, DType::Int64, device);
      cuda::linear_column_sums(rows, cols, dense.data<float>(), cols, static_cast<double*>(partials.raw_data()),
                               grads.db.data<float>(), device.index);
    }
  }
  return grads;
}

}  // namespace ironnet::ops
