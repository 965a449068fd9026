// Direct convolution kernels for a small receptive field (K = kh * kw * c_in up to 80, like a first
// layer on grey or RGB images; conv2d.cpp has the measured rule), included once per ISA (conv2d_direct_{portable,avx2,
// avx512}.cpp), each compiled with its own flags. A GEMM with such a short depth spends more on
// packing and on loading and storing its C tiles than on multiply-adds; here nothing is packed per
// pixel: the kernels read x in place through a table of tap offsets, vectorised over output channels.
//   forward:     y[pixel, co]   = bias[co] + sum_t x[pixel + off[t]] * kernel[t, co]
//                P pixels x one block of CB channels in registers per tile, kernel rows from L1.
//   weight_grad: dkernel[t, co] = sum_pixels x[pixel + off[t]] * dy[pixel, co]
//                TB taps x CB channels of dkernel in registers while the pixels stream by.
// Pixels whose field hangs over the padding are first gathered (zeros included) into a small buffer
// and read through the identity offsets: the same kernels, no bounds checks inside them.
// Also here, for the same per-ISA build: the gather of receptive fields behind the GEMM path's implicit
// im2col, the Winograd weight gradient's products (add_transposed_product: the weight gradient's
// register blocking, with both operands read in place), and (conv2d_winograd_transforms.h,
// conv2d_winograd_grad_transforms.h) the Winograd path's transforms. Everything here has internal
// linkage; the ISA file hands the functions out in an IsaConvKernels.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/cpu/conv2d_patch.h"
#include "kernels/cpu/conv2d_paths.h"
#include "kernels/cpu/conv2d_winograd_grad_transforms.h"
#include "kernels/cpu/conv2d_winograd_transforms.h"
#include "kernels/cpu/threads.h"

namespace ironnet::cpu::conv2d_detail {
namespace {

// W: floats per native vector; NV: vectors per block of output channels; P: pixels per forward tile;
// TB: taps per weight-gradient block. P * NV + NV + 1 and TB * NV + NV + 1 vectors must fit the ISA's
// registers.
template <int W, int NV, int P, int TB>
struct DirectConv {
  typedef float Vec __attribute__((vector_size(W * sizeof(float))));
  static constexpr int CB = NV * W;  // output channels per block

