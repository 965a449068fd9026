// The output-gradient transform of the Winograd F(2x2, 3x3) weight gradient
// (conv2d_winograd_weight_grad.cpp has the algorithm), included once per ISA through
// conv2d_direct_kernels.h so `omp simd` over output channels uses the ISA's widest vectors. Internal
// linkage, like every per-ISA helper.
#pragma once
#include <cstdint>

#include "ironnet/conv2d.h"
#include "kernels/cpu/conv2d_winograd_transforms.h"

namespace ironnet::cpu::conv2d_detail {
namespace {

// dM = A g A^T of one tile's 2x2 output gradient g (g[2 * row + column] its pixels' dy rows, zeros for
// pixels past the image), vectorised over output channels; out[xi * m_stride + o], xi = 4 * row +
// column. Where `mask` is non-null, dy counts only where the relu output mask[2 * row + column][o] is
// positive.
//   A = [1 0; 1 1; 1 -1; 0 -1]
template <bool Masked>
void winograd_output_grad_tile(int64_t co, const float* const* g, const float* const* mask, float* out,
                               int64_t m_stride) {
  const float* g0 = g[0];
  const float* g1 = g[1];
  const float* g2 = g[2];
  const float* g3 = g[3];
  const float* y0 = mask ? mask[0] : nullptr;
  const float* y1 = mask ? mask[1] : nullptr;
  const float* y2 = mask ? mask[2] : nullptr;
  const float* y3 = mask ? mask[3] : nullptr;
#pragma omp simd
  for (int64_t o = 0; o < co; ++o) {
    float a = g0[o], b = g1[o], c = g2[o], d = g3[o];  // the tile [a b; c d]
    if (Masked) {
      a = y0[o] > 0.0f ? a : 0.0f;
      b = y1[o] > 0.0f ? b : 0.0f;
      c = y2[o] > 0.0f ? c : 0.0f;
      d = y3[o] > 0.0f ? d : 0.0f;
    }
    // A g: its rows' combinations [r0; r0 + r1; r0 - r1; -r1], r the rows of g
    const float r[4][2] = {{a, b}, {a + c, b + d}, {a - c, b - d}, {-c, -d}};
    for (int i = 0; i < 4; ++i) {  // (A g) A^T: the same combinations of its columns
      out[(4 * i + 0) * m_stride + o] = r[i][0];
      out[(4 * i + 1) * m_stride + o] = r[i][0] + r[i][1];
      out[(4 * i + 2) * m_stride + o] = r[i][0] - r[i][1];
      out[(4 * i + 3) * m_stride + o] = -r[i][1];
    }
  }
}

// dM (above) for each of `tiles` tiles from tile0: m[xi * m_stride + t * c_out + o]. Pixels of an
// edge tile past the output read `zeros` (c_out zero floats) as dy, so every tile runs the same loop;
// relu_y (null: no relu) masks dy. bias_sums[o] += the tiles' (masked) dy, which is dM at xi = 5: a
// pass over 1/16 of dM after the tiles, instead of a read-modify-write of doubles in every tile.
void winograd_output_grad(const Conv2dShape& s, const float* dy, const float* relu_y, int64_t tile0, int64_t tiles,
                          const float* zeros, float* m, int64_t m_stride, double* bias_sums) {
  const int64_t co = s.c_out;
  for (int64_t t = 0; t < tiles; ++t) {
    const WinogradTile tile = winograd_tile(s, tile0 + t);
    const float* g[4];
    const float* mask[4];
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j) {
        const int64_t oh = 2 * tile.ty + i, ow = 2 * tile.tx + j;
        const bool inside = oh < s.ho && ow < s.wo;
        const int64_t at = ((tile.n * s.ho + oh) * s.wo + ow) * co;
        g[2 * i + j] = inside ? dy + at : zeros;
        mask[2 * i + j] = inside && relu_y ? relu_y + at : zeros;
      }
    if (relu_y)
      winograd_output_grad_tile<true>(co, g, mask, m + t * co, m_stride);
    else
      winograd_output_grad_tile<false>(co, g, nullptr, m + t * co, m_stride);
  }
  constexpr int kTileSum = 5;  // dM[1][1] = (a + c) + (b + d)
  const float* sums = m + kTileSum * m_stride;
  for (int64_t t = 0; t < tiles; ++t) {
#pragma omp simd
    for (int64_t o = 0; o < co; ++o) bias_sums[o] += static_cast<double>(sums[t * co + o]);
  }
}

}  // namespace
}  // namespace ironnet::cpu::conv2d_detail
