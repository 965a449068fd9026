#include "ops/dropout.h"

#include "ironnet/dropout.h"
#include "ironnet/errors.h"

namespace ironnet::ops {

Tensor dropout(const Tensor& x, float rate, uint64_t seed) {
  if (x.dtype() != DType::Float32)
    fail<TypeError>("dropout: x must be float32, got ", dtype_name(x.dtype()), " ", shape_str(x.shape()));
  if (!(rate >= 0.0f && rate < 1.0f)) fail<ValueError>("dropout: rate must be in [0, 1), got ", rate);
  if (!x.device().is_cpu())
    fail<ValueError>("dropout: x is on ", x.device().str(),
                     "; not implemented on cuda yet (CPU only until the CUDA backend issue)");
  const Tensor src = x.contiguous();
  Tensor out = Tensor::empty(x.shape(), DType::Float32, x.device());
  cpu::dropout(src.numel(), src.data<float>(), out.data<float>(), rate, seed);
  return out;
}

}  // namespace ironnet::ops
