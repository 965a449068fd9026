#include "ops/shape.h"

#include "ironnet/errors.h"
#include "ops/elementwise.h"

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
    require_cpu(op, t);
    if (t.dtype() != first.dtype())
      fail<TypeError>(op, ": tensor ", i, " is ", dtype_name(t.dtype()), " but tensor 0 is ", dtype_name(first.dtype()));
    if (t.device() != first.device())
      fail<ValueError>(op, ": tensor ", i, " is on ", t.device().str(), " but tensor 0 is on ", first.device().str());
    bool match = t.dim() == rank;
    for (int64_t d = 0; match && d < rank; ++d) match = d == dim || t.size(d) == first.size(d);
    if (!match)
      fail<ValueError>(op, ": tensor ", i, " has shape ", shape_str(t.shape()), " but tensor 0 has shape ",
                       shape_str(first.shape()), " (only axis ", dim, " may differ)");
    shape[dim] += t.size(dim);
  }
  Tensor out = Tensor::empty(shape, first.dtype(), first.device());
  int64_t start = 0;
  for (const Tensor& t : tensors) {
    out.narrow(dim, start, t.size(dim)).copy_from(t);
    start += t.size(dim);
  }
  return out;
}

}  // namespace ironnet::ops
