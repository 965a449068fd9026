// The public optimizer kernels (ironnet/optimizers.h): each forwards to the build for the active CPU
// ISA (see optimizers_kernels.h for the code itself).
#include "ironnet/optimizers.h"

#include "ironnet/cpu_features.h"
#include "kernels/cpu/optimizers_kernels.h"

namespace ironnet::cpu {
namespace {
const optimizers_detail::OptimizerTable& table() {
#if defined(IRONNET_HAVE_X86_KERNELS)
  const CpuIsa isa = active_isa();
  if (isa == CpuIsa::Avx512) return optimizers_detail::avx512_table();
  if (isa == CpuIsa::Avx2) return optimizers_detail::avx2_table();
#endif
  return optimizers_detail::portable_table();
}
}  // namespace

void sgd_update(const UpdateCommon& u, float* velocity, float momentum, bool nesterov, int num_threads) {
  table().sgd(u, velocity, momentum, nesterov, num_threads);
}

void rmsprop_update(const UpdateCommon& u, float* mean_square, float* momentum_buf, float rho, float momentum,
                    float epsilon, int num_threads) {
  table().rmsprop(u, mean_square, momentum_buf, rho, momentum, epsilon, num_threads);
}

void adam_update(const UpdateCommon& u, float* m, float* v, float beta1, float beta2, float epsilon, int64_t step,
                 int num_threads) {
  table().adam(u, m, v, beta1, beta2, epsilon, step, num_threads);
}

double sum_of_squares(int64_t n, const float* x, int num_threads) { return table().sum_of_squares(n, x, num_threads); }

}  // namespace ironnet::cpu
