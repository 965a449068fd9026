// Affine image warp (forward: a gather; backward: its transpose, a scatter-add), channels_last.
// One portable translation unit: the per-pixel cost is coordinate and index arithmetic, and the
// loops over channels are plain multiply-adds that the compiler vectorizes where C > 1.
#include <omp.h>

#include <algorithm>
#include <type_traits>

#include "ironnet/image.h"
#include "kernels/cpu/threads.h"
#include "kernels/shared/image_taps.h"

namespace ironnet::cpu {
namespace {
using image_taps::Taps;
using image_taps::mul_add_rounded;
using image_taps::taps_at;

// ~20 flops of coordinate and weight arithmetic per output pixel before any memory is touched, so
// a second thread pays for itself well before a plain copy's 64k elements.
constexpr int64_t kWarpMinPerThread = 1 << 13;

// One image's transform row, read into locals once: the output stores cannot alias them.
struct Affine {
  float a0, a1, a2, b0, b1, b2;
  explicit Affine(const float* t) : a0(t[0]), a1(t[1]), a2(t[2]), b0(t[3]), b1(t[4]), b2(t[5]) {}
};

// Output rows [begin, end) of the flattened (batch, out_height) range. kOneChannel compiles the
// channel loops away for grayscale images, where they would cost more than the pixel itself.
template <Interpolation I, bool kOneChannel>
void warp_rows(const WarpShape& s, const float* x, const float* transforms, float* y, FillMode mode,
               float fill_value, int64_t begin, int64_t end) {
  const int64_t channels = kOneChannel ? 1 : s.channels, image = s.in_height * s.in_width * channels;
  for (int64_t r = begin; r < end; ++r) {
    const int64_t n = r / s.out_height, oy = r % s.out_height;
    const Affine t(transforms + 6 * n);
    const float* in = x + n * image;
    float* out = y + r * s.out_width * channels;
    const float row_x = mul_add_rounded(t.a1, static_cast<float>(oy), t.a2);
    const float row_y = mul_add_rounded(t.b1, static_cast<float>(oy), t.b2);
    for (int64_t ox = 0; ox < s.out_width; ++ox, out += channels) {
      const float fx = static_cast<float>(ox);
      const Taps<I> tp = taps_at<I>(mul_add_rounded(t.a0, fx, row_x), mul_add_rounded(t.b0, fx, row_y), s, mode);
      const float fill = tp.fill_weight * fill_value;
      if constexpr (I == Interpolation::Nearest) {
        // A copy (not 1 * x + 0), so the values pass bit for bit.
        const float* p = in + tp.offset[0];
        const bool inside = tp.weight[0] != 0.0f;
        for (int64_t c = 0; c < channels; ++c) out[c] = inside ? p[c] : fill;
      } else {
        const float *p0 = in + tp.offset[0], *p1 = in + tp.offset[1], *p2 = in + tp.offset[2],
                    *p3 = in + tp.offset[3];
        const float w0 = tp.weight[0], w1 = tp.weight[1], w2 = tp.weight[2], w3 = tp.weight[3];
        for (int64_t c = 0; c < channels; ++c) out[c] = w0 * p0[c] + w1 * p1[c] + w2 * p2[c] + w3 * p3[c] + fill;
      }
    }
  }
}

// Images [begin, end): each zeroed, then every dy pixel added onto the taps it was read from.
template <Interpolation I, bool kOneChannel>
void warp_backward_images(const WarpShape& s, const float* dy, const float* transforms, float* dx, FillMode mode,
                          int64_t begin, int64_t end) {
  const int64_t channels = kOneChannel ? 1 : s.channels, image = s.in_height * s.in_width * channels;
  for (int64_t n = begin; n < end; ++n) {
    const Affine t(transforms + 6 * n);
    float* din = dx + n * image;
    std::fill(din, din + image, 0.0f);
    const float* g = dy + n * s.out_height * s.out_width * channels;
    for (int64_t oy = 0; oy < s.out_height; ++oy) {
      const float row_x = mul_add_rounded(t.a1, static_cast<float>(oy), t.a2);
      const float row_y = mul_add_rounded(t.b1, static_cast<float>(oy), t.b2);
      for (int64_t ox = 0; ox < s.out_width; ++ox, g += channels) {
        const float fx = static_cast<float>(ox);
        const Taps<I> tp = taps_at<I>(mul_add_rounded(t.a0, fx, row_x), mul_add_rounded(t.b0, fx, row_y), s, mode);
        for (int k = 0; k < Taps<I>::kCount; ++k) {
          float* d = din + tp.offset[k];
          const float w = tp.weight[k];
          for (int64_t c = 0; c < channels; ++c) d[c] += w * g[c];
        }
      }
    }
  }
}

// Calls body.template operator()<I, kOneChannel>() for the run-time interpolation and channel count.
template <class Body>
void dispatch(Interpolation interpolation, int64_t channels, const Body& body) {
  if (interpolation == Interpolation::Nearest) {
    if (channels == 1) body(std::integral_constant<Interpolation, Interpolation::Nearest>{}, std::true_type{});
    else body(std::integral_constant<Interpolation, Interpolation::Nearest>{}, std::false_type{});
  } else {
    if (channels == 1) body(std::integral_constant<Interpolation, Interpolation::Bilinear>{}, std::true_type{});
    else body(std::integral_constant<Interpolation, Interpolation::Bilinear>{}, std::false_type{});
  }
}

// Threads for `items` independent work items of `per_item` output elements each.
int threads_over(int64_t items, int64_t per_item, int num_threads) {
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(items, threads_for(items * per_item, num_threads,
                                                                                     kWarpMinPerThread))));
}

}  // namespace

void affine_warp(const WarpShape& s, const float* x, const float* transforms, float* y, Interpolation interpolation,
                 FillMode fill_mode, float fill_value, int num_threads) {
  const int64_t rows = s.batch * s.out_height;
  if (rows == 0 || s.out_width == 0 || s.channels == 0) return;
  // Only constant mode reads fill_value; elsewhere its weight is 0 and the term must stay 0.
  const float fill = fill_mode == FillMode::Constant ? fill_value : 0.0f;
#pragma omp parallel num_threads(threads_over(rows, s.out_width * s.channels, num_threads))
  {
    int64_t begin, end;
    block_of(rows, omp_get_thread_num(), omp_get_num_threads(), begin, end);
    dispatch(interpolation, s.channels, [&](auto interp, auto one_channel) {
      warp_rows<interp.value, one_channel.value>(s, x, transforms, y, fill_mode, fill, begin, end);
    });
  }
}

void affine_warp_backward(const WarpShape& s, const float* dy, const float* transforms, float* dx,
                          Interpolation interpolation, FillMode fill_mode, int num_threads) {
  if (s.batch == 0 || s.in_height * s.in_width * s.channels == 0) return;
#pragma omp parallel num_threads(threads_over(s.batch, s.out_height * s.out_width * s.channels, num_threads))
  {
    int64_t begin, end;
    block_of(s.batch, omp_get_thread_num(), omp_get_num_threads(), begin, end);
    dispatch(interpolation, s.channels, [&](auto interp, auto one_channel) {
      warp_backward_images<interp.value, one_channel.value>(s, dy, transforms, dx, fill_mode, begin, end);
    });
  }
}

}  // namespace ironnet::cpu