  static Vec load(const float* p) {
    Vec v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static void store(float* p, Vec v) { std::memcpy(p, &v, sizeof v); }
  // s - 0 is s for every s (0 + s is not: -0 + 0 = +0), so this folds into a plain broadcast, even
  // into an FMA's broadcast memory operand; `Vec{} + s` costs an extra scalar add per use.
  static Vec splat(float s) { return s - Vec{}; }
  static Vec relu(Vec v) { return v > Vec{} ? v : Vec{}; }

  // The channel blocks of a kernel row-major (taps, c_out): block b holds taps x CB floats, channels
  // past c_out zero, so partial blocks need no special case while computing.
  static std::vector<float> blocked(const float* src, int64_t taps, int64_t co) {
    const int64_t blocks = (co + CB - 1) / CB;
    std::vector<float> out(static_cast<size_t>(blocks * taps * CB), 0.0f);
    for (int64_t b = 0; b < blocks; ++b)
      for (int64_t t = 0; t < taps; ++t)
        for (int64_t j = b * CB; j < std::min(co, (b + 1) * CB); ++j) out[(b * taps + t) * CB + j - b * CB] = src[t * co + j];
    return out;
  }

  // Offsets of a field's K taps: in x from the field's origin (i, j, c order), or in a gathered
  // field (0..K-1). Padded with zeros to `length` (tail blocks read a valid address, results unused).
  static std::vector<int64_t> tap_offsets(const Conv2dShape& s, bool gathered, int64_t length) {
    std::vector<int64_t> off(static_cast<size_t>(length), 0);
    int64_t t = 0;
    for (int64_t i = 0; i < s.kh; ++i)
      for (int64_t j = 0; j < s.kw; ++j)
        for (int64_t c = 0; c < s.c_in; ++c, ++t)
          off[static_cast<size_t>(t)] = gathered ? t : (i * s.g.dilation_h * s.w + j * s.g.dilation_w) * s.c_in + c;
    return off;
  }

  // Calls segment(base, step, off, ow0, ow1) for the pixels [ow0, ow1) of output row (n, oh), the
  // field of pixel ow at base + (ow - ow0) * step: x itself for fields inside x, else the fields
  // gathered into `patches` (wo x K floats).
  template <class Segment>
  static void for_row_segments(const Conv2dShape& s, const float* x, int64_t n, int64_t oh, InteriorColumns inside,
                               const int64_t* field, const int64_t* gathered, float* patches, Segment&& segment) {
    const int64_t k = s.taps();
    auto gather = [&](int64_t ow0, int64_t ow1) {
      if (ow0 >= ow1) return;
      for (int64_t ow = ow0; ow < ow1; ++ow) gather_field_range(s, x, n, oh, ow, 0, k, patches + (ow - ow0) * k, &copy);
      segment(patches, k, gathered, ow0, ow1);
    };
    if (!row_inside(s, oh) || inside.lo >= inside.hi) {
      gather(0, s.wo);
      return;
    }
    gather(0, inside.lo);
    segment(x + field_origin(s, n, oh, inside.lo), s.g.stride_w * s.c_in, field, inside.lo, inside.hi);
    gather(inside.hi, s.wo);
  }

  // ---- forward ---------------------------------------------------------------------------------

  // Up to P pixels (their fields at xp[p]) against one channel block: `count` rows of y written,
  // `cols` channels each.
  static void forward_tile(const float* const* xp, const int64_t* off, int64_t k, const float* wb, const float* bb,
                           bool relu_on, float* y, int64_t ldy, int count, int cols) {
    Vec acc[P][NV];
#pragma GCC unroll 16
    for (int p = 0; p < P; ++p)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[p][v] = load(bb + v * W);
    for (int64_t t = 0; t < k; ++t) {
      Vec wv[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) wv[v] = load(wb + t * CB + v * W);
      const int64_t o = off[t];
#pragma GCC unroll 16
      for (int p = 0; p < P; ++p) {
        const Vec xb = splat(xp[p][o]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[p][v] += xb * wv[v];
      }
    }
    for (int p = 0; p < count; ++p) {
      float* row = y + p * ldy;
      if (cols == CB) {
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) store(row + v * W, relu_on ? relu(acc[p][v]) : acc[p][v]);
      } else {
        float tmp[CB];
        for (int v = 0; v < NV; ++v) store(tmp + v * W, relu_on ? relu(acc[p][v]) : acc[p][v]);
        std::memcpy(row, tmp, static_cast<size_t>(cols) * sizeof(float));
      }
    }
  }

  static void forward(const Conv2dShape& s, const float* x, const float* kernel, const float* bias, bool relu_on,
                      float* y, int threads) {
    const int64_t k = s.taps(), co = s.c_out, blocks = (co + CB - 1) / CB;
    const std::vector<float> w = blocked(kernel, k, co);
    std::vector<float> b(static_cast<size_t>(blocks * CB), 0.0f);
    if (bias) std::copy(bias, bias + co, b.begin());
    const std::vector<int64_t> field = tap_offsets(s, false, k), gathered = tap_offsets(s, true, k);
    const InteriorColumns inside = interior_columns(s);
    const int64_t rows = s.n * s.ho;
#pragma omp parallel num_threads(threads)
    {
      std::vector<float> patches(static_cast<size_t>(s.wo * k));
#pragma omp for schedule(static)
      for (int64_t r = 0; r < rows; ++r) {
        float* y_row = y + r * s.wo * co;
        auto segment = [&](const float* base, int64_t step, const int64_t* off, int64_t ow0, int64_t ow1) {
          for (int64_t p0 = 0; p0 < ow1 - ow0; p0 += P) {
            const int count = static_cast<int>(std::min<int64_t>(P, ow1 - ow0 - p0));
            const float* xp[P];  // a short last tile repeats its last pixel, whose copies are not stored
            for (int p = 0; p < P; ++p) xp[p] = base + (p0 + std::min(p, count - 1)) * step;
            for (int64_t cb = 0; cb < blocks; ++cb)
              forward_tile(xp, off, k, w.data() + cb * k * CB, b.data() + cb * CB, relu_on,
                           y_row + (ow0 + p0) * co + cb * CB, co, count, static_cast<int>(std::min<int64_t>(CB, co - cb * CB)));
          }
        };
        for_row_segments(s, x, r / s.ho, r % s.ho, inside, field.data(), gathered.data(), patches.data(), segment);
      }
    }
  }

  // ---- weight gradient -------------------------------------------------------------------------

  // One pixel's dy over a channel block (cols of them), masked where the relu output was not positive.
  static void load_grad(const float* g, const float* y, int cols, Vec* out) {
    float gt[CB], yt[CB];
    if (cols < CB && cols % W == 0) {  // whole vectors, then zeros
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        out[v] = v * W < cols ? load(g + v * W) : Vec{};
        if (y && v * W < cols) out[v] = load(y + v * W) > Vec{} ? out[v] : Vec{};
      }
      return;
    }
    if (cols < CB) {  // a ragged block: stage it through zero-padded copies
      std::fill(gt, gt + CB, 0.0f);
      std::fill(yt, yt + CB, 0.0f);
      std::memcpy(gt, g, static_cast<size_t>(cols) * sizeof(float));
      if (y) std::memcpy(yt, y, static_cast<size_t>(cols) * sizeof(float));
      g = gt;
      y = y ? yt : nullptr;
    }
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      out[v] = load(g + v * W);
      if (y) out[v] = load(y + v * W) > Vec{} ? out[v] : Vec{};
    }
  }

