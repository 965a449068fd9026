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
// 16 products, out[2 * row + column] its four outputs. Relu is a template argument so the loop has
// no branch (and stays vectorisable).
template <bool Relu>
void winograd_output_tile(int64_t co, const float* in, int64_t m_stride, const float* bias, float* const* out) {
  float* out0 = out[0];
  float* out1 = out[1];
  float* out2 = out[2];
  float* out3 = out[3];
#pragma omp simd
  for (int64_t o = 0; o < co; ++o) {
    float r[2][4];  // A^T M: combinations of the rows of M
    for (int j = 0; j < 4; ++j) {
      const float m0 = in[j * m_stride + o], m1 = in[(4 + j) * m_stride + o];
      const float m2 = in[(8 + j) * m_stride + o], m3 = in[(12 + j) * m_stride + o];
      r[0][j] = m0 + m1 + m2;
      r[1][j] = m1 - m2 - m3;
    }
    float y[4];  // (A^T M) A: the same combinations of its columns
    for (int i = 0; i < 2; ++i) {
      y[2 * i] = r[i][0] + r[i][1] + r[i][2] + bias[o];
      y[2 * i + 1] = r[i][1] - r[i][2] - r[i][3] + bias[o];
    }
    if (Relu)
      for (float& v : y) v = v > 0.0f ? v : 0.0f;
    out0[o] = y[0];
    out1[o] = y[1];
    out2[o] = y[2];
    out3[o] = y[3];
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
    (relu ? winograd_output_tile<true> : winograd_output_tile<false>)(co, m + t * co, m_stride, bias, out);
  }
}

}  // namespace
}  // namespace ironnet::cpu::conv2d_detail
