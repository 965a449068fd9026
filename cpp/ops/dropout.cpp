#include "ops/dropout.h"

#include "ironnet/cuda/dropout.h"
#include "ironnet/dropout.h"
#include "ironnet/errors.h"
#include "ops/device.h"

namespace ironnet::ops {

Tensor dropout(const Tensor& x, float rate, uint64_t seed) {
  if (x.dtype() != DType::Float32)
    fail<TypeError>("dropout: x must be float32, got ", dtype_name(x.dtype()), " ", shape_str(x.shape()));
  if (!(rate >= 0.0f && rate < 1.0f)) fail<ValueError>("dropout: rate must be in [0, 1), got ", rate);
  const Device device = common_device("dropout", {{"x", &x}});
  const Tensor src = x.contiguous();
  Tensor out = Tensor::empty(x.shape(), DType::Float32, device);
  if (device.is_cpu())
    cpu::dropout(src.numel(), src.data<float>(), out.data<float>(), rate, seed);
  else if constexpr (kCudaBuilt)
    cuda::dropout(src.numel(), src.data<float>(), out.data<float>(), rate, seed, device.index);
  return out;
}

}  // namespace ironnet::ops