  // acc (blocks x taps_padded x CB) += the contributions of `count` pixels, fields at base + p * step,
  // dy rows at g + p * co (relu outputs at y + p * co when masking); bias_acc (c_out, when non-null) +=
  // the segment's dy column sums, kept in registers with the first tap block and added in double.
  static void weight_grad_segment(const float* base, int64_t step, const int64_t* off, int64_t count, const float* g,
                                  const float* y, int64_t co, int64_t taps_padded, float* acc_all, double* bias_acc) {
    const int64_t blocks = (co + CB - 1) / CB;
    for (int64_t cb = 0; cb < blocks; ++cb) {
      const int cols = static_cast<int>(std::min<int64_t>(CB, co - cb * CB));
      for (int64_t t0 = 0; t0 < taps_padded; t0 += TB) {
        float* dst = acc_all + (cb * taps_padded + t0) * CB;
        Vec acc[TB][NV], gsum[NV] = {};
#pragma GCC unroll 16
        for (int i = 0; i < TB; ++i)
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) acc[i][v] = load(dst + i * CB + v * W);
        const int64_t* o = off + t0;
        const bool sum_bias = bias_acc && t0 == 0;
        for (int64_t p = 0; p < count; ++p) {
          Vec gv[NV];
          load_grad(g + p * co + cb * CB, y ? y + p * co + cb * CB : nullptr, cols, gv);
          const float* xf = base + p * step;
#pragma GCC unroll 16
          for (int i = 0; i < TB; ++i) {
            const Vec xb = splat(xf[o[i]]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) acc[i][v] += xb * gv[v];
          }
          if (sum_bias)
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) gsum[v] += gv[v];
        }
#pragma GCC unroll 16
        for (int i = 0; i < TB; ++i)
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) store(dst + i * CB + v * W, acc[i][v]);
        if (sum_bias) {
          float sums[CB];
          for (int v = 0; v < NV; ++v) store(sums + v * W, gsum[v]);
          for (int j = 0; j < cols; ++j) bias_acc[cb * CB + j] += sums[j];
        }
      }
    }
  }

  static void weight_grad(const Conv2dShape& s, const float* dy, const float* relu_y, const float* x, float* dkernel,
                          float* dbias, int threads) {
    const int64_t k = s.taps(), co = s.c_out, blocks = (co + CB - 1) / CB;
    const int64_t taps_padded = (k + TB - 1) / TB * TB;  // extra taps read offset 0; their sums are dropped
    // Per-thread sums a cache line apart: they are updated after every row, and a line shared by two
    // threads made two threads slower than one (measured 0.39 -> 0.49 ms, LeNet-like layer).
    const int64_t part = padded_stride(blocks * taps_padded * CB, sizeof(float));
    const int64_t bias_part = padded_stride(co, sizeof(double));
    const std::vector<int64_t> field = tap_offsets(s, false, taps_padded), gathered = tap_offsets(s, true, taps_padded);
    const InteriorColumns inside = interior_columns(s);
    const int64_t rows = s.n * s.ho, row_floats = s.wo * co;
    std::vector<float> partials(static_cast<size_t>(part * threads), 0.0f);
    std::vector<double> bias_sums(dbias ? static_cast<size_t>(bias_part * threads) : 0, 0.0);
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      int64_t r0, r1;
      block_of(rows, t, nt, r0, r1);
      float* acc = partials.data() + t * part;
      double* bsum = dbias ? bias_sums.data() + t * bias_part : nullptr;
      std::vector<float> patches(static_cast<size_t>(s.wo * k));
      for (int64_t r = r0; r < r1; ++r) {
        const float* g_row = dy + r * row_floats;
        const float* y_row = relu_y ? relu_y + r * row_floats : nullptr;
        auto segment = [&](const float* base, int64_t step, const int64_t* off, int64_t ow0, int64_t ow1) {
          weight_grad_segment(base, step, off, ow1 - ow0, g_row + ow0 * co, y_row ? y_row + ow0 * co : nullptr, co,
                              taps_padded, acc, bsum);
        };
        for_row_segments(s, x, r / s.ho, r % s.ho, inside, field.data(), gathered.data(), patches.data(), segment);
      }
    }
    sum_partials(partials.data(), part, bias_sums.data(), bias_part, threads, k, co, taps_padded, dkernel, dbias);
  }

  // The threads' partial sums (each blocks x taps_padded x CB floats, `part` apart; bias sums c_out
  // doubles, `bias_part` apart), in a fixed order, back to dkernel (K, c_out) and dbias (when non-null).
  static void sum_partials(const float* partials, int64_t part, const double* bias_sums, int64_t bias_part,
                           int threads, int64_t k, int64_t co, int64_t taps_padded, float* dkernel, float* dbias) {
    for (int64_t tap = 0; tap < k; ++tap)
      for (int64_t j = 0; j < co; ++j) {
        const int64_t at = ((j / CB) * taps_padded + tap) * CB + j % CB;
        float sum = 0.0f;
        for (int t = 0; t < threads; ++t) sum += partials[t * part + at];
        dkernel[tap * co + j] = sum;
      }
    if (dbias)
      for (int64_t j = 0; j < co; ++j) {
        double sum = 0.0;
        for (int t = 0; t < threads; ++t) sum += bias_sums[t * bias_part + j];
        dbias[j] = static_cast<float>(sum);
      }
  }

  // ---- the Winograd weight gradient's products ---------------------------------------------------

  // One block of add_transposed_product (below): du rows [r0, r0 + live) by channels [0, cols) of the
  // block at dst. Full rows / columns are template arguments so the common case has no clamping in its
  // loop: constant offsets for a's broadcasts, and no staging of b (which would spill the accumulators).
  template <bool FullRows, bool FullCols>
  static void product_block(const float* a, int64_t a_stride, int64_t r0, int live, const float* b, int64_t co,
                            int cols, int64_t count, float* dst) {
    int64_t at[TB];  // row i of the block: column at[i] of a, row at[i] of du (a short block repeats its last)
    for (int i = 0; i < TB; ++i) at[i] = r0 + (FullRows ? i : std::min(i, live - 1));
    Vec acc[TB][NV];
    float tmp[CB] = {};
#pragma GCC unroll 16
    for (int i = 0; i < TB; ++i) {
      const float* row = dst + at[i] * co;
      if (!FullCols) row = static_cast<const float*>(std::memcpy(tmp, row, cols * sizeof(float)));
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = load(row + v * W);
    }
    for (int64_t p = 0; p < count; ++p) {
      Vec bv[NV];
      if (FullCols) {
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) bv[v] = load(b + p * co + v * W);
      } else {
        load_grad(b + p * co, nullptr, cols, bv);
      }
      const float* ap = a + p * a_stride;
#pragma GCC unroll 16
      for (int i = 0; i < TB; ++i) {
        const Vec ab = splat(FullRows ? ap[r0 + i] : ap[at[i]]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[i][v] += ab * bv[v];
      }
    }
    for (int i = 0; i < live; ++i) {
      float* row = dst + at[i] * co;
      if (FullCols) {
        for (int v = 0; v < NV; ++v) store(row + v * W, acc[i][v]);
      } else {
        for (int v = 0; v < NV; ++v) store(tmp + v * W, acc[i][v]);
        std::memcpy(row, tmp, cols * sizeof(float));
      }
    }
  }

  // du (rows x co, row-major) += a^T b for a (count x rows, rows a_stride floats apart) and b (count x
  // co, row-major): the sum of `count` outer products. TB rows of du by one channel block stay in
  // registers while a's and b's rows stream by, so neither operand is packed or transposed (a GEMM
  // would transpose one of them element by element).
  static void add_transposed_product(const float* a, int64_t a_stride, int64_t rows, const float* b, int64_t co,
                                     int64_t count, float* du) {
    for (int64_t c0 = 0; c0 < co; c0 += CB) {
      const int cols = static_cast<int>(std::min<int64_t>(CB, co - c0));
      for (int64_t r0 = 0; r0 < rows; r0 += TB) {
        const int live = static_cast<int>(std::min<int64_t>(TB, rows - r0));
        if (live == TB && cols == CB)
          product_block<true, true>(a, a_stride, r0, live, b + c0, co, cols, count, du + c0);
        else if (cols == CB)
          product_block<false, true>(a, a_stride, r0, live, b + c0, co, cols, count, du + c0);
        else if (live == TB)
          product_block<true, false>(a, a_stride, r0, live, b + c0, co, cols, count, du + c0);
        else
          product_block<false, false>(a, a_stride, r0, live, b + c0, co, cols, count, du + c0);
      }
    }
  }

  // ---- field gather (implicit im2col of the GEMM path) ----------------------------------------

  // n floats; a loop in whole vectors (runs are usually C_in floats, a multiple of the width).
  static void copy(float* dst, const float* src, int64_t n) {
    int64_t i = 0;
    for (; i + W <= n; i += W) store(dst + i, load(src + i));
    for (; i < n; ++i) dst[i] = src[i];
  }

  static void gather_fields(const Conv2dShape& s, const float* x, int64_t row0, int64_t rows, int64_t col0,
                            int64_t cols, float* out, int64_t out_row_stride) {
    constexpr int64_t kAhead = 8;  // pixels between a field's prefetch and its gather
    Pixel p = pixel_at(s, row0), ahead = pixel_at(s, row0 + kAhead);
    for (int64_t r = 0; r < rows; ++r, advance(s, p), advance(s, ahead)) {
      if (row0 + r + kAhead < s.pixels()) prefetch_field(s, x, ahead);
      gather_field_range(s, x, p.n, p.oh, p.ow, col0, cols, out + r * out_row_stride, &copy);
    }
  }

};

