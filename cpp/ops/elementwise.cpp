#include "ops/elementwise.h"

#include <algorithm>

#include "ironnet/cuda/elementwise.h"
#include "ironnet/errors.h"
#include "ops/device.h"

namespace ironnet::ops {

void axpy_(Tensor& y, const Tensor& x, float alpha) {
  constexpr const char* op = "axpy_";
  if (x.dtype() != DType::Float32 || y.dtype() != DType::Float32)
    fail<TypeError>(op, ": expected float32 tensors, got y ", shape_str(y.shape()), " ", dtype_name(y.dtype()),
                    " and x ", shape_str(x.shape()), " ", dtype_name(x.dtype()));
  if (x.shape() != y.shape())
    fail<ValueError>(op, ": shapes differ: y ", shape_str(y.shape()), " and x ", shape_str(x.shape()));
  const Device device = common_device(op, {{"y", &y}, {"x", &x}});
  if (!y.is_contiguous()) fail<ValueError>(op, ": y ", shape_str(y.shape()), " must be contiguous");
  const Tensor xc = x.contiguous();
  if (device.is_cpu())
    cpu::axpy(y.numel(), alpha, xc.data<float>(), y.data<float>());
  else if constexpr (kCudaBuilt)
    cuda::axpy(y.numel(), alpha, xc.data<float>(), y.data<float>(), device.index);
}

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Aligned at the right: a missing leading dimension counts as 1.
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      fail<ValueError>(op, ": shapes ", shape_str(a), " and ", shape_str(b), " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

namespace {

const char* op_name(cpu::BinaryOp op) {
  switch (op) {
    case cpu::BinaryOp::Add: return "add";
    case cpu::BinaryOp::Sub: return "sub";
    case cpu::BinaryOp::Mul: return "mul";
    case cpu::BinaryOp::Div: return "div";
  }
  return "binary";
}

// t's strides as seen from a broadcast to `shape` (rank >= t.dim()): 0 on stretched dimensions.
Shape broadcast_strides(const Tensor& t, const Shape& shape) {
  Shape strides(shape.size(), 0);
  const size_t lead = shape.size() - t.shape().size();
  for (size_t d = 0; d < t.shape().size(); ++d)
    strides[lead + d] = t.shape()[d] == 1 ? 0 : t.strides()[d];
  return strides;
}

}  // namespace

Tensor binary(cpu::BinaryOp kind, const Tensor& a, const Tensor& b) {
  const char* op = op_name(kind);
  if (a.dtype() != DType::Float32 || b.dtype() != DType::Float32)
    fail<TypeError>(op, ": expected float32 tensors, got ", shape_str(a.shape()), " ", dtype_name(a.dtype()),
                    " and ", shape_str(b.shape()), " ", dtype_name(b.dtype()));
  const Device device = common_device(op, {{"a", &a}, {"b", &b}});
  const Shape shape = broadcast_shapes(op, a.shape(), b.shape());
  Tensor out = Tensor::empty(shape, DType::Float32, device);
  if (out.numel() == 0) return out;

  // Coalesce: drop size-1 dimensions, merge a dimension into the next when both operands step
  // through it as one run (out is contiguous, so it always can).
  const Shape sa = broadcast_strides(a, shape), sb = broadcast_strides(b, shape);
  Shape sizes, as, bs;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    if (!sizes.empty() && as.back() == sa[d] * shape[d] && bs.back() == sb[d] * shape[d]) {
      sizes.back() *= shape[d];
      as.back() = sa[d];
      bs.back() = sb[d];
    } else {
      sizes.push_back(shape[d]);
      as.push_back(sa[d]);
      bs.push_back(sb[d]);
    }
  }
  if (sizes.empty()) sizes = {1}, as = {0}, bs = {0};
  const int rank = static_cast<int>(sizes.size());
  if (device.is_cpu())
    cpu::binary(kind, rank, sizes.data(), a.data<float>(), as.data(), b.data<float>(), bs.data(), out.data<float>());
  else if constexpr (kCudaBuilt)
    cuda::binary(kind, rank, sizes.data(), a.data<float>(), as.data(), b.data<float>(), bs.data(), out.data<float>(),
                 device.index);
  return out;
}

}  // namespace ironnet::ops
