// The fused conv2d(relu) -> max_pool2d weight gradient (ironnet/conv2d_pool.h has the rule), included
// once per ISA (conv2d_relu_maxpool_{portable,avx2,avx512}.cpp), each compiled with its own flags.
//
// Only a window's argmax gets a gradient, but each channel has its own argmax, so one channel block's
// gradient comes from up to pool_h * pool_w different receptive fields. Two ways to vectorise over
// channels: gather each channel's field value (K gathers per block and pooled pixel), or visit every
// conv pixel q of the window with the block's gradient masked to the channels whose argmax is q
// (pool_h * pool_w * K broadcast multiply-adds). A 16-lane gather is 16 loads (>= 5-8 cycles) while a
// 2x2 window's 4 multiply-adds per tap take 2, so this file does the second: the multiply-adds of the
// dense weight gradient, but its input built in registers from (dpooled, pooled, argmax), a quarter
// the size of the conv output, instead of reading a full-size relu output and gradient (11 MB each
// for the small CNN's first layer) and having max pooling's backward write the latter first.
// The loops are those of the direct weight gradient (conv2d_direct_kernels.h), whose vector helpers
// and tap-offset tables this reuses: TB taps x one channel block in registers while the pixels stream.
// With many input channels (conv2d_relu_maxpool.cpp decides), ArgmaxGrad below vectorises over taps
// instead, one field per pooled output.
// Everything here has internal linkage; the ISA file hands out the table only.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/cpu/conv2d_direct_kernels.h"
#include "kernels/cpu/conv2d_relu_maxpool_table.h"

namespace ironnet::cpu::conv2d_pool_detail {
namespace {

// A conv pixel's receptive field: tap t at base[off[t]] (x itself, or a copy where it hangs over the padding).
struct Field {
  const float* base;
  const int64_t* off;
};

// W: floats per vector; NV: vectors per channel block; TB: taps per block. TB * NV accumulators plus
// 3 * NV (gradient, argmax, masked gradient) + 1 vectors must fit the ISA's registers.
template <int W, int NV, int TB>
struct PooledConvGrad {
  using D = conv2d_detail::DirectConv<W, NV, 1, TB>;
  using Vec = typename D::Vec;
  typedef int32_t IVec __attribute__((vector_size(W * sizeof(int32_t))));
  static constexpr int CB = D::CB;

  static IVec load_int(const int32_t* p) {
    IVec v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }

  // One pooled pixel's channel block: g = dpooled where pooled > 0 (the relu's mask at the argmax)
  // else 0, and the argmax. A ragged block (cols < CB) goes through padded copies: gradient 0 and
  // argmax -1, which is no conv pixel.
  static void load_block(const float* dp, const float* pooled, const int32_t* am, int cols, Vec* g, IVec* at) {
    float dp_tmp[CB], pooled_tmp[CB];
    int32_t am_tmp[CB];
    if (cols < CB) {
      std::fill(dp_tmp, dp_tmp + CB, 0.0f);
      std::fill(pooled_tmp, pooled_tmp + CB, 0.0f);
      std::fill(am_tmp, am_tmp + CB, -1);
      std::memcpy(dp_tmp, dp, static_cast<size_t>(cols) * sizeof(float));
      std::memcpy(pooled_tmp, pooled, static_cast<size_t>(cols) * sizeof(float));
      std::memcpy(am_tmp, am, static_cast<size_t>(cols) * sizeof(int32_t));
      dp = dp_tmp, pooled = pooled_tmp, am = am_tmp;
    }
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      g[v] = D::load(pooled + v * W) > Vec{} ? D::load(dp + v * W) : Vec{};
      at[v] = load_int(am + v * W);
    }
  }

