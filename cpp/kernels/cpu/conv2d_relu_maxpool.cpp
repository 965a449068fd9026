// conv2d_relu_max_pool2d_weight_grad (ironnet/conv2d_pool.h): the thread count, then the active ISA's kernel.
#include "ironnet/conv2d_pool.h"

#include "ironnet/cpu_features.h"
#include "kernels/cpu/conv2d_relu_maxpool_table.h"
#include "kernels/cpu/threads.h"

namespace ironnet::cpu {
namespace {

conv2d_pool_detail::PooledWeightGrad active_kernel() {
#if defined(IRONNET_HAVE_X86_KERNELS)
  const CpuIsa isa = active_isa();
  if (isa == CpuIsa::Avx512) return conv2d_pool_detail::avx512_pooled_weight_grad();
  if (isa == CpuIsa::Avx2) return conv2d_pool_detail::avx2_pooled_weight_grad();
#endif
  return conv2d_pool_detail::portable_pooled_weight_grad();
}

}  // namespace

void conv2d_relu_max_pool2d_weight_grad(const Conv2dShape& s, const Pool2dGeometry& p, const float* dpooled,
                                        const float* pooled, const int32_t* argmax, const float* x, float* dkernel,
                                        float* dbias, int num_threads) {
  // Multiply-adds: every conv pixel of every window, against every tap and channel. A second thread
  // pays from about a 64^3 GEMM's worth, as in the convolutions.
  const int64_t work = p.batch * p.out_h * p.out_w * p.pool_h * p.pool_w * s.taps() * s.c_out;
  active_kernel()(s, p, dpooled, pooled, argmax, x, dkernel, dbias, threads_for(work, num_threads, int64_t{64} * 64 * 64));
}

}  // namespace ironnet::cpu
