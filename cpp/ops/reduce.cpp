#include "ops/reduce.h"

#include <algorithm>
#include <utility>

#include "ironnet/cuda/elementwise.h"
#include "ironnet/cuda/reduce.h"
#include "ironnet/elementwise.h"
#include "ironnet/errors.h"
#include "ops/device.h"

namespace ironnet::ops {
namespace {

void require_float32(const char* op, const Tensor& x) {
  if (x.dtype() != DType::Float32)
    fail<TypeError>(op, ": expected a float32 tensor, got ", shape_str(x.shape()), " ", dtype_name(x.dtype()));
}

// Sums x over the dimensions flagged in `reduced` into a fresh contiguous tensor of `out_shape`,
// whose elements are the kept dimensions in order (sizes of 1 may be inserted or dropped).
Tensor reduce(const Tensor& x, const std::vector<bool>& reduced, const Shape& out_shape, double scale_per_count,
              bool divide_by_count) {
  Tensor out = Tensor::empty(out_shape, DType::Float32, x.device());
  int64_t count = 1;
  for (size_t d = 0; d < reduced.size(); ++d)
    if (reduced[d]) count *= x.size(static_cast<int64_t>(d));
  const double scale = divide_by_count ? scale_per_count / static_cast<double>(count) : scale_per_count;
  if (out.numel() == 0) return out;
  const Device device = x.device();
  float* dst = out.data<float>();
  if (x.numel() == 0) {  // an empty sum: 0 (or 0/0 = NaN for a mean)
    const float value = static_cast<float>(0.0 * scale);
    if (device.is_cpu()) {
      for (int64_t i = 0; i < out.numel(); ++i) dst[i] = value;
    } else if constexpr (kCudaBuilt) {
      cuda::fill(out.numel(), value, dst, device.index);
    }
    return out;
  }
  // Split the dimensions into kept and reduced lists. The kernel walks each list with its own
  // offsets, so each is coalesced on its own: kept dimensions stay in order (they index out
  // row-major); reduced ones are first sorted by stride, largest first, since a sum's order is free
  // (a transposed or permuted view then reduces as one contiguous run).
  std::vector<std::pair<int64_t, int64_t>> kept, summed;  // (size, stride), size-1 dimensions dropped
  for (size_t d = 0; d < reduced.size(); ++d)
    if (x.shape()[d] != 1) (reduced[d] ? summed : kept).emplace_back(x.shape()[d], x.strides()[d]);
  std::stable_sort(summed.begin(), summed.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  Shape ks, kst, rs, rst;
  const auto coalesce = [](const std::vector<std::pair<int64_t, int64_t>>& dims, Shape& sizes, Shape& strides) {
    for (const auto& [n, s] : dims) {
      if (!sizes.empty() && strides.back() == s * n) {
        sizes.back() *= n;
        strides.back() = s;
      } else {
        sizes.push_back(n);
        strides.push_back(s);
      }
    }
  };
  coalesce(kept, ks, kst);
  coalesce(summed, rs, rst);
  if (device.is_cpu()) {
    cpu::reduce_sum(x.data<float>(), static_cast<int>(ks.size()), ks.data(), kst.data(), static_cast<int>(rs.size()),
                    rs.data(), rst.data(), scale, dst);
  } else if constexpr (kCudaBuilt) {
    const cuda::ReduceDims dims{static_cast<int>(ks.size()), ks.data(), kst.data(),
                                static_cast<int>(rs.size()), rs.data(), rst.data()};
    // Partial sums of split reductions, in doubles: allocated as float32 pairs (a fresh allocation is
    // aligned far beyond 8 bytes).
    const int64_t workspace_bytes = cuda::reduce_sum_workspace_bytes(dims);
    Tensor workspace;
    if (workspace_bytes > 0)
      workspace = Tensor::empty({workspace_bytes / static_cast<int64_t>(sizeof(float))}, DType::Float32, device);
    cuda::reduce_sum(x.data<float>(), dims, scale, dst, workspace.defined() ? workspace.raw_data() : nullptr,
                     device.index);
  }
  return out;
}

Tensor reduce_axes(const char* op, const Tensor& x, const std::optional<std::vector<int64_t>>& axes, bool keepdims,
                   bool divide) {
  require_float32(op, x);
  const int64_t rank = x.dim();
  std::vector<bool> reduced(static_cast<size_t>(rank), !axes.has_value());
  if (axes) {
    for (int64_t a : *axes) {
      const int64_t d = a < 0 ? a + rank : a;
      if (d < 0 || d >= rank)
        fail<ValueError>(op, ": axis ", a, " is out of range for a tensor of shape ", shape_str(x.shape()));
      if (reduced[d]) fail<ValueError>(op, ": axis ", a, " repeated for a tensor of shape ", shape_str(x.shape()));
      reduced[d] = true;
    }
  }
  Shape out_shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced[d])
      out_shape.push_back(x.size(d));
    else if (keepdims)
      out_shape.push_back(1);
  }
  return reduce(x, reduced, out_shape, 1.0, divide);
}

}  // namespace

Tensor sum(const Tensor& x, const std::optional<std::vector<int64_t>>& axes, bool keepdims) {
  return reduce_axes("sum", x, axes, keepdims, false);
}

Tensor mean(const Tensor& x, const std::optional<std::vector<int64_t>>& axes, bool keepdims) {
  return reduce_axes("mean", x, axes, keepdims, true);
}

Tensor sum_to_shape(const Tensor& x, const Shape& shape, float scale) {
  constexpr const char* op = "sum_to_shape";
  require_float32(op, x);
  const size_t rank = x.shape().size();
  bool ok = shape.size() <= rank;
  std::vector<bool> reduced(rank, false);
  for (size_t d = 0; ok && d < rank; ++d) {
    if (d < rank - shape.size()) {
      reduced[d] = true;  // a leading dimension the operand did not have
      continue;
    }
    const int64_t target = shape[d - (rank - shape.size())];
    if (target == x.shape()[d]) continue;
    if (target == 1)
      reduced[d] = true;
    else
      ok = false;
  }
  if (!ok)
    fail<ValueError>(op, ": cannot sum a tensor of shape ", shape_str(x.shape()), " to shape ", shape_str(shape),
                     " (it is not a broadcast of it)");
  if (scale == 1.0f && x.shape() == shape) return x;
  return reduce(x, reduced, shape, scale, false);
}

}  // namespace ironnet::ops
