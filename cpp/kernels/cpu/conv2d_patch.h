// Receptive fields of a convolution's output pixels: where they fall in x, and copying one out of
// x (im2col) or adding one back into dx (col2im). Shared by the GEMM path and the direct kernels.
// Internal linkage: the per-ISA direct-kernel files each keep their own copy.
#pragma once
#include <algorithm>
#include <cstdint>

#include "ironnet/conv2d.h"

namespace ironnet::cpu {
namespace {

inline void zero_floats(float* dst, int64_t n) { std::fill(dst, dst + n, 0.0f); }

// The output columns [lo, hi) of one output row whose receptive fields lie inside x horizontally
// (no tap in the left or right padding).
struct InteriorColumns {
  int64_t lo, hi;
};

inline InteriorColumns interior_columns(const Conv2dShape& s) {
  const Conv2dGeometry& g = s.g;
  const int64_t lo = std::min(s.wo, (g.pad_left + g.stride_w - 1) / g.stride_w);
  // Last ow with ow * stride - pad_left + (kw - 1) * dilation <= w - 1.
  const int64_t room = s.w - 1 - (s.kw - 1) * g.dilation_w + g.pad_left;
  const int64_t hi = room < 0 ? 0 : std::min(s.wo, room / g.stride_w + 1);
  return {lo, std::max(lo, hi)};
}

// True when output row oh's receptive fields lie inside x vertically.
inline bool row_inside(const Conv2dShape& s, int64_t oh) {
  const int64_t ih0 = oh * s.g.stride_h - s.g.pad_top;
  return ih0 >= 0 && ih0 + (s.kh - 1) * s.g.dilation_h < s.h;
}

// Where the receptive field of output pixel (n, oh, ow) starts in x (tap (0, 0), channel 0); only
// meaningful for pixels whose field lies inside x.
inline int64_t field_origin(const Conv2dShape& s, int64_t n, int64_t oh, int64_t ow) {
  const int64_t ih0 = oh * s.g.stride_h - s.g.pad_top, iw0 = ow * s.g.stride_w - s.g.pad_left;
  return ((n * s.h + ih0) * s.w + iw0) * s.c_in;
}

// Copies entries [q0, q0 + count) of the receptive field of output pixel (n, oh, ow) into col. A field's
// entries run in (i, j, c) order, the kernel's row order; zeros where it hangs over the padding. With
// dilation_w 1 the taps of a kernel row inside x are one contiguous run of x, copied at once.
// copy(dst, src, n) copies runs of floats (each ISA's build passes its own vector loop).
using CopyFloats = void (*)(float* dst, const float* src, int64_t n);
inline void gather_field_range(const Conv2dShape& s, const float* x, int64_t n, int64_t oh, int64_t ow, int64_t q0,
                               int64_t count, float* col, CopyFloats copy) {
  const Conv2dGeometry& g = s.g;
  const int64_t c_in = s.c_in;
  const int64_t ih0 = oh * g.stride_h - g.pad_top, iw0 = ow * g.stride_w - g.pad_left;
  const bool whole_rows = g.dilation_w == 1 && iw0 >= 0 && iw0 + s.kw - 1 < s.w;
  for (int64_t q = q0, end = q0 + count; q < end;) {
    const int64_t tap = q / c_in, c = q % c_in, i = tap / s.kw, j = tap % s.kw;
    const int64_t ih = ih0 + i * g.dilation_h, iw = iw0 + j * g.dilation_w;
    const bool inside = ih >= 0 && ih < s.h && iw >= 0 && iw < s.w;
    const int64_t run = std::min(end - q, (whole_rows ? (s.kw - j) * c_in : c_in) - c);
    if (inside)
      copy(col, x + ((n * s.h + ih) * s.w + iw) * c_in + c, run);
    else
      zero_floats(col, run);
    col += run;
    q += run;
  }
}

// The inverse of gather_field_range over a whole field: adds col (one receptive field's gradient) into dx, skipping the padding.
inline void scatter_field_add(const Conv2dShape& s, const float* col, int64_t n, int64_t oh, int64_t ow, float* dx) {
  const Conv2dGeometry& g = s.g;
  const int64_t c = s.c_in;
  const int64_t ih0 = oh * g.stride_h - g.pad_top, iw0 = ow * g.stride_w - g.pad_left;
  for (int64_t i = 0; i < s.kh; ++i) {
    const int64_t ih = ih0 + i * g.dilation_h;
    if (ih < 0 || ih >= s.h) continue;
    float* row = dx + (n * s.h + ih) * s.w * c;
    for (int64_t j = 0; j < s.kw; ++j) {
      const int64_t iw = iw0 + j * g.dilation_w;
      if (iw < 0 || iw >= s.w) continue;
      float* dst = row + iw * c;
      const float* src = col + (i * s.kw + j) * c;
#pragma omp simd
      for (int64_t k = 0; k < c; ++k) dst[k] += src[k];
    }
  }
}

// Output pixel index m (row-major over n, ho, wo) as its coordinates.
struct Pixel {
  int64_t n, oh, ow;
};
inline Pixel pixel_at(const Conv2dShape& s, int64_t m) {
  const int64_t per_image = s.ho * s.wo;
  return {m / per_image, (m % per_image) / s.wo, m % s.wo};
}
inline void advance(const Conv2dShape& s, Pixel& p) {
  if (++p.ow == s.wo) {
    p.ow = 0;
    if (++p.oh == s.ho) {
      p.oh = 0;
      ++p.n;
    }
  }
}

// Elements between per-thread partial sums: n rounded up to whole 64-byte lines plus one line, so no
// two threads ever write the same cache line (whatever the buffer's alignment).
inline int64_t padded_stride(int64_t n, int64_t elem_bytes) {
  const int64_t per_line = 64 / elem_bytes;
  return (n + per_line - 1) / per_line * per_line + per_line;
}

// Prefetches what the receptive field of pixel p adds to those of the pixels before it in its row:
// the last tap of each kernel row. Issued a few pixels ahead of the gather, it hides the latency of
// reading x (measured 2-4% on a 56x56 ResNet layer at 1 thread, no change on 14x14 images).
inline void prefetch_field(const Conv2dShape& s, const float* x, const Pixel& p) {
  const Conv2dGeometry& g = s.g;
  const int64_t iw = p.ow * g.stride_w - g.pad_left + (s.kw - 1) * g.dilation_w;
  if (iw < 0 || iw >= s.w) return;
  for (int64_t i = 0; i < s.kh; ++i) {
    const int64_t ih = p.oh * g.stride_h - g.pad_top + i * g.dilation_h;
    if (ih < 0 || ih >= s.h) continue;
    const float* src = x + ((p.n * s.h + ih) * s.w + iw) * s.c_in;
    for (int64_t c = 0; c < s.c_in; c += 16) __builtin_prefetch(src + c);  // one per cache line
  }
}

}  // namespace
}  // namespace ironnet::cpu
