// Activation kernel bodies, included once per ISA (activations_{portable,avx2,avx512}.cpp), each
// compiled with its own flags. Pointwise kernels are one loop each under `omp parallel for simd`; the
// softmax family works row by row (max, exp and sum, scale), rows split over threads. Every exp has a
// non-positive argument and goes through fast_exp / expm1_nonpositive (tanh too), and GELU's
// normal CDF through normal_cdf_pdf (vec_math.h): plain arithmetic that vectorizes at any width.
// Everything here has internal linkage; only make_table() hands the functions out.
#pragma once
#include <omp.h>

#include <cmath>

#include "ironnet/parallel.h"
#include "kernels/cpu/threads.h"
#include "kernels/cpu/activations_table.h"
#include "kernels/cpu/vec_math.h"

namespace ironnet::cpu::activations_detail {
namespace {
// exp/erf cost ~10-20 ns per element, several times a memory-bound loop: a second thread pays for
// its wake-up sooner than in elementwise.cpp (1 << 16 there).
constexpr int64_t kActivationMinPerThread = 1 << 14;


constexpr float kSqrt2OverPi = 0.79788456080286535588f;
constexpr float kGeluCubic = 0.044715f;

// sigmoid(v) and sigmoid(-v) = 1 - sigmoid(v), both without overflow or cancellation.
inline void sigmoid_pair(float v, float& s_pos, float& s_neg) {
  const float e = fast_exp(-std::fabs(v));  // in (0, 1]
  const float s = 1.0f / (1.0f + e);
  const float small = e * s;  // sigmoid(-|v|)
  s_pos = v >= 0.0f ? s : small;
  s_neg = v >= 0.0f ? small : s;
}
// --- relu / leaky_relu ------------------------------------------------------------------------

void relu_forward(int64_t n, const float* x, float* y, int num_threads) {
#pragma omp parallel for simd num_threads(threads_for(n, num_threads, kActivationMinPerThread)) schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void relu_backward(int64_t n, const float* x, const float* dy, float* dx, int num_threads) {
#pragma omp parallel for simd num_threads(threads_for(n, num_threads, kActivationMinPerThread)) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const float g = dy[i];  // loaded whatever the sign: a load under the condition stays a branch
    dx[i] = x[i] > 0.0f ? g : 0.0f;
  }
}

void leaky_relu_forward(int64_t n, float slope, const float* x, float* y, int num_threads) {
#pragma omp parallel for simd num_threads(threads_for(n, num_threads, kActivationMinPerThread)) schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : slope * x[i];
}

void leaky_relu_backward(int64_t n, float slope, const float* x, const float* dy, float* dx, int num_threads) {
#pragma omp parallel for simd num_threads(threads_for(n, num_threads, kActivationMinPerThread)) schedule(static)
  for (int64_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : slope * dy[i];
}

// --- elu -----------------------------------------------------------------------------------------

void elu_forward(int64_t n, float alpha, const float* x, float* y, int num_threads) {
#pragma omp parallel for simd num_threads(threads_for(n, num_threads, kActivationMinPerThread)) schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : alpha * expm1_nonpositive(x[i] < 0.0f ? x[i] : 0.0f);
}

void elu_backward(int64_t n, float alpha, const float* x, const float* dy, float* dx, int num_threads) {
#pragma omp parallel for simd num_threads(threads_for(n, num_threads, kActivationMinPerThread)) schedule(static)
  for (int64_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : alpha * fast_exp(x[i] < 0.0f ? x[i] : 0.0f) * dy[i];
}

// --- gelu ----------------------------------------------------------------------------------------

void gelu_forward(int64_t n, bool approximate, const float* x, float* y, int num_threads) {
  const int threads = threads_for(n, num_threads, kActivationMinPerThread);
  if (approximate) {
#pragma omp parallel for simd num_threads(threads) schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const float v = x[i];
      const float u2 = 2.0f * kSqrt2OverPi * (v + kGeluCubic * v * v * v);
      float s, s_neg;
      sigmoid_pair(u2, s, s_neg);
      y[i] = v * s;
    }
  } else {
#pragma omp parallel for simd num_threads(threads) schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      float cdf, pdf;
      normal_cdf_pdf(x[i], cdf, pdf);
      y[i] = x[i] * cdf;
    }
  }
}

void gelu_backward(int64_t n, bool approximate, const float* x, const float* dy, float* dx, int num_threads) {
  const int threads = threads_for(n, num_threads, kActivationMinPerThread);
  if (approximate) {
    // d/dx [x s(2u)] = s(2u) + x s(2u) s(-2u) 2u'(x),  u' = sqrt(2/pi) (1 + 3 * 0.044715 x^2).
#pragma omp parallel for simd num_threads(threads) schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const float v = x[i];
      const float u2 = 2.0f * kSqrt2OverPi * (v + kGeluCubic * v * v * v);
      const float du2 = 2.0f * kSqrt2OverPi * (1.0f + 3.0f * kGeluCubic * v * v);
      float s, s_neg;
      sigmoid_pair(u2, s, s_neg);
      dx[i] = dy[i] * (s + v * (s * s_neg) * du2);
    }
  } else {
    // d/dx [x Phi(x)] = Phi(x) + x phi(x).
#pragma omp parallel for simd num_threads(threads) schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const float v = x[i];
      float cdf, pdf;
      normal_cdf_pdf(v, cdf, pdf);
      dx[i] = dy[i] * (cdf + v * pdf);
    }
  }
}

