#include "ops/gemm.h"

#include <omp.h>

#include <string>

#include "ironnet/cuda/gemm.h"
#include "ironnet/errors.h"
#include "ironnet/gemm.h"
#include "ironnet/parallel.h"
#include "ops/device.h"

namespace ironnet::ops {
namespace {

std::string describe(const char* name, const Tensor& t) {
  return std::string(name) + " " + shape_str(t.shape()) + " " + dtype_name(t.dtype()) + " on " + t.device().str();
}

void check_float32(const char* op, const Tensor& a, const Tensor& b) {
  if (a.dtype() != DType::Float32 || b.dtype() != DType::Float32)
    fail<TypeError>(op, ": expected float32 tensors, got ", describe("a", a), " and ", describe("b", b));
}

// True when the memory the two views touch can overlap (conservative: compares byte ranges).
// Compares addresses, not Storage objects: two tensors borrowed from the same NumPy array (or any
// producer's memory) have separate Storage objects yet share bytes.
bool may_overlap(const Tensor& x, const Tensor& y) {
  if (x.device() != y.device() || x.numel() == 0 || y.numel() == 0) return false;
  auto range = [](const Tensor& t, const char** lo, const char** hi) {
    *lo = static_cast<const char*>(t.raw_data());
    *hi = *lo + span_elements(t.shape(), t.strides()) * static_cast<int64_t>(t.itemsize());
  };
  const char *xl, *xh, *yl, *yh;
  range(x, &xl, &xh);
  range(y, &yl, &yh);
  return xl < yh && yl < xh;
}

// The output of a 2-D product (m x n): c itself once it checks out, or a fresh tensor when c is null.
// `b` may be null (a prepacked B is a private copy that c cannot overlap); b_shape is for messages.
Tensor gemm_output(const char* op, const Tensor& a, const Tensor* b, const std::string& b_shape, const Tensor* c,
                   int64_t m, int64_t n, float beta) {
  if (c == nullptr) {
    if (beta != 0.0f) fail<ValueError>(op, ": beta=", beta, " needs an output tensor c to scale");
    return Tensor::empty({m, n}, DType::Float32, a.device());
  }
  const Tensor& out = *c;
  if (out.dtype() != DType::Float32) fail<TypeError>(op, ": c must be float32, got ", describe("c", out));
  if (out.dim() != 2 || out.size(0) != m || out.size(1) != n)
    fail<ValueError>(op, ": c has shape ", shape_str(out.shape()), " but a ", shape_str(a.shape()), " and b ", b_shape,
                     " give (", m, ", ", n, ")");
  // An empty C has no layout to check (NumPy gives empty arrays all-zero strides).
  const bool has_elements = m > 0 && n > 0;
  if (has_elements && n > 1 && out.stride(1) != 1)
    fail<ValueError>(op, ": c ", shape_str(out.shape()), " must have contiguous rows (strides ",
                     shape_str(out.strides()), ")");
  if (has_elements && m > 1 && out.stride(0) < n)
    fail<ValueError>(op, ": c ", shape_str(out.shape()), " has overlapping rows (strides ", shape_str(out.strides()),
                     ")");
  if (may_overlap(out, a) || (b && may_overlap(out, *b)))
    fail<ValueError>(op, ": c ", shape_str(out.shape()), " overlaps an input; write to a separate tensor");
  return out;
}

// Runs C = alpha * A B + beta * C on whichever device the tensors live on.
void run_gemm(Device device, const GemmArgs& g) {
  if (device.is_cpu()) {
    cpu::gemm(g);
  } else if constexpr (kCudaBuilt) {
    cuda::gemm(g.m, g.n, g.k, g.a, g.a_row_stride, g.a_col_stride, g.b, g.b_row_stride, g.b_col_stride, g.c,
               g.ldc, g.alpha, g.beta, device.index);
  }
}

}  // namespace

Tensor gemm(const Tensor& a, const Tensor& b, const Tensor* c, bool trans_a, bool trans_b, float alpha,
            float beta) {
  constexpr const char* op = "gemm";
  check_float32(op, a, b);
  if (a.dim() != 2 || b.dim() != 2)
    fail<ValueError>(op, ": expected 2-D tensors, got a ", shape_str(a.shape()), " and b ", shape_str(b.shape()),
                     " (use matmul or @ for batched 3-D)");
  const Device device = common_device(op, {{"a", &a}, {"b", &b}, {"c", c}});
  const int64_t m = trans_a ? a.size(1) : a.size(0), k = trans_a ? a.size(0) : a.size(1);
  const int64_t kb = trans_b ? b.size(1) : b.size(0), n = trans_b ? b.size(0) : b.size(1);
  if (k != kb)
    fail<ValueError>(op, ": inner dimensions differ: a ", shape_str(a.shape()), (trans_a ? " transposed" : ""),
                     " is ", m, "x", k, " but b ", shape_str(b.shape()), (trans_b ? " transposed" : ""), " is ", kb,
                     "x", n);

  Tensor out = gemm_output(op, a, &b, shape_str(b.shape()), c, m, n, beta);

  GemmArgs g;
  g.m = m, g.n = n, g.k = k;
  g.a = a.data<float>();
  g.a_row_stride = trans_a ? a.stride(1) : a.stride(0);
  g.a_col_stride = trans_a ? a.stride(0) : a.stride(1);
  g.b = b.data<float>();
  g.b_row_stride = trans_b ? b.stride(1) : b.stride(0);
  g.b_col_stride = trans_b ? b.stride(0) : b.stride(1);
  g.c = out.data<float>();
  g.ldc = m > 1 ? out.stride(0) : n;
  g.alpha = alpha, g.beta = beta;
  run_gemm(device, g);
  return out;
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  constexpr const char* op = "matmul";
  check_float32(op, a, b);
  const Device device = common_device(op, {{"a", &a}, {"b", &b}});
  if (a.dim() < 2 || a.dim() > 3 || b.dim() < 2 || b.dim() > 3)
    fail<ValueError>(op, ": expected 2-D or 3-D tensors, got a ", shape_str(a.shape()), " and b ",
                     shape_str(b.shape()));
  // View both as (batch, rows, cols) with batch stride 0 where an operand is broadcast.
  const int64_t ab = a.dim() == 3 ? a.size(0) : 1, bb = b.dim() == 3 ? b.size(0) : 1;
  const int64_t m = a.size(a.dim() - 2), k = a.size(a.dim() - 1);
  const int64_t kb = b.size(b.dim() - 2), n = b.size(b.dim() - 1);
  if (k != kb || (ab != bb && ab != 1 && bb != 1))
    fail<ValueError>(op, ": shapes do not match: a ", shape_str(a.shape()), " and b ", shape_str(b.shape()),
                     " (need a (..., M, K), b (..., K, N) and equal or broadcastable batches)");
  if (a.dim() == 2 && b.dim() == 2) return gemm(a, b, nullptr, false, false, 1.0f, 0.0f);
  // A batch of 1 broadcasts against any other batch, including an empty one.
  const int64_t batch = (ab == 0 || bb == 0) ? 0 : (ab > bb ? ab : bb);
  const int64_t a_bs = (a.dim() == 3 && ab > 1) ? a.stride(0) : 0;
  const int64_t b_bs = (b.dim() == 3 && bb > 1) ? b.stride(0) : 0;
  Tensor out = Tensor::empty({batch, m, n}, DType::Float32, a.device());

  GemmArgs g;
  g.m = m, g.n = n, g.k = k;
  g.a_row_stride = a.stride(a.dim() - 2), g.a_col_stride = a.stride(a.dim() - 1);
  g.b_row_stride = b.stride(b.dim() - 2), g.b_col_stride = b.stride(b.dim() - 1);
  g.ldc = n;
  const float* a0 = a.data<float>();
  const float* b0 = b.data<float>();
  float* c0 = out.data<float>();

  if (!device.is_cpu()) {  // the whole batch in one launch (the grid's z dimension)
    if constexpr (kCudaBuilt) {
      cuda::gemm_batched(batch, m, n, k, cuda::GemmOperand{a0, g.a_row_stride, g.a_col_stride, a_bs},
                         cuda::GemmOperand{b0, g.b_row_stride, g.b_col_stride, b_bs}, c0, n, m * n,
                         cuda::GemmEpilogue{}, device.index);
    }
    return out;
  }

  // A shared B and A's rows stacked evenly: the whole batch is one tall GEMM.
  if (b_bs == 0 && batch > 1 && a_bs == m * g.a_row_stride) {
    g.m = batch * m;
    g.a = a0, g.b = b0, g.c = c0;
    run_gemm(out.device(), g);
    return out;
  }
  auto one = [&](int64_t i, int threads) {
    GemmArgs gi = g;
    gi.a = a0 + i * a_bs, gi.b = b0 + i * b_bs, gi.c = c0 + i * m * n;
    cpu::gemm(gi, threads);
  };
  // Many small products run one per thread; large ones use all threads each.
  const bool per_thread = batch > 1 && static_cast<double>(m) * n * k < 128.0 * 128 * 128;
  if (per_thread) {
#pragma omp parallel for num_threads(get_num_threads()) schedule(static)
    for (int64_t i = 0; i < batch; ++i) one(i, 1);
  } else {
    for (int64_t i = 0; i < batch; ++i) one(i, 0);
  }
  return out;
}

std::shared_ptr<cpu::PackedB> pack_b(const Tensor& b, bool trans_b) {
  constexpr const char* op = "pack_b";
  if (b.dtype() != DType::Float32) fail<TypeError>(op, ": expected a float32 tensor, got ", describe("b", b));
  if (b.dim() != 2) fail<ValueError>(op, ": expected a 2-D tensor, got b ", shape_str(b.shape()));
  if (!b.device().is_cpu()) fail<ValueError>(op, ": prepacked B is a CPU layout; got ", describe("b", b));
  const int64_t k = trans_b ? b.size(1) : b.size(0), n = trans_b ? b.size(0) : b.size(1);
  const int64_t rs = trans_b ? b.stride(1) : b.stride(0), cs = trans_b ? b.stride(0) : b.stride(1);
  return std::make_shared<cpu::PackedB>(b.data<float>(), rs, cs, k, n, active_isa());
}

Tensor gemm(const Tensor& a, const cpu::PackedB& b, const Tensor* c, bool trans_a, float alpha, float beta) {
  constexpr const char* op = "gemm";
  const std::string b_shape = "(packed " + std::to_string(b.k()) + "x" + std::to_string(b.n()) + ")";
  if (a.dtype() != DType::Float32) fail<TypeError>(op, ": expected float32 tensors, got ", describe("a", a));
  if (a.dim() != 2) fail<ValueError>(op, ": expected a 2-D a, got ", shape_str(a.shape()), " with b ", b_shape);
  if (!a.device().is_cpu()) fail<ValueError>(op, ": b is prepacked on the CPU but ", describe("a", a));
  const int64_t m = trans_a ? a.size(1) : a.size(0), k = trans_a ? a.size(0) : a.size(1);
  if (k != b.k())
    fail<ValueError>(op, ": inner dimensions differ: a ", shape_str(a.shape()), (trans_a ? " transposed" : ""),
                     " is ", m, "x", k, " but b ", b_shape, " is ", b.k(), "x", b.n());
  Tensor out = gemm_output(op, a, nullptr, b_shape, c, m, b.n(), beta);
  GemmArgs g;
  g.m = m, g.n = b.n(), g.k = k;
  g.a = a.data<float>();
  g.a_row_stride = trans_a ? a.stride(1) : a.stride(0);
  g.a_col_stride = trans_a ? a.stride(0) : a.stride(1);
  g.c = out.data<float>();
  g.ldc = m > 1 ? out.stride(0) : b.n();
  g.alpha = alpha, g.beta = beta;
  cpu::gemm(g, b);
  return out;
}

}  // namespace ironnet::ops
