// Fused loss kernels: one pass (elementwise losses) or one row at a time (categorical ones) computes
// the loss and, in the backward, d(loss)/d(pred) directly, with no intermediate tensors. Sums are in
// double; logs and exps are float32 polynomials that vectorize (see fast_exp, fast_log).
//
// This header is compiled once per ISA (losses_portable.cpp, losses_avx2.cpp, each with its own flags);
// everything here lives in an anonymous namespace so each translation unit keeps its own copy, and
// make_kernels() hands that copy's entry points to the dispatcher in losses.cpp.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ironnet/losses.h"
#include "ironnet/parallel.h"
#include "kernels/cpu/threads.h"
#include "kernels/cpu/vec_math.h"

namespace ironnet::cpu::loss_detail {

// One ISA's kernels (the signatures of ironnet/losses.h).
struct LossKernels {
  double (*elementwise_forward)(ElementwiseLoss, int64_t, const float*, const float*, float, int);
  void (*elementwise_backward)(ElementwiseLoss, int64_t, const float*, const float*, float, float, float*, int);
  double (*categorical_forward)(int64_t, int64_t, const float*, const float*, bool, int);
  void (*categorical_backward)(int64_t, int64_t, const float*, const float*, bool, float, float*, int);
  double (*sparse_forward_i32)(int64_t, int64_t, const int32_t*, const float*, bool, int);
  double (*sparse_forward_i64)(int64_t, int64_t, const int64_t*, const float*, bool, int);
  void (*sparse_backward_i32)(int64_t, int64_t, const int32_t*, const float*, bool, float, float*, int);
  void (*sparse_backward_i64)(int64_t, int64_t, const int64_t*, const float*, bool, float, float*, int);
};

const LossKernels& portable_kernels();
#if defined(IRONNET_HAVE_X86_KERNELS)
const LossKernels& avx2_kernels();
#endif

namespace {
// Losses do a log or exp per element, so a second thread pays off sooner than for axpy (~64 KiB).
constexpr int64_t kLossMinPerThread = 1 << 14;


// Keras clips probabilities in float32: these are the bounds it really uses.
constexpr double kLo = static_cast<double>(kLossEpsilon);
constexpr double kHi = static_cast<double>(1.0f - kLossEpsilon);

inline double clip_prob(double p) { return std::min(std::max(p, kLo), kHi); }
// 0 at 0 and NaN at NaN, like tf.sign; selects rather than int arithmetic, so loops vectorize.
inline double sign(double d) { return d > 0.0 ? 1.0 : (d < 0.0 ? -1.0 : d); }

inline float clip_prob_f(float p) {
  const float lo = kLossEpsilon, hi = 1.0f - kLossEpsilon;
  const float c = p < lo ? lo : p;
  return c > hi ? hi : c;
}

// Stable sigmoid: never exponentiates a positive number.
// In double from the float exp on: sigmoid(x) - t cancels when sigmoid(x) is near 1, and 1 + e in float
// would already have lost the digits that survive the cancellation.
inline double sigmoid(float x) {
  const double e = fast_exp(-std::fabs(x));
  const double r = 1.0 / (1.0 + e);
  return x >= 0.0f ? r : e * r;
}

// log1p(v) for v > -1: log(u) * v / (u - 1) with u = 1 + v rounded; the ratio corrects the rounding of u
// (u - 1 is exact), so a small v keeps its relative accuracy.
inline float log1p_f(float v) {
  const float u = 1.0f + v;
  const float d = u - 1.0f;
  return d == 0.0f ? v : fast_log(u) * (v / d);
}

// log1p(exp(-|x|)), the softplus tail.
inline float softplus_tail(float x) { return log1p_f(fast_exp(-std::fabs(x))); }

// Per-element math in double except the logs and exps, which are the float32 polynomials above.
template <ElementwiseLoss K>
inline double pointwise_loss(float tf, float pf, double delta) {
  const double t = tf, p = pf, d = p - t;
  if constexpr (K == ElementwiseLoss::MeanSquaredError) return d * d;
  if constexpr (K == ElementwiseLoss::MeanAbsoluteError) return std::fabs(d);
  if constexpr (K == ElementwiseLoss::Huber) {
    const double a = std::fabs(d);
    return a <= delta ? 0.5 * d * d : delta * a - 0.5 * delta * delta;
  }
  if constexpr (K == ElementwiseLoss::BinaryCrossentropy) {
    const float c = clip_prob_f(pf);
    return -(t * fast_log(c) + (1.0 - t) * log1p_f(-c));
  }
  if constexpr (K == ElementwiseLoss::BinaryCrossentropyLogits)  // max(x,0) - x*t + log1p(exp(-|x|))
    return (p > 0.0 ? p : 0.0) - p * t + softplus_tail(pf);
  return 0.0;
}

// d(pointwise_loss)/dp.
template <ElementwiseLoss K>
inline double pointwise_grad(float tf, float pf, double delta) {
  const double t = tf, p = pf, d = p - t;
  if constexpr (K == ElementwiseLoss::MeanSquaredError) return 2.0 * d;
  if constexpr (K == ElementwiseLoss::MeanAbsoluteError) return sign(d);
  if constexpr (K == ElementwiseLoss::Huber) return d > delta ? delta : (d < -delta ? -delta : d);  // d clamped
  if constexpr (K == ElementwiseLoss::BinaryCrossentropy)  // the clip passes no gradient outside its range
    return (p < kLo || p > kHi) ? 0.0 : d / (p * (1.0 - p));
  if constexpr (K == ElementwiseLoss::BinaryCrossentropyLogits) return sigmoid(pf) - t;
  return 0.0;
}

template <ElementwiseLoss K>
double forward_sum(int64_t n, const float* t, const float* p, double delta, int threads) {
  double acc = 0.0;
#pragma omp parallel for simd num_threads(threads) schedule(static) reduction(+ : acc)
  for (int64_t i = 0; i < n; ++i) acc += pointwise_loss<K>(t[i], p[i], delta);
  return acc;
}

template <ElementwiseLoss K>
void backward_write(int64_t n, const float* t, const float* p, double delta, double scale, float* g, int threads) {
#pragma omp parallel for simd num_threads(threads) schedule(static)
  for (int64_t i = 0; i < n; ++i) g[i] = static_cast<float>(scale * pointwise_grad<K>(t[i], p[i], delta));
}

inline float row_max(int64_t cols, const float* x) {
  float m = x[0];
#pragma omp simd reduction(max : m)
  for (int64_t j = 1; j < cols; ++j) m = x[j] > m ? x[j] : m;
  return m;
}

// log(sum(exp(x))) of one row, shifted by its max so no exp overflows; the sum is in double.
inline double log_sum_exp(int64_t cols, const float* x) {
  const float m = row_max(cols, x);
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (int64_t j = 0; j < cols; ++j) s += fast_exp(x[j] - m);
  return m + std::log(s);
}

// g[j] = scale * softmax(x)_j, with lse = log_sum_exp(x).
inline void scaled_softmax(int64_t cols, const float* x, double lse, double scale, float* g) {
  const float lse_f = static_cast<float>(lse);
  const float lse_rest = static_cast<float>(lse - lse_f);  // lse in two floats: x - lse stays exact-ish
  const float scale_f = static_cast<float>(scale);
#pragma omp simd
  for (int64_t j = 0; j < cols; ++j) g[j] = scale_f * fast_exp((x[j] - lse_f) - lse_rest);
}

inline double row_sum(int64_t cols, const float* p) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (int64_t j = 0; j < cols; ++j) s += p[j];
  return s;
}
double elementwise_loss_forward(ElementwiseLoss kind, int64_t n, const float* target, const float* pred, float delta,
                                int num_threads) {
  if (n == 0) return 0.0;
  const int threads = threads_for(n, num_threads, kLossMinPerThread);
  double sum = 0.0;
  switch (kind) {
    case ElementwiseLoss::MeanSquaredError:
      sum = forward_sum<ElementwiseLoss::MeanSquaredError>(n, target, pred, delta, threads);
      break;
    case ElementwiseLoss::MeanAbsoluteError:
      sum = forward_sum<ElementwiseLoss::MeanAbsoluteError>(n, target, pred, delta, threads);
      break;
    case ElementwiseLoss::Huber: sum = forward_sum<ElementwiseLoss::Huber>(n, target, pred, delta, threads); break;
    case ElementwiseLoss::BinaryCrossentropy:
      sum = forward_sum<ElementwiseLoss::BinaryCrossentropy>(n, target, pred, delta, threads);
      break;
    case ElementwiseLoss::BinaryCrossentropyLogits:
      sum = forward_sum<ElementwiseLoss::BinaryCrossentropyLogits>(n, target, pred, delta, threads);
      break;
  }
  return sum / static_cast<double>(n);
}

void elementwise_loss_backward(ElementwiseLoss kind, int64_t n, const float* target, const float* pred, float delta,
                               float scale, float* grad, int num_threads) {
  if (n == 0) return;
  const int threads = threads_for(n, num_threads, kLossMinPerThread);
  const double s = static_cast<double>(scale) / static_cast<double>(n);
  switch (kind) {
    case ElementwiseLoss::MeanSquaredError:
      backward_write<ElementwiseLoss::MeanSquaredError>(n, target, pred, delta, s, grad, threads);
      break;
    case ElementwiseLoss::MeanAbsoluteError:
      backward_write<ElementwiseLoss::MeanAbsoluteError>(n, target, pred, delta, s, grad, threads);
      break;
    case ElementwiseLoss::Huber: backward_write<ElementwiseLoss::Huber>(n, target, pred, delta, s, grad, threads); break;
    case ElementwiseLoss::BinaryCrossentropy:
      backward_write<ElementwiseLoss::BinaryCrossentropy>(n, target, pred, delta, s, grad, threads);
      break;
    case ElementwiseLoss::BinaryCrossentropyLogits:
      backward_write<ElementwiseLoss::BinaryCrossentropyLogits>(n, target, pred, delta, s, grad, threads);
      break;
  }
}

// Row loss, logits: sum_j t_j (lse - x_j) = lse * sum(t) - sum(t x). Probabilities: q = p / sum(p),
// -sum_j t_j log(clip(q_j)).
double categorical_crossentropy_forward(int64_t rows, int64_t cols, const float* target, const float* pred,
                                        bool from_logits, int num_threads) {
  if (rows == 0) return 0.0;
  double acc = 0.0;
#pragma omp parallel for num_threads(threads_for(rows * cols, num_threads, kLossMinPerThread)) schedule(static) reduction(+ : acc)
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = pred + r * cols;
    const float* t = target + r * cols;
    double row = 0.0;
    if (from_logits) {
      const double lse = log_sum_exp(cols, x);
      double st = 0.0, stx = 0.0;
#pragma omp simd reduction(+ : st, stx)
      for (int64_t j = 0; j < cols; ++j) {
        st += t[j];
        stx += static_cast<double>(t[j]) * x[j];
      }
      row = lse * st - stx;
    } else {
      const double inv = 1.0 / row_sum(cols, x);
#pragma omp simd reduction(- : row)
      for (int64_t j = 0; j < cols; ++j)
        row -= static_cast<double>(t[j]) * fast_log(static_cast<float>(clip_prob(x[j] * inv)));
    }
    acc += row;
  }
  return acc / static_cast<double>(rows);
}