// --- sigmoid / tanh ------------------------------------------------------------------------------

void sigmoid_forward(int64_t n, const float* x, float* y, int num_threads) {
#pragma omp parallel for simd num_threads(threads_for(n, num_threads, kActivationMinPerThread)) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    float s, s_neg;
    sigmoid_pair(x[i], s, s_neg);
    y[i] = s;
  }
}

void sigmoid_backward(int64_t n, const float* y, const float* dy, float* dx, int num_threads) {
#pragma omp parallel for simd num_threads(threads_for(n, num_threads, kActivationMinPerThread)) schedule(static)
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
}

void tanh_forward(int64_t n, const float* x, float* y, int num_threads) {
#pragma omp parallel for simd num_threads(threads_for(n, num_threads, kActivationMinPerThread)) schedule(static)
  // tanh|x| = -m / (2 + m), m = expm1(-2|x|): no cancellation near 0 (m ~ -2|x| there), 1 for large |x|.
  for (int64_t i = 0; i < n; ++i) {
    const float a = x[i] < 0.0f ? -x[i] : x[i];
    const float m = expm1_nonpositive(-2.0f * a);
    const float t = -m / (2.0f + m);
    y[i] = x[i] < 0.0f ? -t : t;
  }
}

void tanh_backward(int64_t n, const float* y, const float* dy, float* dx, int num_threads) {
#pragma omp parallel for simd num_threads(threads_for(n, num_threads, kActivationMinPerThread)) schedule(static)
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}

// --- softmax / log_softmax over the last axis ---------------------------------------------------
// Row sums accumulate in double: a float sum of 1000+ terms loses the 1e-5 relative accuracy.

inline float row_max(int64_t cols, const float* x) {
  float m = -INFINITY;
#pragma omp simd reduction(max : m)
  for (int64_t j = 0; j < cols; ++j) m = x[j] > m ? x[j] : m;
  return m;
}

void softmax_forward(int64_t rows, int64_t cols, const float* x, float* y, int num_threads) {
#pragma omp parallel for num_threads(threads_for(rows * cols, num_threads, kActivationMinPerThread)) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const float m = row_max(cols, xr);
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < cols; ++j) {
      yr[j] = fast_exp(xr[j] - m);
      sum += yr[j];
    }
    const float inv = static_cast<float>(1.0 / sum);
#pragma omp simd
    for (int64_t j = 0; j < cols; ++j) yr[j] *= inv;
  }
}

void softmax_backward(int64_t rows, int64_t cols, const float* y, const float* dy, float* dx, int num_threads) {
#pragma omp parallel for num_threads(threads_for(rows * cols, num_threads, kActivationMinPerThread)) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* yr = y + r * cols;
    const float* gr = dy + r * cols;
    float* dr = dx + r * cols;
    double dot = 0.0;
#pragma omp simd reduction(+ : dot)
    for (int64_t j = 0; j < cols; ++j) dot += static_cast<double>(gr[j]) * yr[j];
    const float d = static_cast<float>(dot);
#pragma omp simd
    for (int64_t j = 0; j < cols; ++j) dr[j] = yr[j] * (gr[j] - d);
  }
}

void log_softmax_forward(int64_t rows, int64_t cols, const float* x, float* y, int num_threads) {
#pragma omp parallel for num_threads(threads_for(rows * cols, num_threads, kActivationMinPerThread)) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const float m = row_max(cols, xr);
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < cols; ++j) sum += fast_exp(xr[j] - m);
    // (x - m) - lse, not x - (m + lse): for |m| >> lse the latter rounds lse to m's ulp.
    const float lse = static_cast<float>(std::log(sum));
#pragma omp simd
    for (int64_t j = 0; j < cols; ++j) yr[j] = (xr[j] - m) - lse;
  }
}

void log_softmax_backward(int64_t rows, int64_t cols, const float* y, const float* dy, float* dx,
                          int num_threads) {
#pragma omp parallel for num_threads(threads_for(rows * cols, num_threads, kActivationMinPerThread)) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* yr = y + r * cols;
    const float* gr = dy + r * cols;
    float* dr = dx + r * cols;
    double total = 0.0;
#pragma omp simd reduction(+ : total)
    for (int64_t j = 0; j < cols; ++j) total += gr[j];
    const float t = static_cast<float>(total);
#pragma omp simd
    for (int64_t j = 0; j < cols; ++j) dr[j] = gr[j] - fast_exp(yr[j]) * t;
  }
}

ActivationTable make_table() {
  ActivationTable t;
  t.relu_forward = relu_forward;
  t.relu_backward = relu_backward;
  t.leaky_relu_forward = leaky_relu_forward;
  t.leaky_relu_backward = leaky_relu_backward;
  t.elu_forward = elu_forward;
  t.elu_backward = elu_backward;
  t.gelu_forward = gelu_forward;
  t.gelu_backward = gelu_backward;
  t.sigmoid_forward = sigmoid_forward;
  t.sigmoid_backward = sigmoid_backward;
  t.tanh_forward = tanh_forward;
  t.tanh_backward = tanh_backward;
  t.softmax_forward = softmax_forward;
  t.softmax_backward = softmax_backward;
  t.log_softmax_forward = log_softmax_forward;
  t.log_softmax_backward = log_softmax_backward;
  return t;
}

}  // namespace
}  // namespace ironnet::cpu::activations_detail
