// The public batch-norm kernels (ironnet/batchnorm.h): each forwards to the build for the active CPU
// ISA (see batchnorm_kernels.h for the code itself).
#include "ironnet/batchnorm.h"

#include "ironnet/cpu_features.h"
#include "kernels/cpu/batchnorm_kernels.h"

namespace ironnet::cpu {
namespace {
const batchnorm_detail::BatchNormTable& table() {
#if defined(IRONNET_HAVE_X86_KERNELS)
  const CpuIsa isa = active_isa();
  if (isa == CpuIsa::Avx512) return batchnorm_detail::avx512_table();
  if (isa == CpuIsa::Avx2) return batchnorm_detail::avx2_table();
#endif
  return batchnorm_detail::portable_table();
}
}  // namespace

void batch_norm_train_forward(const BatchNormDims& d, const float* x, const float* gamma, const float* beta,
                              double momentum, float eps, float* moving_mean, float* moving_var, float* y,
                              float* mean, float* inv_std, int num_threads) {
  table().train_forward(d, x, gamma, beta, momentum, eps, moving_mean, moving_var, y, mean, inv_std, num_threads);
}

void batch_norm_inference_forward(const BatchNormDims& d, const float* x, const float* gamma, const float* beta,
                                  const float* moving_mean, const float* moving_var, float eps, float* y,
                                  int num_threads) {
  table().inference_forward(d, x, gamma, beta, moving_mean, moving_var, eps, y, num_threads);
}

void batch_norm_backward(const BatchNormDims& d, const float* dy, const float* x, const float* mean,
                         const float* inv_std, const float* gamma, bool batch_statistics, float* dx, float* dgamma,
                         float* dbeta, int num_threads) {
  table().backward(d, dy, x, mean, inv_std, gamma, batch_statistics, dx, dgamma, dbeta, num_threads);
}

}  // namespace ironnet::cpu
