#include "ops/embedding.h"

#include "ironnet/embedding.h"
#include "ironnet/errors.h"

namespace ironnet::ops {
namespace {

void check_cpu(const char* op, const char* name, const Tensor& t) {
  if (!t.device().is_cpu())
    fail<ValueError>(op, ": ", name, " is on ", t.device().str(),
                     "; not implemented on cuda yet (CPU only until the CUDA backend issue)");
}

void check_ids(const char* op, const Tensor& ids) {
  if (ids.dtype() != DType::Int32 && ids.dtype() != DType::Int64)
    fail<TypeError>(op, ": ids must be int32 or int64, got ", dtype_name(ids.dtype()), " ", shape_str(ids.shape()));
  check_cpu(op, "ids", ids);
}

// The first id outside [0, vocab) becomes a ValueError; ids is contiguous.
template <class Index>
void check_range(const char* op, const Tensor& ids, int64_t vocab, const Shape& table_shape) {
  const Index* p = ids.data<Index>();
  for (int64_t i = 0, n = ids.numel(); i < n; ++i) {
    const int64_t id = static_cast<int64_t>(p[i]);
    if (id < 0 || id >= vocab)
      fail<ValueError>(op, ": id ", id, " at flat position ", i, " of ids ", shape_str(ids.shape()),
                       " is out of range for a table of shape ", shape_str(table_shape), " (ids must be in [0, ",
                       vocab, "))");
  }
}

void check_all_in_range(const char* op, const Tensor& ids, int64_t vocab, const Shape& table_shape) {
  if (ids.dtype() == DType::Int32)
    check_range<int32_t>(op, ids, vocab, table_shape);
  else
    check_range<int64_t>(op, ids, vocab, table_shape);
}

}  // namespace

Tensor embedding(const Tensor& ids_in, const Tensor& table_in) {
  constexpr const char* op = "embedding";
  check_ids(op, ids_in);
  if (table_in.dtype() != DType::Float32)
    fail<TypeError>(op, ": table must be float32, got ", dtype_name(table_in.dtype()), " ",
                    shape_str(table_in.shape()));
  if (table_in.dim() != 2) fail<ValueError>(op, ": table must be 2-D (vocab, dim), got ", shape_str(table_in.shape()));
  check_cpu(op, "table", table_in);
  const Tensor ids = ids_in.contiguous(), table = table_in.contiguous();
  const int64_t vocab = table.size(0), dim = table.size(1);
  check_all_in_range(op, ids, vocab, table.shape());
  Shape out_shape = ids.shape();
  out_shape.push_back(dim);
  Tensor out = Tensor::empty(out_shape, DType::Float32, table.device());
  if (ids.dtype() == DType::Int32)
    cpu::embedding_forward(ids.numel(), dim, ids.data<int32_t>(), table.data<float>(), out.data<float>());
  else
    cpu::embedding_forward(ids.numel(), dim, ids.data<int64_t>(), table.data<float>(), out.data<float>());
  return out;
}

Tensor embedding_backward(const Tensor& ids_in, const Tensor& dy_in, int64_t vocab) {
  constexpr const char* op = "embedding_backward";
  check_ids(op, ids_in);
  if (dy_in.dtype() != DType::Float32)
    fail<TypeError>(op, ": dy must be float32, got ", dtype_name(dy_in.dtype()), " ", shape_str(dy_in.shape()));
  check_cpu(op, "dy", dy_in);
  if (vocab < 1) fail<ValueError>(op, ": vocab must be positive, got ", vocab);
  Shape lead(dy_in.shape().begin(), dy_in.shape().end() - (dy_in.dim() > 0 ? 1 : 0));
  if (dy_in.dim() != ids_in.dim() + 1 || lead != ids_in.shape())
    fail<ValueError>(op, ": dy ", shape_str(dy_in.shape()), " must be ids ", shape_str(ids_in.shape()),
                     " plus an embedding dimension");
  const Tensor ids = ids_in.contiguous(), dy = dy_in.contiguous();
  const int64_t dim = dy.size(dy.dim() - 1);
  check_all_in_range(op, ids, vocab, Shape{vocab, dim});
  Tensor dtable = Tensor::zeros({vocab, dim}, DType::Float32, dy.device());
  if (ids.dtype() == DType::Int32)
    cpu::embedding_backward(ids.numel(), vocab, dim, ids.data<int32_t>(), dy.data<float>(), dtable.data<float>());
  else
    cpu::embedding_backward(ids.numel(), vocab, dim, ids.data<int64_t>(), dy.data<float>(), dtable.data<float>());
  return dtable;
}

}  // namespace ironnet::ops
