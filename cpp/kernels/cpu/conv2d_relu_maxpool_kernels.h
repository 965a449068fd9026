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
// Everything here has internal linkage; the ISA file hands out run() only.
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

// Narrow (one vector per channel block) where c_out fits one vector, as the direct kernels choose.
template <class Wide, class Narrow>
PooledWeightGrad pooled_weight_grad() {
  return [](const Conv2dShape& s, const Pool2dGeometry& p, const float* dpooled, const float* pooled,
            const int32_t* argmax, const float* x, float* dkernel, float* dbias, int threads) {
    (s.c_out <= Narrow::CB ? Narrow::run : Wide::run)(s, p, dpooled, pooled, argmax, x, dkernel, dbias, threads);
  };
}

}  // namespace
}  // namespace ironnet::cpu::conv2d_pool_detail