// Logits: d/dx_k = softmax_k * sum(t) - t_k. Probabilities: with m_j = -t_j / q_j where the clip passes
// q_j (else 0), d/dp_k = (m_k - sum_j m_j q_j) / sum(p).
void categorical_crossentropy_backward(int64_t rows, int64_t cols, const float* target, const float* pred,
                                       bool from_logits, float scale, float* grad, int num_threads) {
  if (rows == 0) return;
  const double s = static_cast<double>(scale) / static_cast<double>(rows);
#pragma omp parallel for num_threads(threads_for(rows * cols, num_threads, kLossMinPerThread)) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = pred + r * cols;
    const float* t = target + r * cols;
    float* g = grad + r * cols;
    if (from_logits) {
      const double st = row_sum(cols, t);
      scaled_softmax(cols, x, log_sum_exp(cols, x), s * st, g);
      const float s_f = static_cast<float>(s);
#pragma omp simd
      for (int64_t j = 0; j < cols; ++j) g[j] -= s_f * t[j];
    } else {
      const double inv = 1.0 / row_sum(cols, x);
      double a = 0.0;
      for (int64_t j = 0; j < cols; ++j) {
        const double q = x[j] * inv;
        if (q >= kLo && q <= kHi) a -= t[j];  // m_j * q_j = -t_j
      }
      for (int64_t j = 0; j < cols; ++j) {
        const double q = x[j] * inv;
        const double m = (q >= kLo && q <= kHi) ? -t[j] / q : 0.0;
        g[j] = static_cast<float>(s * (m - a) * inv);
      }
    }
  }
}

