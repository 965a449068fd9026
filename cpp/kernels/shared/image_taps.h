// How an affine warp samples its input, shared by the CPU kernels (cpp/kernels/cpu/image_warp.cpp)
// and the CUDA kernels (cuda/image.cu) so both devices read the same taps with the same weights:
// coordinate clamping, the fill modes' index mapping, and the nearest / bilinear taps of one output
// pixel. Conventions in ironnet/image.h.
#pragma once
#include <cstdint>

#include "ironnet/image.h"
#include "kernels/shared/host_device.h"

namespace ironnet::image_taps {

using cpu::FillMode;
using cpu::Interpolation;
using cpu::WarpShape;

// a * b + c rounded twice (the product, then the sum), as the CPU's portable code computes it. nvcc
// would otherwise fuse it into one FMA, and a nearest tap near a half pixel could round to the
// neighbouring pixel on the GPU only.
IRONNET_HOST_DEVICE inline float mul_add_rounded(float a, float b, float c) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(__fmul_rn(a, b), c);
#else
  return a * b + c;
#endif
}

// Coordinates are clamped to +-2^24 (where float32 has no fraction left) before the conversion to
// an integer, so an overflow to inf stays defined; a NaN (inf - inf) goes to the low end.
constexpr float kMaxCoord = 16777216.0f;

IRONNET_HOST_DEVICE inline float clamp_coord(float c) {
  if (!(c >= -kMaxCoord)) return -kMaxCoord;
  return c > kMaxCoord ? kMaxCoord : c;
}

// Tap index i along an axis of len pixels, mapped into [0, len) by the fill mode; -1 when the tap
// reads fill_value (constant mode, outside the image).
IRONNET_HOST_DEVICE inline int64_t fix_index(int64_t i, int64_t len, FillMode mode) {
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

  IRONNET_HOST_DEVICE void set(int k, int64_t row, int64_t col, float w, const WarpShape& s) {
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
IRONNET_HOST_DEVICE inline int64_t floor_int(float v) {
  const auto i = static_cast<int32_t>(v);  // truncates toward zero
  return i - (v < static_cast<float>(i) ? 1 : 0);
}

template <Interpolation I>
IRONNET_HOST_DEVICE inline Taps<I> taps_at(float sx, float sy, const WarpShape& s, FillMode mode) {
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

}  // namespace ironnet::image_taps
