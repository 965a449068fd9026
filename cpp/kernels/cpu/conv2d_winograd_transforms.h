// The input and output transforms of Winograd F(2x2, 3x3) (conv2d_winograd.cpp has the algorithm),
// included once per ISA through conv2d_direct_kernels.h so `omp simd` over channels uses the ISA's
// widest vectors. NHWC keeps a pixel's channels contiguous: every loop here runs over channels with
// the tile's 16 (or 4) pixel addresses fixed. Internal linkage, like every per-ISA helper.
#pragma once
#include <cstdint>

#include "ironnet/conv2d.h"

namespace ironnet::cpu::conv2d_detail {
namespace {

// Output tile t (2x2 pixels) of image n at tile row ty, column tx; tiles run image by image, row by row.
struct WinogradTile {
  int64_t n, ty, tx;
};

inline WinogradTile winograd_tile(const Conv2dShape& s, int64_t t) {
  const int64_t tiles_w = (s.wo + 1) / 2, tiles_h = (s.ho + 1) / 2;
  return {t / (tiles_h * tiles_w), t / tiles_w % tiles_h, t % tiles_w};
}

// V = B^T d B of the 4x4 input patch d of each of `tiles` tiles from tile0, per input channel:
// v[xi * v_stride + t * c_in + c] for xi = 4 * row + column of the transformed patch. Pixels of the
// patch in the padding read `zeros` (c_in zero floats), so the arithmetic has no bounds checks.
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
void winograd_input(const Conv2dShape& s, const float* x, int64_t tile0, int64_t tiles, const float* zeros, float* v,
                    int64_t v_stride) {
  const int64_t ci = s.c_in;
  for (int64_t t = 0; t < tiles; ++t) {
    const WinogradTile tile = winograd_tile(s, tile0 + t);
    const int64_t ih0 = 2 * tile.ty - s.g.pad_top, iw0 = 2 * tile.tx - s.g.pad_left;
    const float* d[16];
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) {
        const int64_t ih = ih0 + i, iw = iw0 + j;
        const bool inside = ih >= 0 && ih < s.h && iw >= 0 && iw < s.w;
        d[4 * i + j] = inside ? x + ((tile.n * s.h + ih) * s.w + iw) * ci : zeros;
      }
    float* out = v + t * ci;
#pragma omp simd
    for (int64_t c = 0; c < ci; ++c) {
      float e[4][4];  // B^T d: combinations of the patch's rows
      for (int j = 0; j < 4; ++j) {
        const float d0 = d[j][c], d1 = d[4 + j][c], d2 = d[8 + j][c], d3 = d[12 + j][c];
        e[0][j] = d0 - d2;
        e[1][j] = d1 + d2;
        e[2][j] = d2 - d1;
        e[3][j] = d1 - d3;
      }
      for (int i = 0; i < 4; ++i) {  // (B^T d) B: the same combinations of its columns
        out[(4 * i + 0) * v_stride + c] = e[i][0] - e[i][2];
        out[(4 * i + 1) * v_stride + c] = e[i][1] + e[i][2];
        out[(4 * i + 2) * v_stride + c] = e[i][2] - e[i][1];
        out[(4 * i + 3) * v_stride + c] = e[i][1] - e[i][3];
      }
    }
  }
}

// A^T M A (+ bias, relu) of one tile, vectorised over output channels: in[xi * m_stride + o] are its
// 16 products, out0..out3 its outputs (row-major 2x2). Plain scalars, not small local arrays: with
// arrays GCC's loop vectoriser gave up and ran the loop one channel at a time (a quarter of the
// forward's time at 32 -> 64 channels). Relu is a template argument so the loop has no branch.
template <bool Relu>
void winograd_output_tile(int64_t co, const float* in, int64_t m_stride, const float* bias, float* out0, float* out1,
                          float* out2, float* out3) {
  const float* m0 = in;
  const float* m1 = in + 4 * m_stride;
  const float* m2 = in + 8 * m_stride;
  const float* m3 = in + 12 * m_stride;
  const int64_t c1 = m_stride, c2 = 2 * m_stride, c3 = 3 * m_stride;  // columns within a row of M
#pragma omp simd
  for (int64_t o = 0; o < co; ++o) {
    // A^T M: row 0 = M0 + M1 + M2, row 1 = M1 - M2 - M3 (rows of the 4x4 M), per column j.
    const float s0 = m0[o] + m1[o] + m2[o], s1 = m0[c1 + o] + m1[c1 + o] + m2[c1 + o];
    const float s2 = m0[c2 + o] + m1[c2 + o] + m2[c2 + o], s3 = m0[c3 + o] + m1[c3 + o] + m2[c3 + o];
    const float d0 = m1[o] - m2[o] - m3[o], d1 = m1[c1 + o] - m2[c1 + o] - m3[c1 + o];
    const float d2 = m1[c2 + o] - m2[c2 + o] - m3[c2 + o], d3 = m1[c3 + o] - m2[c3 + o] - m3[c3 + o];
    // (A^T M) A: the same combinations of the columns.
    float y0 = s0 + s1 + s2 + bias[o], y1 = s1 - s2 - s3 + bias[o];
    float y2 = d0 + d1 + d2 + bias[o], y3 = d1 - d2 - d3 + bias[o];
    if (Relu) {
      y0 = y0 > 0.0f ? y0 : 0.0f;
      y1 = y1 > 0.0f ? y1 : 0.0f;
      y2 = y2 > 0.0f ? y2 : 0.0f;
      y3 = y3 > 0.0f ? y3 : 0.0f;
    }
    out0[o] = y0;
    out1[o] = y1;
    out2[o] = y2;
    out3[o] = y3;
  }
}

// y = A^T M A + bias (relu'd when `relu`) for each of `tiles` tiles from tile0: M's 16 products are
// m[xi * m_stride + t * c_out + o]; bias has c_out floats (zeros for none). Outputs of an edge tile
// past the image go to `discard` (c_out floats of scratch), so every tile runs the same loop.
//   A^T = [1 1 1 0; 0 1 -1 -1]
void winograd_output(const Conv2dShape& s, const float* m, int64_t m_stride, int64_t tile0, int64_t tiles,
                     const float* bias, bool relu, float* discard, float* y) {
  const int64_t co = s.c_out;
  for (int64_t t = 0; t < tiles; ++t) {
    const WinogradTile tile = winograd_tile(s, tile0 + t);
    float* out[4];
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j) {
        const int64_t oh = 2 * tile.ty + i, ow = 2 * tile.tx + j;
        out[2 * i + j] = oh < s.ho && ow < s.wo ? y + ((tile.n * s.ho + oh) * s.wo + ow) * co : discard;
      }
    (relu ? winograd_output_tile<true> : winograd_output_tile<false>)(co, m + t * co, m_stride, bias, out[0], out[1],
                                                                      out[2], out[3]);
  }
}

}  // namespace
}  // namespace ironnet::cpu::conv2d_detail