template <class Label>
double sparse_categorical_crossentropy_forward(int64_t rows, int64_t cols, const Label* labels, const float* pred,
                                               bool from_logits, int num_threads) {
  if (rows == 0) return 0.0;
  double acc = 0.0;
#pragma omp parallel for num_threads(threads_for(rows * cols, num_threads, kLossMinPerThread)) schedule(static) reduction(+ : acc)
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = pred + r * cols;
    const int64_t label = static_cast<int64_t>(labels[r]);
    if (from_logits)
      acc += log_sum_exp(cols, x) - x[label];
    else
      acc -= std::log(clip_prob(x[label] / row_sum(cols, x)));
  }
  return acc / static_cast<double>(rows);
}

// The categorical backward with a one-hot target.
template <class Label>
void sparse_categorical_crossentropy_backward(int64_t rows, int64_t cols, const Label* labels, const float* pred,
                                              bool from_logits, float scale, float* grad, int num_threads) {
  if (rows == 0) return;
  const double s = static_cast<double>(scale) / static_cast<double>(rows);
#pragma omp parallel for num_threads(threads_for(rows * cols, num_threads, kLossMinPerThread)) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = pred + r * cols;
    float* g = grad + r * cols;
    const int64_t label = static_cast<int64_t>(labels[r]);
    if (from_logits) {
      const double lse = log_sum_exp(cols, x);
      scaled_softmax(cols, x, lse, s, g);
      g[label] = static_cast<float>(s * (std::exp(x[label] - lse) - 1.0));
    } else {
      const double inv = 1.0 / row_sum(cols, x);
      const double q = x[label] * inv;
      const bool passed = q >= kLo && q <= kHi;
      const double a = passed ? -1.0 : 0.0;  // m_label * q_label
#pragma omp simd
      for (int64_t j = 0; j < cols; ++j) g[j] = static_cast<float>(-s * a * inv);
      g[label] = static_cast<float>(s * ((passed ? -1.0 / q : 0.0) - a) * inv);
    }
  }
}

LossKernels make_kernels() {
  return LossKernels{elementwise_loss_forward,
                     elementwise_loss_backward,
                     categorical_crossentropy_forward,
                     categorical_crossentropy_backward,
                     sparse_categorical_crossentropy_forward<int32_t>,
                     sparse_categorical_crossentropy_forward<int64_t>,
                     sparse_categorical_crossentropy_backward<int32_t>,
                     sparse_categorical_crossentropy_backward<int64_t>};
}

}  // namespace
}  // namespace ironnet::cpu::loss_detail
