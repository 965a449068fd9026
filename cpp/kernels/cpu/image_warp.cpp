// Affine image warp (forward: a gather; backward: its transpose, a scatter-add), channels_last.
// One portable translation unit: the per-pixel cost is coordinate and index arithmetic, and the
// loops over channels are plain multiply-adds that the compiler vectorizes where C > 1.
#include <omp.h>

#include <algorithm>
#include <type_traits>

#include "ironnet/image.h"
#include "kernels/cpu/threads.h"

namespace ironnet::cpu {
namespace {

// ~20 flops of coordinate and weight arithmetic per output pixel before any memory is touched, so
// a second thread pays for itself well before a plain copy's 64k elements.
constexpr int64_t kWarpMinPerThread = 1 << 13;

// Coordinates are clamped to +-2^24 (where float32 has no fraction left) before the conversion to
// an integer, so an overflow to inf stays defined; a NaN (inf - inf) goes to the low end.
constexpr float kMaxCoord = 16777216.0f;

inline float clamp_coord(float c) {
  if (!(c >= -kMaxCoord)) return -kMaxCoord;
  return c > kMaxCoord ? kMaxCoord : c;
}

// Tap index i along an axis of len pixels, mapped into [0, len) by the fill mode; -1 when the tap
// reads fill_value (constant mode, outside the image).
inline int64_t fix_index(int64_t i, int64_t len, FillMode mode) {
  if (static_cast<uint64_t>(i) < static_cast<uint64_t>(len)) return i;  // inside: the common case
  switch (mode) {
    case FillMode::Constant:
      return -1;
    case FillMode::Nearest:
      return i < 0 ? 0 : len - 1;
    case FillMode::Wrap: {
      const int64_t r = i % len;
      return r < 0 ? r + len : r;
    }
    case FillMode::Reflect: {  // period 2 * len: a b c d d c b a
      const int64_t period = 2 * len;
      int64_t r = i % period;
      if (r < 0) r += period;
      return r < len ? r : period - 1 - r;
    }
  }
  return -1;
}

// Where one output pixel reads from: input pixels (offsets in floats from the image's start) with
// weights, and the weight that falls on fill_value. A tap reading fill_value gets offset 0 and
// weight 0, so forward and backward run the same branch-free loop over every tap.
template <Interpolation I>
struct Taps {
  static constexpr int kCount = I == Interpolation::Nearest ? 1 : 4;
  int64_t offset[kCount];
  float weight[kCount];
  float fill_weight = 0.0f;

  void set(int k, int64_t row, int64_t col, float w, const WarpShape& s) {
    if (row < 0 || col < 0) {
      offset[k] = 0;
      weight[k] = 0.0f;
      fill_weight += w;
    } else {
      offset[k] = (row * s.in_width + col) * s.channels;
      weight[k] = w;
    }
  }
};

// floor(v) as an integer for |v| <= 2^24, without a libm call (the portable build has no roundss).
inline int64_t floor_int(float v) {
  const auto i = static_cast<int32_t>(v);  // truncates toward zero
  return i - (v < static_cast<float>(i) ? 1 : 0);
}

template <Interpolation I>
inline Taps<I> taps_at(float sx, float sy, const WarpShape& s, FillMode mode) {
  Taps<I> t;
  sx = clamp_coord(sx);
  sy = clamp_coord(sy);
  if constexpr (I == Interpolation::Nearest) {
    t.set(0, fix_index(floor_int(sy + 0.5f), s.in_height, mode), fix_index(floor_int(sx + 0.5f), s.in_width, mode),
          1.0f, s);
  } else {
    const int64_t x0 = floor_int(sx), y0 = floor_int(sy);
    const float wx1 = sx - static_cast<float>(x0), wy1 = sy - static_cast<float>(y0);
    const float wx0 = 1.0f - wx1, wy0 = 1.0f - wy1;
    if (static_cast<uint64_t>(x0) < static_cast<uint64_t>(s.in_width - 1) &&
        static_cast<uint64_t>(y0) < static_cast<uint64_t>(s.in_height - 1)) {
      // All four taps inside (most pixels): no fill-mode arithmetic.
      const int64_t base = (y0 * s.in_width + x0) * s.channels, down = s.in_width * s.channels;
      t.offset[0] = base, t.offset[1] = base + s.channels;
      t.offset[2] = base + down, t.offset[3] = base + down + s.channels;
      t.weight[0] = wy0 * wx0, t.weight[1] = wy0 * wx1, t.weight[2] = wy1 * wx0, t.weight[3] = wy1 * wx1;
      return t;
    }
    const int64_t c0 = fix_index(x0, s.in_width, mode), c1 = fix_index(x0 + 1, s.in_width, mode);
    const int64_t r0 = fix_index(y0, s.in_height, mode), r1 = fix_index(y0 + 1, s.in_height, mode);
    t.set(0, r0, c0, wy0 * wx0, s);
    t.set(1, r0, c1, wy0 * wx1, s);
    t.set(2, r1, c0, wy1 * wx0, s);
    t.set(3, r1, c1, wy1 * wx1, s);
  }
  return t;
}

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
    const float row_x = t.a1 * static_cast<float>(oy) + t.a2, row_y = t.b1 * static_cast<float>(oy) + t.b2;
    for (int64_t ox = 0; ox < s.out_width; ++ox, out += channels) {
      const float fx = static_cast<float>(ox);
      const Taps<I> tp = taps_at<I>(t.a0 * fx + row_x, t.b0 * fx + row_y, s, mode);
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
      const float row_x = t.a1 * static_cast<float>(oy) + t.a2, row_y = t.b1 * static_cast<float>(oy) + t.b2;
      for (int64_t ox = 0; ox < s.out_width; ++ox, g += channels) {
        const float fx = static_cast<float>(ox);
        const Taps<I> tp = taps_at<I>(t.a0 * fx + row_x, t.b0 * fx + row_y, s, mode);
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
