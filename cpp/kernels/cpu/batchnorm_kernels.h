// Batch-norm kernel bodies, included once per ISA (batchnorm_{portable,avx2,avx512}.cpp), each
// compiled with its own flags: the statistics widen every float to double, so vector width decides
// whether one core keeps up with memory. Everything here has internal linkage; only make_table()
// hands the functions out.
//
// Each call is one parallel region over fixed shares of x (rows when channels are last, else
// (o, c) planes): every thread sums its share into its own per-channel partials, one thread merges
// the partials in thread order (deterministic for a thread count) and derives per-channel
// coefficients, then every thread makes its outputs from the same share it summed (still in its
// cache when the share fits). Two passes over x: the least a batch norm can read.
//
// The per-channel scratch (partials, coefficients: a few C-long vectors) is the only allocation.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "ironnet/batchnorm.h"
#include "kernels/cpu/batchnorm_rows.h"
#include "kernels/cpu/threads.h"
#include "kernels/shared/batchnorm_statistics.h"

namespace ironnet::cpu::batchnorm_detail {

struct BatchNormTable {
  decltype(&batch_norm_train_forward) train_forward;
  decltype(&batch_norm_inference_forward) inference_forward;
  decltype(&batch_norm_backward) backward;
};

const BatchNormTable& portable_table();
#if defined(IRONNET_HAVE_X86_KERNELS)
const BatchNormTable& avx2_table();
const BatchNormTable& avx512_table();
#endif

namespace {

int64_t numel(const BatchNormDims& d) { return d.outer * d.channels * d.inner; }

// [begin, end) of this thread's rows (channels last) or (o, c) planes (otherwise).
struct Share {
  int64_t begin = 0, end = 0;
};

Share share_of(const BatchNormDims& d, int tid, int threads) {
  Share s;
  block_of(d.inner == 1 ? d.outer : d.outer * d.channels, tid, threads, s.begin, s.end);
  return s;
}

// --- sums over a share, per channel, in double: sum(u), sum(u * v) and (kSumV) sum(v), where ---------
// u = a - sa[c] and v = b - sb[c]. Differences from a shift near the data are exact (or one rounding) for
// data of large mean, so the sums of squares and products keep the variance's digits.

// One thread's running sums: C doubles each (v unused without kSumV).
struct ChannelSums {
  double *u, *v, *uv;
};

template <bool kSumV>
void sums_planes(const BatchNormDims& d, Share s, const float* a, const float* sa, const float* b, const float* sb,
                 const ChannelSums& out) {
  const int64_t n = d.inner;
  for (int64_t p = s.begin; p < s.end; ++p) {
    const int64_t c = p % d.channels;
    const float* ap = a + p * n;
    const float* bp = b + p * n;
    const float shift_a = sa[c], shift_b = sb[c];
    double sum_u = 0.0, sum_v = 0.0, sum_uv = 0.0;
#pragma omp simd reduction(+ : sum_u, sum_v, sum_uv)
    for (int64_t i = 0; i < n; ++i) {
      const double u = ap[i] - shift_a, v = bp[i] - shift_b;
      sum_u += u;
      if (kSumV) sum_v += v;
      sum_uv += u * v;
    }
    out.u[c] += sum_u;
    if (kSumV) out.v[c] += sum_v;
    out.uv[c] += sum_uv;
  }
}

// Forward statistics over a share: sum(x - pivot) into out.u, sum((x - pivot)^2) into out.uv.
void forward_sums(const BatchNormDims& d, Share s, const float* x, const float* pivot, const ChannelSums& out) {
  if (d.inner == 1)
    shifted_square_sums_rows(x, s.begin, s.end, d.channels, pivot, out.u, out.uv);
  else
    sums_planes<false>(d, s, x, pivot, x, pivot, out);
}

// Backward statistics over a share: sum(dy) into out.u, sum(dy (x - mean)) into out.uv and
// (kSumXc) sum(x - mean) into out.v. zeros: C zeros, dy's shift in the planes' generic sums.
template <bool kSumXc>
void backward_sums(const BatchNormDims& d, Share s, const float* dy, const float* x, const float* mean,
                   const float* zeros, const ChannelSums& out) {
  if (d.inner == 1)
    product_sums_rows<kSumXc>(dy, x, s.begin, s.end, d.channels, mean, out.u, out.v, out.uv);
  else
    sums_planes<kSumXc>(d, s, dy, zeros, x, mean, out);
}

// --- affine: out = (b - shift[c]) * kb[c] + a * ka[c] + k0[c]; kWithA = false drops the a term ----------
// The affine pass follows a sums pass over the same share, so it walks the share backwards: the
// rows the sums read last are the ones still in cache (forwards, LRU would evict each just before use).

template <bool kWithA>
void affine_planes(const BatchNormDims& d, Share s, const float* b, const float* shift, const float* kb, const float* a,
                   const float* ka, const float* k0, float* out) {
  const int64_t n = d.inner;
  for (int64_t p = s.end - 1; p >= s.begin; --p) {
    const int64_t c = p % d.channels;
    const float* bp = b + p * n;
    const float* ap = kWithA ? a + p * n : nullptr;
    float* o = out + p * n;
    const float sh = shift[c], fb = kb[c], fa = kWithA ? ka[c] : 0.0f, f0 = k0[c];
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) o[i] = (bp[i] - sh) * fb + (kWithA ? ap[i] * fa : 0.0f) + f0;
  }
}

template <bool kWithA>
void affine(const BatchNormDims& d, Share s, const float* b, const float* shift, const float* kb, const float* a,
            const float* ka, const float* k0, float* out) {
  if (d.inner == 1)
    affine_rows<kWithA>(b, a, out, s.begin, s.end, d.channels, AffineCoefficients{shift, kb, ka, k0},
                        numel(d) * static_cast<int64_t>(sizeof(float)));
  else
    affine_planes<kWithA>(d, s, b, shift, kb, a, ka, k0, out);
}

// Every thread's ChannelSums, zeroed: thread t owns doubles [3 C t, 3 C t + 3 C).
struct Partials {
  int64_t channels;
  std::vector<double> sums;
  Partials(int64_t c, int threads) : channels(c), sums(static_cast<size_t>(3 * c * threads), 0.0) {}
  ChannelSums of(int tid) {
    double* base = sums.data() + 3 * channels * tid;
    return ChannelSums{base, base + channels, base + 2 * channels};
  }
  // Channel c's totals over the first `threads` threads, added in thread order.
  void total(int threads, int64_t c, double& u, double& v, double& uv) {
    u = v = uv = 0.0;
    for (int t = 0; t < threads; ++t) {
      const ChannelSums part = of(t);
      u += part.u[c];
      v += part.v[c];
      uv += part.uv[c];
    }
  }
};

// --- the three entry points ----------------------------------------------------------------------------

void train_forward_kernel(const BatchNormDims& d, const float* x, const float* gamma, const float* beta,
                          double momentum, float eps, float* moving_mean, float* moving_var, float* y, float* mean,
                          float* inv_std, int num_threads) {
  const int64_t C = d.channels;
  const int threads = threads_for(numel(d), num_threads);
  Partials partials(C, threads);
  // Each channel's sums are shifted by its first element: close enough to the mean that the sum of
  // squares keeps the variance's digits (E[x^2] - E[x]^2 unshifted loses them when mean >> std).
  std::vector<float> pivot(C), scale(C), offset(C);
  for (int64_t c = 0; c < C; ++c) pivot[c] = x[c * d.inner];
  const double n = static_cast<double>(d.count());
  // Keras's update in float32: momentum and 1 - momentum (a Python float's) each rounded to float32.
  const float keep = static_cast<float>(momentum), take = static_cast<float>(1.0 - momentum);
#pragma omp parallel num_threads(threads)
  {
    const int tid = omp_get_thread_num(), team = omp_get_num_threads();
    const Share share = share_of(d, tid, team);
    forward_sums(d, share, x, pivot.data(), partials.of(tid));
#pragma omp barrier
#pragma omp single
    for (int64_t c = 0; c < C; ++c) {
      double s1, unused, s2;
      partials.total(team, c, s1, unused, s2);
      batchnorm_statistics::finish_channel(c, s1, s2, n, pivot[c], eps, gamma, beta, keep, take, mean, inv_std,
                                           scale.data(), offset.data(), moving_mean, moving_var);
    }  // the single's implied barrier publishes scale and offset
    affine<false>(d, share, x, pivot.data(), scale.data(), nullptr, nullptr, offset.data(), y);
  }
}

void inference_forward_kernel(const BatchNormDims& d, const float* x, const float* gamma, const float* beta,
                              const float* moving_mean, const float* moving_var, float eps, float* y,
                              int num_threads) {
  const int64_t C = d.channels;
  std::vector<float> scale(C), offset(C);
  for (int64_t c = 0; c < C; ++c) {
    const double inv = 1.0 / std::sqrt(static_cast<double>(moving_var[c]) + static_cast<double>(eps));
    scale[c] = static_cast<float>(inv * (gamma ? gamma[c] : 1.0f));
    offset[c] = beta ? beta[c] : 0.0f;
  }
#pragma omp parallel num_threads(threads_for(numel(d), num_threads))
  affine<false>(d, share_of(d, omp_get_thread_num(), omp_get_num_threads()), x, moving_mean, scale.data(), nullptr,
                nullptr, offset.data(), y);
}

void backward_kernel(const BatchNormDims& d, const float* dy, const float* x, const float* mean, const float* inv_std,
                     const float* gamma, bool batch_statistics, float* dx, float* dgamma, float* dbeta,
                     int num_threads) {
  const int64_t C = d.channels;
  const bool need_sums = batch_statistics || dgamma || dbeta;
  if (!need_sums && !dx) return;
  const int threads = threads_for(numel(d), num_threads);
  Partials partials(C, threads);
  const std::vector<float> zeros(C, 0.0f);
  std::vector<float> k_dy(C), k_x(C), k_0(C);
  const double n = static_cast<double>(d.count());
#pragma omp parallel num_threads(threads)
  {
    const int tid = omp_get_thread_num(), team = omp_get_num_threads();
    const Share share = share_of(d, tid, team);
    // sum(dy) and sum(dy * (x - mean)) per channel, and with batch statistics sum(x - mean) too: the
    // float32 mean is the batch mean rounded (by up to half an ulp of a large mean), and that sum's
    // mean is the difference, which every (x - mean) below is corrected by.
    if (batch_statistics)
      backward_sums<true>(d, share, dy, x, mean, zeros.data(), partials.of(tid));
    else if (need_sums)
      backward_sums<false>(d, share, dy, x, mean, zeros.data(), partials.of(tid));
#pragma omp barrier
#pragma omp single
    for (int64_t c = 0; c < C; ++c) {
      double sum_dy, sum_xc, sum_dy_xc;
      partials.total(team, c, sum_dy, sum_xc, sum_dy_xc);
      const bool batch = batch_statistics && n > 0;
      const double rounding = batch ? sum_xc / n : 0.0;  // batch mean - mean
      sum_dy_xc -= rounding * sum_dy;                      // now sum(dy * (x - batch mean))
      const double inv = inv_std[c], g = gamma ? gamma[c] : 1.0f;
      if (dbeta) dbeta[c] = static_cast<float>(sum_dy);
      if (dgamma) dgamma[c] = static_cast<float>(sum_dy_xc * inv);
      // dx = k_dy dy + k_x (x - mean) + k_0: the batch-statistics terms fold into k_x and k_0.
      const double kx = batch ? -g * inv * inv * inv * sum_dy_xc / n : 0.0;
      k_dy[c] = static_cast<float>(g * inv);
      k_x[c] = static_cast<float>(kx);
      k_0[c] = batch ? static_cast<float>(-g * inv * sum_dy / n - kx * rounding) : 0.0f;
    }
    if (dx) affine<true>(d, share, x, mean, k_x.data(), dy, k_dy.data(), k_0.data(), dx);
  }
}

BatchNormTable make_table() { return BatchNormTable{&train_forward_kernel, &inference_forward_kernel, &backward_kernel}; }

}  // namespace
}  // namespace ironnet::cpu::batchnorm_detail
