#include "ops/elementwise.h"

#include "ironnet/cuda_api.h"
#include "ironnet/elementwise.h"
#include "ironnet/errors.h"

namespace ironnet::ops {

void axpy_(Tensor& y, const Tensor& x, float alpha) {
  constexpr const char* op = "axpy_";
  if (x.dtype() != DType::Float32 || y.dtype() != DType::Float32)
    fail<TypeError>(op, ": expected float32 tensors, got y ", shape_str(y.shape()), " ", dtype_name(y.dtype()),
                    " and x ", shape_str(x.shape()), " ", dtype_name(x.dtype()));
  if (x.shape() != y.shape())
    fail<ValueError>(op, ": shapes differ: y ", shape_str(y.shape()), " and x ", shape_str(x.shape()));
  if (x.device() != y.device())
    fail<ValueError>(op, ": y is on ", y.device().str(), " but x is on ", x.device().str());
  if (!y.is_contiguous()) fail<ValueError>(op, ": y ", shape_str(y.shape()), " must be contiguous");
  const Tensor xc = x.contiguous();
  if (y.device().is_cpu())
    cpu::axpy(y.numel(), alpha, xc.data<float>(), y.data<float>());
  else
    cuda::axpy(y.numel(), alpha, xc.data<float>(), y.data<float>(), y.device().index);
}

}  // namespace ironnet::ops
