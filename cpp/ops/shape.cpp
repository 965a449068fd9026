#include "ops/shape.h"

#include "ironnet/cuda/shape.h"
#include "ironnet/errors.h"
#include "ops/device.h"

namespace ironnet::ops {

Tensor concatenate(const std::vector<Tensor>& tensors, int64_t axis) {
  constexpr const char* op = "concatenate";
  if (tensors.empty()) fail<ValueError>(op, ": need at least one tensor");
  const Tensor& first = tensors[0];
  const int64_t rank = first.dim();
  if (rank == 0) fail<ValueError>(op, ": 0-d tensors cannot be concatenated");
  const int64_t dim = axis < 0 ? axis + rank : axis;
  if (dim < 0 || dim >= rank)
    fail<ValueError>(op, ": axis ", axis, " is out of range for tensors of shape ", shape_str(first.shape()));
  Shape shape = first.shape();
  shape[dim] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (t.dtype() != first.dtype())
      fail<TypeError>(op, ": tensor ", i, " is ", dtype_name(t.dtype()), " but tensor 0 is ", dtype_name(first.dtype()));
    if (t.device() != first.device())
      fail<ValueError>(op, ": tensor ", i, " ", shape_str(t.shape()), " is on ", t.device().str(), " but tensor 0 ",
                       shape_str(first.shape()), " is on ", first.device().str());
    bool match = t.dim() == rank;
    for (int64_t d = 0; match && d < rank; ++d) match = d == dim || t.size(d) == first.size(d);
    if (!match)
      fail<ValueError>(op, ": tensor ", i, " has shape ", shape_str(t.shape()), " but tensor 0 has shape ",
                       shape_str(first.shape()), " (only axis ", dim, " may differ)");
    shape[dim] += t.size(dim);
  }
  const Device device = first.device();
  Tensor out = Tensor::empty(shape, first.dtype(), device);
  // out seen as (outer, shape[dim] * inner): input t fills columns [start, start + t.size(dim)) * inner.
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= shape[d];
  for (int64_t d = dim + 1; d < rank; ++d) inner *= shape[d];
  const auto item = static_cast<int64_t>(out.itemsize());
  int64_t start = 0;
  for (const Tensor& t : tensors) {
    if (device.is_cpu()) {
      out.narrow(dim, start, t.size(dim)).copy_from(t);
    } else if constexpr (kCudaBuilt) {
      const Tensor src = t.contiguous();
      const int64_t row_bytes = t.size(dim) * inner * item;
      cuda::copy_rows(static_cast<char*>(out.raw_data()) + start * inner * item, shape[dim] * inner * item,
                      src.raw_data(), row_bytes, row_bytes, outer, device.index);
    }
    start += t.size(dim);
  }
  return out;
}

}  // namespace ironnet::ops
