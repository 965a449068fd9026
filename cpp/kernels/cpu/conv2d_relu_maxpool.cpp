// conv2d_relu_max_pool2d_weight_grad (ironnet/conv2d_pool.h): the thread count, then the active ISA's kernel.
#include "ironnet/conv2d_pool.h"

#include "ironnet/cpu_features.h"
#include "kernels/cpu/conv2d_relu_maxpool_table.h"
#include "kernels/cpu/threads.h"

namespace ironnet::cpu {
namespace {

const conv2d_pool_detail::PooledWeightGrads& active_kernels() {
#if defined(IRONNET_HAVE_X86_KERNELS)
  const CpuIsa isa = active_isa();
  if (isa == CpuIsa::Avx512) return conv2d_pool_detail::avx512_pooled_weight_grads();
  if (isa == CpuIsa::Avx2) return conv2d_pool_detail::avx2_pooled_weight_grads();
#endif
  return conv2d_pool_detail::portable_pooled_weight_grads();
}

// 16+ input channels take the argmax kernel, fewer the window kernel. The argmax kernel's vectors run
// along C_in (a kernel row's kw * C_in contiguous floats), so a few channels leave them mostly in its
// scalar tail. Measured, weight gradient, 1 thread, AVX-512, 2x2 pools, 3x3 kernels, window / argmax
// kernel: C_in 1 (128x28x28 -> 32) 0.50 / 14.2 ms, C_in 3 (64x28x28 -> 32) 0.60 / 9.0, C_in 8 1.5 / 9.4,
// C_in 16 3.0 / 2.7, C_in 32 (128x13x13 -> 64) 3.8 / 2.0 (unfused, max pooling backward + dense
// gradient: 1.3, 0.7, 1.2, 7.4, 5.8).
constexpr int64_t kArgmaxMinChannels = 16;

}  // namespace

void conv2d_relu_max_pool2d_weight_grad(const Conv2dShape& s, const Pool2dGeometry& p, const float* dpooled,
                                        const float* pooled, const int32_t* argmax, const float* x, float* dkernel,
                                        float* dbias, int num_threads) {
  // Multiply-adds: every conv pixel of every window, against every tap and channel. A second thread
  // pays from about a 64^3 GEMM's worth, as in the convolutions.
  const int64_t work = p.batch * p.out_h * p.out_w * p.pool_h * p.pool_w * s.taps() * s.c_out;
  const int threads = threads_for(work, num_threads, int64_t{64} * 64 * 64);
  const conv2d_pool_detail::PooledWeightGrads& kernels = active_kernels();
  (s.c_in < kArgmaxMinChannels ? kernels.by_windows : kernels.by_argmax)(s, p, dpooled, pooled, argmax, x,
                                                                             dkernel, dbias, threads);
}

}  // namespace ironnet::cpu