  // acc (blocks x taps_padded x CB) += the contributions of pooled row r = (n, ph), whose windows
  // cover conv rows [oh0, oh0 + rows); fields[(oh - oh0) * wo + ow] are those rows' fields.
  // bias_acc (c_out, when non-null) += the row's masked gradient.
  static void pooled_row(const Conv2dShape& s, const Pool2dGeometry& p, int64_t r, int64_t oh0, int64_t rows,
                         const Field* fields, const float* dpooled, const float* pooled, const int32_t* argmax,
                         int64_t taps_padded, float* acc_all, double* bias_acc) {
    const int64_t co = s.c_out, blocks = (co + CB - 1) / CB;
    for (int64_t cb = 0; cb < blocks; ++cb) {
      const int cols = static_cast<int>(std::min<int64_t>(CB, co - cb * CB));
      for (int64_t t0 = 0; t0 < taps_padded; t0 += TB) {
        float* dst = acc_all + (cb * taps_padded + t0) * CB;
        Vec acc[TB][NV], gsum[NV] = {};
#pragma GCC unroll 16
        for (int i = 0; i < TB; ++i)
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) acc[i][v] = D::load(dst + i * CB + v * W);
        const bool sum_bias = bias_acc && t0 == 0;
        for (int64_t pw = 0; pw < p.out_w; ++pw) {
          const int64_t at = (r * p.out_w + pw) * co + cb * CB;
          Vec g[NV];
          IVec am[NV];
          load_block(dpooled + at, pooled + at, argmax + at, cols, g, am);
          if (sum_bias)
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) gsum[v] += g[v];
          const int64_t ow_start = pw * p.stride_w - p.pad_left;
          const int64_t ow0 = std::max<int64_t>(ow_start, 0), ow1 = std::min(ow_start + p.pool_w, s.wo);
          for (int64_t oh = oh0; oh < oh0 + rows; ++oh)
            for (int64_t ow = ow0; ow < ow1; ++ow) {
              const int32_t here = static_cast<int32_t>(oh * s.wo + ow);
              Vec gq[NV];
#pragma GCC unroll 4
              for (int v = 0; v < NV; ++v) gq[v] = am[v] == here ? g[v] : Vec{};
              const Field& f = fields[(oh - oh0) * s.wo + ow];
              const int64_t* o = f.off + t0;
#pragma GCC unroll 16
              for (int i = 0; i < TB; ++i) {
                const Vec xb = D::splat(f.base[o[i]]);
#pragma GCC unroll 4
                for (int v = 0; v < NV; ++v) acc[i][v] += xb * gq[v];
              }
            }
        }
#pragma GCC unroll 16
        for (int i = 0; i < TB; ++i)
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) D::store(dst + i * CB + v * W, acc[i][v]);
        if (sum_bias) {
          float sums[CB];
          for (int v = 0; v < NV; ++v) D::store(sums + v * W, gsum[v]);
          for (int j = 0; j < cols; ++j) bias_acc[cb * CB + j] += sums[j];
        }
      }
    }
  }

  static void run(const Conv2dShape& s, const Pool2dGeometry& p, const float* dpooled, const float* pooled,
                  const int32_t* argmax, const float* x, float* dkernel, float* dbias, int threads) {
    const int64_t k = s.taps(), co = s.c_out, blocks = (co + CB - 1) / CB;
    const int64_t taps_padded = (k + TB - 1) / TB * TB;  // extra taps read offset 0; their sums are dropped
    const int64_t part = padded_stride(blocks * taps_padded * CB, sizeof(float));  // a cache line apart
    const int64_t bias_part = padded_stride(co, sizeof(double));
    const std::vector<int64_t> in_x = D::tap_offsets(s, false, taps_padded), copied = D::tap_offsets(s, true, taps_padded);
    const InteriorColumns inside = interior_columns(s);
    const int64_t rows = p.batch * p.out_h;
    std::vector<float> partials(static_cast<size_t>(part * threads), 0.0f);
    std::vector<double> bias_sums(dbias ? static_cast<size_t>(bias_part * threads) : 0, 0.0);
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      int64_t r0, r1;
      block_of(rows, t, nt, r0, r1);
      float* acc = partials.data() + t * part;
      double* bsum = dbias ? bias_sums.data() + t * bias_part : nullptr;
      std::vector<Field> fields(static_cast<size_t>(p.pool_h * s.wo));
      std::vector<float> patches(static_cast<size_t>(p.pool_h * s.wo * k));  // fields over the padding
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t n = r / p.out_h, oh_start = (r % p.out_h) * p.stride_h - p.pad_top;
        const int64_t oh0 = std::max<int64_t>(oh_start, 0), oh1 = std::min(oh_start + p.pool_h, s.ho);
        for (int64_t oh = oh0; oh < oh1; ++oh)
          for (int64_t ow = 0; ow < s.wo; ++ow) {
            const int64_t i = (oh - oh0) * s.wo + ow;
            if (row_inside(s, oh) && ow >= inside.lo && ow < inside.hi) {
              fields[i] = {x + field_origin(s, n, oh, ow), in_x.data()};
            } else {
              float* patch = patches.data() + i * k;
              gather_field_range(s, x, n, oh, ow, 0, k, patch, &D::copy);
              fields[i] = {patch, copied.data()};
            }
          }
        pooled_row(s, p, r, oh0, oh1 - oh0, fields.data(), dpooled, pooled, argmax, taps_padded, acc, bsum);
      }
    }
    D::sum_partials(partials.data(), part, bias_sums.data(), bias_part, threads, k, co, taps_padded, dkernel, dbias);
  }
};

