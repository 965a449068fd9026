// The public convolution kernels (ironnet/conv2d.h): the thread count, and the choice between the
// direct kernels (tiny receptive fields, on the active ISA), Winograd (3x3 stride 1) and the GEMM path.
#include "ironnet/conv2d.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "ironnet/activations.h"
#include "ironnet/cpu_features.h"
#include "kernels/cpu/conv2d_paths.h"
#include "kernels/cpu/threads.h"

namespace ironnet::cpu {
namespace {

// Receptive fields up to this many taps (C_in * kh * kw) run on the direct kernels, longer ones on the
// GEMM path. Measured on 1 thread, AVX-512, forward and weight gradient on 28x28 images: the direct
// kernels win by 1.3-15x up to K = 75 (a GEMM this shallow spends more on packing, gathering short
// runs and C tile traffic than on multiply-adds), tie around K = 144, and lose by 1.3-1.5x at K = 288.
constexpr int64_t kDirectMaxTaps = 80;

bool use_direct(const Conv2dShape& s) { return s.taps() <= kDirectMaxTaps; }

// Winograd F(2x2, 3x3) for 3x3 stride-1 undilated convolutions (forward, and dx through
// input_grad_as_conv) with 16+ channels on both sides and enough 2x2 output tiles to pay for
// transforming and packing the kernel (16 C_in x C_out matrices) on every call. Measured against the
// GEMM path, 1 thread, AVX-512, forward, interleaved in one process: 1.5-1.8x from 16 -> 16 to
// 128 -> 128 channels on 196+ tiles (32 -> 64 on 128x14x14: 212 -> 335 GFLOP/s, 64 -> 64 on
// 32x56x56: 213 -> 356); 256 -> 256 channels 1.22x on 256 tiles but 0.95x on 128; 32 -> 32 0.83x
// on 49 tiles, 64 -> 64 0.56x on 36. Channels 9-15 (below 9 the direct kernels run) are unmeasured.
constexpr int64_t kWinogradMinChannels = 16;
constexpr int64_t kWinogradMinTiles = 160;

bool use_winograd(const Conv2dShape& s) {
  return conv2d_detail::winograd_applies(s) && s.c_in >= kWinogradMinChannels && s.c_out >= kWinogradMinChannels &&
         conv2d_detail::winograd_tiles(s) >= kWinogradMinTiles;
}

// The Winograd weight gradient (the same 3x3 stride-1 undilated shapes, 16+ channels on both sides)
// from 1024 output pixels. Measured against the GEMM path, dW+db
// with the relu fused, AVX-512, interleaved in one process, 1 / 2 threads: 1.45x / 1.71x on the small
// CNN's 32 -> 64 layer (128x11x11 outputs: 3.59 -> 2.47 ms, 1.97 -> 1.15 ms), 1.6x on 64 -> 64 on
// 32x26x26, 1.3x on 128 -> 128 and 256 -> 256 on 8x12x12; 1.15-1.95x on 1024-1300 pixels
// (16 -> 16 up to 32 -> 32); below, 0.77-1.1x (32 -> 32 on 16x7x7, 64 -> 64 on 16x6x6 or 8x6x6):
// too few tiles to pay for two threads' partial sums of the 16 transformed kernels, and
// edge tiles half empty.
constexpr int64_t kWinogradGradMinPixels = 1024;
bool use_winograd_weight_grad(const Conv2dShape& s) {
  return conv2d_detail::winograd_applies(s) && s.c_in >= kWinogradMinChannels && s.c_out >= kWinogradMinChannels &&
         s.pixels() >= kWinogradGradMinPixels;
}

// A second thread pays for itself from about a 64^3 GEMM's worth of multiply-adds (as in the GEMM).
int threads_for_conv(const Conv2dShape& s, int requested) {
  return threads_for(s.pixels() * s.taps() * s.c_out, requested, int64_t{64} * 64 * 64);
}

// At stride 1, dx is itself a convolution: of dy, padded by (k - 1) * dilation minus the forward's
// padding, with the kernel flipped in space and C_in / C_out swapped. As one it runs on the forward
// path (implicit im2col, any pixel split across threads) instead of col2im's scatter of a dcol buffer
// K floats wide per pixel. Returns false where it does not apply (strides, or padding beyond the
// kernel's reach).
bool input_grad_as_conv(const Conv2dShape& s, Conv2dShape& t) {
  const Conv2dGeometry& g = s.g;
  const int64_t reach_h = (s.kh - 1) * g.dilation_h, reach_w = (s.kw - 1) * g.dilation_w;
  if (g.stride_h != 1 || g.stride_w != 1 || g.pad_top > reach_h || g.pad_bottom > reach_h || g.pad_left > reach_w ||
      g.pad_right > reach_w)
    return false;
  t = Conv2dShape{s.n, s.ho, s.wo, s.c_out, s.kh, s.kw, s.c_in, s.h, s.w, g};
  t.g.pad_top = reach_h - g.pad_top;
  t.g.pad_bottom = reach_h - g.pad_bottom;
  t.g.pad_left = reach_w - g.pad_left;
  t.g.pad_right = reach_w - g.pad_right;
  return true;
}

// kernel (kh, kw, c_in, c_out) flipped in space and transposed to (kh, kw, c_out, c_in).
std::vector<float> flipped_transposed(const Conv2dShape& s, const float* kernel) {
  std::vector<float> out(static_cast<size_t>(s.taps() * s.c_out));
  for (int64_t i = 0; i < s.kh; ++i)
    for (int64_t j = 0; j < s.kw; ++j) {
      const float* src = kernel + ((s.kh - 1 - i) * s.kw + (s.kw - 1 - j)) * s.c_in * s.c_out;
      float* dst = out.data() + (i * s.kw + j) * s.c_out * s.c_in;
      for (int64_t c = 0; c < s.c_in; ++c)
        for (int64_t o = 0; o < s.c_out; ++o) dst[o * s.c_in + c] = src[c * s.c_out + o];
    }
  return out;
}

}  // namespace

namespace conv2d_detail {
const IsaConvKernels& active_conv_kernels() {
#if defined(IRONNET_HAVE_X86_KERNELS)
  const CpuIsa isa = active_isa();
  if (isa == CpuIsa::Avx512) return avx512_conv_kernels();
  if (isa == CpuIsa::Avx2) return avx2_conv_kernels();
#endif
  return portable_conv_kernels();
}
}  // namespace conv2d_detail

void conv2d_forward(const Conv2dShape& s, const float* x, const float* kernel, const float* bias, bool relu, float* y,
                    int num_threads) {
  if (s.pixels() == 0 || s.c_out == 0) return;
  const int threads = threads_for_conv(s, num_threads);
  if (use_direct(s))
    conv2d_detail::active_conv_kernels().forward(s, x, kernel, bias, relu, y, threads);
  else if (use_winograd(s))
    conv2d_detail::winograd_forward(s, x, kernel, bias, relu, y, threads);
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
  if (s.c_in == 0) {  // y = bias alone: dx and dkernel are empty, dbias the column sums of (masked) dy
    if (dbias) {
      for (int64_t j = 0; j < s.c_out; ++j) {
        double sum = 0.0;
        for (int64_t p = 0; p < s.pixels(); ++p) {
          const int64_t e = p * s.c_out + j;
          if (relu_y == nullptr || relu_y[e] > 0.0f) sum += dy[e];
        }
        dbias[j] = static_cast<float>(sum);
      }
    }
    return;
  }
  const int threads = threads_for_conv(s, num_threads);
  Conv2dShape t;
  if (dx && input_grad_as_conv(s, t)) {
    std::unique_ptr<float[]> masked;  // dy through the relu's mask, read by both passes below
    if (relu_y) {
      masked.reset(new float[static_cast<size_t>(s.pixels() * s.c_out)]);  // uninitialized: written next
      relu_backward(s.pixels() * s.c_out, relu_y, dy, masked.get(), threads);
      dy = masked.get();
    }
    if (dkernel || dbias) conv2d_backward(s, dy, nullptr, x, kernel, nullptr, dkernel, dbias, threads);
    const std::vector<float> flipped = flipped_transposed(s, kernel);
    conv2d_forward(t, dy, flipped.data(), nullptr, false, dx, threads);
    return;
  }
  if (dkernel && use_winograd_weight_grad(s)) {
    conv2d_detail::winograd_weight_grad(s, dy, relu_y, x, dkernel, dbias, threads);
    if (dx) conv2d_detail::gemm_backward(s, dy, relu_y, x, kernel, dx, nullptr, nullptr, threads);
    return;
  }
  if (use_direct(s) && dkernel) {  // the direct weight gradient; dx (rarely wanted at a first layer) by GEMM
    conv2d_detail::active_conv_kernels().weight_grad(s, dy, relu_y, x, dkernel, dbias, threads);
    if (dx) conv2d_detail::gemm_backward(s, dy, relu_y, x, kernel, dx, nullptr, nullptr, threads);
    return;
  }
  conv2d_detail::gemm_backward(s, dy, relu_y, x, kernel, dx, dkernel, dbias, threads);
}

}  // namespace ironnet::cpu
