#include "ops/embedding.h"

#include "ironnet/cuda/embedding.h"
#include "ironnet/embedding.h"
#include "ironnet/errors.h"
#include "ops/device.h"
#include "ops/index_check.h"

namespace ironnet::ops {
namespace {

void check_ids(const char* op, const Tensor& ids) {
  if (ids.dtype() != DType::Int32 && ids.dtype() != DType::Int64)
    fail<TypeError>(op, ": ids must be int32 or int64, got ", dtype_name(ids.dtype()), " ", shape_str(ids.shape()));
}

// The first id outside [0, vocab) becomes a ValueError; ids is contiguous.
void check_all_in_range(const char* op, const Tensor& ids, int64_t vocab, const Shape& table_shape) {
  if (const auto bad = first_out_of_range(ids, vocab))
    fail<ValueError>(op, ": id ", bad->value, " at flat position ", bad->position, " of ids ", shape_str(ids.shape()),
                     " is out of range for a table of shape ", shape_str(table_shape), " (ids must be in [0, ", vocab,
                     "))");
}

template <class Index>
void gather(Device device, const Tensor& ids, const Tensor& table, Tensor& out) {
  const int64_t n = ids.numel(), dim = table.size(1);
  if (device.is_cpu())
    cpu::embedding_forward(n, dim, ids.data<Index>(), table.data<float>(), out.data<float>());
  else if constexpr (kCudaBuilt)
    cuda::embedding_forward(n, dim, ids.data<Index>(), table.data<float>(), out.data<float>(), device.index);
}

template <class Index>
void scatter_add(Device device, const Tensor& ids, const Tensor& dy, int64_t vocab, Tensor& dtable) {
  const int64_t n = ids.numel(), dim = dy.size(dy.dim() - 1);
  if (device.is_cpu()) {
    cpu::embedding_backward(n, vocab, dim, ids.data<Index>(), dy.data<float>(), dtable.data<float>());
  } else if constexpr (kCudaBuilt) {
    const size_t bytes = cuda::embedding_backward_scratch_bytes<Index>(n, vocab, device.index);
    const Tensor scratch = Tensor::empty({static_cast<int64_t>((bytes + 7) / 8)}, DType::Int64, device);
    cuda::embedding_backward(n, vocab, dim, ids.data<Index>(), dy.data<float>(), dtable.data<float>(),
                             scratch.raw_data(), bytes, device.index);
  }
}

}  // namespace

Tensor embedding(const Tensor& ids_in, const Tensor& table_in) {
  constexpr const char* op = "embedding";
  check_ids(op, ids_in);
  if (table_in.dtype() != DType::Float32)
    fail<TypeError>(op, ": table must be float32, got ", dtype_name(table_in.dtype()), " ",
                    shape_str(table_in.shape()));
  if (table_in.dim() != 2) fail<ValueError>(op, ": table must be 2-D (vocab, dim), got ", shape_str(table_in.shape()));
  const Device device = common_device(op, {{"ids", &ids_in}, {"table", &table_in}});
  const Tensor ids = ids_in.contiguous(), table = table_in.contiguous();
  const int64_t vocab = table.size(0), dim = table.size(1);
  check_all_in_range(op, ids, vocab, table.shape());
  Shape out_shape = ids.shape();
  out_shape.push_back(dim);
  Tensor out = Tensor::empty(out_shape, DType::Float32, device);
  if (ids.dtype() == DType::Int32)
    gather<int32_t>(device, ids, table, out);
  else
    gather<int64_t>(device, ids, table, out);
  return out;
}

Tensor embedding_backward(const Tensor& ids_in, const Tensor& dy_in, int64_t vocab) {
  constexpr const char* op = "embedding_backward";
  check_ids(op, ids_in);
  if (dy_in.dtype() != DType::Float32)
    fail<TypeError>(op, ": dy must be float32, got ", dtype_name(dy_in.dtype()), " ", shape_str(dy_in.shape()));
  const Device device = common_device(op, {{"ids", &ids_in}, {"dy", &dy_in}});
  if (vocab < 1) fail<ValueError>(op, ": vocab must be positive, got ", vocab);
  Shape lead(dy_in.shape().begin(), dy_in.shape().end() - (dy_in.dim() > 0 ? 1 : 0));
  if (dy_in.dim() != ids_in.dim() + 1 || lead != ids_in.shape())
    fail<ValueError>(op, ": dy ", shape_str(dy_in.shape()), " must be ids ", shape_str(ids_in.shape()),
                     " plus an embedding dimension");
  const Tensor ids = ids_in.contiguous(), dy = dy_in.contiguous();
  const int64_t dim = dy.size(dy.dim() - 1);
  check_all_in_range(op, ids, vocab, Shape{vocab, dim});
  Tensor dtable = Tensor::zeros({vocab, dim}, DType::Float32, device);
  if (ids.dtype() == DType::Int32)
    scatter_add<int32_t>(device, ids, dy, vocab, dtable);
  else
    scatter_add<int64_t>(device, ids, dy, vocab, dtable);
  return dtable;
}

}  // namespace ironnet::ops
