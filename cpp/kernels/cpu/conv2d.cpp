// The public convolution kernels (ironnet/conv2d.h): the thread count, and the choice between the
// direct kernels (tiny receptive fields, on the active ISA) and the GEMM path.
#include "ironnet/conv2d.h"

#include <algorithm>

#include "ironnet/cpu_features.h"
#include "kernels/cpu/conv2d_paths.h"
#include "kernels/cpu/threads.h"

namespace ironnet::cpu {
namespace {

using conv2d_detail::DirectConvTable;

const DirectConvTable& direct_kernels() {
#if defined(IRONNET_HAVE_X86_KERNELS)
  const CpuIsa isa = active_isa();
  if (isa == CpuIsa::Avx512) return conv2d_detail::avx512_direct();
  if (isa == CpuIsa::Avx2) return conv2d_detail::avx2_direct();
#endif
  return conv2d_detail::portable_direct();
}

// Receptive fields up to this many taps (C_in * kh * kw) run on the direct kernels: below it a GEMM's
// depth is too short to pay for packing its operands and for loading and storing its C tiles.
constexpr int64_t kDirectMaxTaps = 32;

bool use_direct(const Conv2dShape& s) { return s.taps() <= kDirectMaxTaps; }

// A second thread pays for itself from about a 64^3 GEMM's worth of multiply-adds (as in the GEMM).
int threads_for_conv(const Conv2dShape& s, int requested) {
  return threads_for(s.pixels() * s.taps() * s.c_out, requested, int64_t{64} * 64 * 64);
}

}  // namespace

void conv2d_forward(const Conv2dShape& s, const float* x, const float* kernel, const float* bias, bool relu, float* y,
                    int num_threads) {
  if (s.pixels() == 0 || s.c_out == 0) return;
  const int threads = threads_for_conv(s, num_threads);
  if (use_direct(s))
    direct_kernels().forward(s, x, kernel, bias, relu, y, threads);
  else
    conv2d_detail::gemm_forward(s, x, kernel, bias, relu, y, threads);
}

void conv2d_backward(const Conv2dShape& s, const float* dy, const float* relu_y, const float* x, const float* kernel,
                     float* dx, float* dkernel, float* dbias, int num_threads) {
  if (s.pixels() == 0 || s.c_out == 0) {  // no output: every gradient is zero
    if (dx) std::fill(dx, dx + s.n * s.h * s.w * s.c_in, 0.0f);
    if (dkernel) std::fill(dkernel, dkernel + s.taps() * s.c_out, 0.0f);
    if (dbias) std::fill(dbias, dbias + s.c_out, 0.0f);
    return;
  }
  const int threads = threads_for_conv(s, num_threads);
  if (use_direct(s) && dkernel) {  // the direct weight gradient; dx (rarely wanted at a first layer) by GEMM
    direct_kernels().weight_grad(s, dy, relu_y, x, dkernel, dbias, threads);
    if (dx) conv2d_detail::gemm_backward(s, dy, relu_y, x, kernel, dx, nullptr, nullptr, threads);
    return;
  }
  conv2d_detail::gemm_backward(s, dy, relu_y, x, kernel, dx, dkernel, dbias, threads);
}

}  // namespace ironnet::cpu