// ---- by argmax: one channel's field at a time, vectors over its taps ---------------------------------

// dst[0, n) += g * src[0, n).
inline void scaled_add(int64_t n, float g, const float* src, float* dst) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) dst[i] += g * src[i];
}

// dst (one channel's K taps) += g * the field of conv pixel (n, oh, ow), skipping taps in the padding:
// a kernel row inside x is one contiguous run of kw * c_in floats when undilated.
inline void add_field(const Conv2dShape& s, const float* x, int64_t n, int64_t oh, int64_t ow, float g, float* dst) {
  const Conv2dGeometry& geo = s.g;
  const int64_t c_in = s.c_in, ih0 = oh * geo.stride_h - geo.pad_top, iw0 = ow * geo.stride_w - geo.pad_left;
  const bool whole_rows = geo.dilation_w == 1 && iw0 >= 0 && iw0 + s.kw <= s.w;
  for (int64_t i = 0; i < s.kh; ++i) {
    const int64_t ih = ih0 + i * geo.dilation_h;
    if (ih < 0 || ih >= s.h) continue;
    const float* row = x + (n * s.h + ih) * s.w * c_in;
    float* d = dst + i * s.kw * c_in;
    if (whole_rows) {
      scaled_add(s.kw * c_in, g, row + iw0 * c_in, d);
      continue;
    }
    for (int64_t j = 0; j < s.kw; ++j) {
      const int64_t iw = iw0 + j * geo.dilation_w;
      if (iw >= 0 && iw < s.w) scaled_add(c_in, g, row + iw * c_in, d + j * c_in);
    }
  }
}

// For large fields (many input channels): each (pooled pixel, channel) whose masked gradient g is
// nonzero adds g * its argmax's field to that channel's row of dkernel. The multiply-adds are one
// field per pooled output instead of one per conv output (pool_h * pool_w times fewer), and relu's
// zeros are skipped. One channel at a time, over the pooled pixels of one image: its row of the sum
// stays in registers, RV vectors of a run of contiguous taps (a kernel row's kw * C_in floats when
// undilated) at a time, while the fields stream by. Measured (128x13x13x32 -> 64, 1 thread): adding
// each field to the row in memory instead was load/store bound, 3.6 ms, no faster than dense.
template <int W, int RV>
struct ArgmaxGrad {
  using D = conv2d_detail::DirectConv<W, 1, 1, 1>;
  using Vec = typename D::Vec;

  // Up to RV * W contiguous taps: at field + x_off in x, at t_off in the kernel's (K) row.
  struct Chunk {
    int64_t x_off, t_off, len;
  };
  struct Entry {
    float g;
    const float* field;  // the argmax pixel's field origin in x
  };

  static std::vector<Chunk> chunks(const Conv2dShape& s) {
    const Conv2dGeometry& geo = s.g;
    const int64_t run = geo.dilation_w == 1 ? s.kw * s.c_in : s.c_in, runs_per_row = s.kw * s.c_in / run;
    std::vector<Chunk> out;
    for (int64_t i = 0; i < s.kh; ++i)
      for (int64_t j = 0; j < runs_per_row; ++j)
        for (int64_t q = 0; q < run; q += RV * W)
          out.push_back({(i * geo.dilation_h * s.w + j * geo.dilation_w) * s.c_in + q, (i * s.kw + j) * s.c_in + q,
                         std::min<int64_t>(RV * W, run - q)});
    return out;
  }