// The kernels of one ISA: Narrow (one vector per channel block, so more pixels or taps in registers)
// where c_out fits one vector, since Wide would spend half its multiply-adds on padding channels.
template <class Wide, class Narrow>
const IsaConvKernels& isa_conv_kernels() {
  static const IsaConvKernels t{
      [](const Conv2dShape& s, const float* x, const float* kernel, const float* bias, bool relu, float* y,
         int threads) { (s.c_out <= Narrow::CB ? Narrow::forward : Wide::forward)(s, x, kernel, bias, relu, y, threads); },
      [](const Conv2dShape& s, const float* dy, const float* relu_y, const float* x, float* dkernel, float* dbias,
         int threads) {
        (s.c_out <= Narrow::CB ? Narrow::weight_grad : Wide::weight_grad)(s, dy, relu_y, x, dkernel, dbias, threads);
      },
      &Wide::gather_fields, &winograd_input, &winograd_output, &winograd_output_grad,
      [](const float* a, int64_t a_stride, int64_t rows, const float* b, int64_t co, int64_t count, float* du) {
        (co <= Narrow::CB ? Narrow::add_transposed_product : Wide::add_transposed_product)(a, a_stride, rows, b, co,
                                                                                           count, du);
      }};
  return t;
}

}  // namespace
}  // namespace ironnet::cpu::conv2d_detail