  // row[c.t_off, + c.len) += sum over entries of g * field[c.x_off, + c.len).
  static void accumulate(const Chunk& c, const Entry* entries, int64_t count, float* row) {
    const int nv = static_cast<int>(c.len / W), tail = static_cast<int>(c.len % W);
    Vec acc[RV];
#pragma GCC unroll 16
    for (int v = 0; v < RV; ++v) acc[v] = v < nv ? D::load(row + c.t_off + v * W) : Vec{};
    for (int64_t e = 0; e < count; ++e) {
      const float* src = entries[e].field + c.x_off;
      const Vec g = D::splat(entries[e].g);
#pragma GCC unroll 16
      for (int v = 0; v < RV; ++v)
        if (v < nv) acc[v] += g * D::load(src + v * W);
    }
#pragma GCC unroll 16
    for (int v = 0; v < RV; ++v)
      if (v < nv) D::store(row + c.t_off + v * W, acc[v]);
    for (int64_t e = 0; e < count && tail; ++e)  // channel counts that are not whole vectors
      scaled_add(tail, entries[e].g, entries[e].field + c.x_off + nv * W, row + c.t_off + nv * W);
  }

  static void run(const Conv2dShape& s, const Pool2dGeometry& p, const float* dpooled, const float* pooled,
                  const int32_t* argmax, const float* x, float* dkernel, float* dbias, int threads) {
    const int64_t k = s.taps(), co = s.c_out, row = p.out_w * co;
    const int64_t part = padded_stride(co * k, sizeof(float)), bias_part = padded_stride(co, sizeof(double));
    const std::vector<Chunk> pieces = chunks(s);
    const InteriorColumns inside = interior_columns(s);
    std::vector<float> partials(static_cast<size_t>(part * threads), 0.0f);
    std::vector<double> bias_sums(static_cast<size_t>(bias_part * threads), 0.0);
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      int64_t r0, r1;
      block_of(p.batch * p.out_h, t, nt, r0, r1);
      float* acc = partials.data() + t * part;
      double* bsum = bias_sums.data() + t * bias_part;
      std::vector<Entry> entries(static_cast<size_t>(p.out_h * p.out_w));
      for (int64_t first = r0, last; first < r1; first = last) {  // pooled rows of one image at a time
        const int64_t n = first / p.out_h;
        last = std::min(r1, (n + 1) * p.out_h);
        for (int64_t c = 0; c < co; ++c) {
          float* sum = acc + c * k;
          int64_t count = 0;
          for (int64_t at = first * row + c; at < last * row; at += co) {
            const float g = pooled[at] > 0.0f ? dpooled[at] : 0.0f;
            if (g == 0.0f) continue;
            bsum[c] += g;
            const int64_t oh = argmax[at] / s.wo, ow = argmax[at] % s.wo;
            if (row_inside(s, oh) && ow >= inside.lo && ow < inside.hi)
              entries[count++] = {g, x + field_origin(s, n, oh, ow)};
            else
              add_field(s, x, n, oh, ow, g, sum);  // over the padding: skip those taps
          }
          for (const Chunk& piece : pieces) accumulate(piece, entries.data(), count, sum);
        }
      }
    }
    for (int64_t tap = 0; tap < k; ++tap)  // the threads' (c_out, K) sums, in a fixed order, to (K, c_out)
      for (int64_t c = 0; c < co; ++c) {
        float sum = 0.0f;
        for (int t = 0; t < threads; ++t) sum += partials[t * part + c * k + tap];
        dkernel[tap * co + c] = sum;
      }
    if (dbias)
      for (int64_t c = 0; c < co; ++c) {
        double sum = 0.0;
        for (int t = 0; t < threads; ++t) sum += bias_sums[t * bias_part + c];
        dbias[c] = static_cast<float>(sum);
      }
  }
};

// The ISA's two kernels; by_windows takes Narrow (one vector per channel block) where c_out fits one
// vector, as the direct kernels choose.
template <class Wide, class Narrow, class ByArgmax>
const PooledWeightGrads& pooled_weight_grads() {
  static const PooledWeightGrads table{
      [](const Conv2dShape& s, const Pool2dGeometry& p, const float* dpooled, const float* pooled,
         const int32_t* argmax, const float* x, float* dkernel, float* dbias, int threads) {
        (s.c_out <= Narrow::CB ? Narrow::run : Wide::run)(s, p, dpooled, pooled, argmax, x, dkernel, dbias, threads);
      },
      &ByArgmax::run};
  return table;
}

}  // namespace
}  // namespace ironnet::cpu::conv2d_pool_detail
