// Fused loss kernels on the GPU, matching the CPU kernels (cpp/kernels/cpu/losses_kernels.h) formula
// for formula: per-element math in double except the float32 logs and exps, sums in double.
//
// Elementwise losses: grid-stride loops; in the forward each block adds its threads' sums (in a fixed
// order, block_reduce.cuh) into one partial, then finish_mean (one block) adds the partials in order.
// Categorical losses: one 256-thread block per row (rows strided by gridDim.x); threads stride over
// the row's columns and block reductions give the row max, sum(exp), sum(t), ...; every thread keeps
// the same running total of its block's row losses, thread 0 writes it as the block's partial.
// The number of blocks depends only on the sizes, so results are deterministic.
#include <cmath>
#include <type_traits>

#include "block_reduce.cuh"
#include "common.cuh"
#include "ironnet/cuda/losses.h"

namespace ironnet::cuda {
namespace {
using cpu::ElementwiseLoss;

constexpr int kThreads = 256;
// Keras clips probabilities in float32: these are the bounds it really uses.
constexpr double kLo = static_cast<double>(cpu::kLossEpsilon);
constexpr double kHi = static_cast<double>(1.0f - cpu::kLossEpsilon);

__device__ double clip_prob(double p) { return fmin(fmax(p, kLo), kHi); }

__device__ float clip_prob_f(float p) {
  const float lo = cpu::kLossEpsilon, hi = 1.0f - cpu::kLossEpsilon;
  return fminf(fmaxf(p, lo), hi);
}

// Stable sigmoid in double from the float exp (sigmoid(x) - t cancels near 1).
__device__ double sigmoid(float x) {
  const double e = expf(-fabsf(x));
  const double r = 1.0 / (1.0 + e);
  return x >= 0.0f ? r : e * r;
}

template <ElementwiseLoss K>
__device__ double pointwise_loss(float tf, float pf, double delta) {
  const double t = tf, p = pf, d = p - t;
  if constexpr (K == ElementwiseLoss::MeanSquaredError) return d * d;
  if constexpr (K == ElementwiseLoss::MeanAbsoluteError) return fabs(d);
  if constexpr (K == ElementwiseLoss::Huber) {
    const double a = fabs(d);
    return a <= delta ? 0.5 * d * d : delta * a - 0.5 * delta * delta;
  }
  if constexpr (K == ElementwiseLoss::BinaryCrossentropy) {
    const float c = clip_prob_f(pf);
    return -(t * logf(c) + (1.0 - t) * log1pf(-c));
  }
  if constexpr (K == ElementwiseLoss::BinaryCrossentropyLogits)  // max(x,0) - x*t + log1p(exp(-|x|))
    return (p > 0.0 ? p : 0.0) - p * t + log1pf(expf(-fabsf(pf)));
  return 0.0;
}

// d(pointwise_loss)/dp.
template <ElementwiseLoss K>
__device__ double pointwise_grad(float tf, float pf, double delta) {
  const double t = tf, p = pf, d = p - t;
  if constexpr (K == ElementwiseLoss::MeanSquaredError) return 2.0 * d;
  if constexpr (K == ElementwiseLoss::MeanAbsoluteError) return d > 0.0 ? 1.0 : (d < 0.0 ? -1.0 : d);  // NaN stays
  if constexpr (K == ElementwiseLoss::Huber) return d > delta ? delta : (d < -delta ? -delta : d);
  if constexpr (K == ElementwiseLoss::BinaryCrossentropy)  // the clip passes no gradient outside its range
    return (p < kLo || p > kHi) ? 0.0 : d / (p * (1.0 - p));
  if constexpr (K == ElementwiseLoss::BinaryCrossentropyLogits) return sigmoid(pf) - t;
  return 0.0;
}

__device__ int64_t global_thread() { return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ int64_t grid_threads() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

template <ElementwiseLoss K>
__global__ void elementwise_partials(int64_t n, const float* target, const float* pred, double delta,
                                     double* partials) {
  double acc = 0.0;
  for (int64_t i = global_thread(); i < n; i += grid_threads()) acc += pointwise_loss<K>(target[i], pred[i], delta);
  acc = block_sum(acc);
  if (threadIdx.x == 0) partials[blockIdx.x] = acc;
}

template <ElementwiseLoss K>
__global__ void elementwise_grad(int64_t n, const float* target, const float* pred, double delta, double scale,
                                 float* grad) {
  for (int64_t i = global_thread(); i < n; i += grid_threads())
    grad[i] = static_cast<float>(scale * pointwise_grad<K>(target[i], pred[i], delta));
}

// One block: *loss = (sum of the count partials, in a fixed order) / divisor, or 0 when divisor is 0.
__global__ void finish_mean(const double* partials, int count, double divisor, float* loss) {
  double acc = 0.0;
  for (int i = threadIdx.x; i < count; i += blockDim.x) acc += partials[i];
  acc = block_sum(acc);
  if (threadIdx.x == 0) *loss = divisor > 0.0 ? static_cast<float>(acc / divisor) : 0.0f;
}

// --- one row per block: every thread of the block calls these with the same row -------------------

__device__ double row_sum(int64_t cols, const float* x) {
  double s = 0.0;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) s += x[j];
  return block_sum(s);
}

// log(sum(exp(x))) of one row, shifted by its max so no exp overflows; the sum is in double.
__device__ double row_log_sum_exp(int64_t cols, const float* x) {
  float m = -INFINITY;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) m = fmaxf(m, x[j]);
  m = block_all_reduce(m, MaxOp{});
  double s = 0.0;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) s += expf(x[j] - m);
  return m + log(block_sum(s));
}

// lse split into two floats, so (x - hi) - lo keeps the digits a single float lse would round away.
struct SplitLse {
  float hi, lo;
  __device__ explicit SplitLse(double lse) : hi(static_cast<float>(lse)), lo(static_cast<float>(lse - hi)) {}
  __device__ float softmax(float x) const { return expf((x - hi) - lo); }
};

// Row loss, logits: lse * sum(t) - sum(t x). Probabilities: q = p / sum(p), -sum_j t_j log(clip(q_j)).
__global__ void categorical_partials(int64_t rows, int64_t cols, const float* target, const float* pred,
                                     bool from_logits, double* partials) {
  double block_total = 0.0;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* x = pred + r * cols;
    const float* t = target + r * cols;
    if (from_logits) {
      const double lse = row_log_sum_exp(cols, x);
      double st = 0.0, stx = 0.0;
      for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
        st += t[j];
        stx += static_cast<double>(t[j]) * x[j];
      }
      st = block_sum(st);
      stx = block_sum(stx);
      block_total += lse * st - stx;
    } else {
      const double inv = 1.0 / row_sum(cols, x);
      double acc = 0.0;
      for (int64_t j = threadIdx.x; j < cols; j += blockDim.x)
        acc -= static_cast<double>(t[j]) * logf(static_cast<float>(clip_prob(x[j] * inv)));
      block_total += block_sum(acc);
    }
  }
  if (threadIdx.x == 0) partials[blockIdx.x] = block_total;
}

// Logits: d/dx_k = s (softmax_k sum(t) - t_k). Probabilities: with m_j = -t_j / q_j where the clip
// passes q_j (else 0), d/dp_k = s (m_k - sum_j m_j q_j) / sum(p).
__global__ void categorical_grad(int64_t rows, int64_t cols, const float* target, const float* pred, bool from_logits,
                                 double s, float* grad) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* x = pred + r * cols;
    const float* t = target + r * cols;
    float* g = grad + r * cols;
    if (from_logits) {
      const float scale_f = static_cast<float>(s * row_sum(cols, t));
      const float s_f = static_cast<float>(s);
      const SplitLse lse(row_log_sum_exp(cols, x));
      for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) g[j] = scale_f * lse.softmax(x[j]) - s_f * t[j];
    } else {
      const double inv = 1.0 / row_sum(cols, x);
      double a = 0.0;  // sum_j m_j q_j = -sum of the t_j whose q_j the clip passes
      for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
        const double q = x[j] * inv;
        if (q >= kLo && q <= kHi) a -= t[j];
      }
      a = block_sum(a);
      for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
        const double q = x[j] * inv;
        const double m = (q >= kLo && q <= kHi) ? -t[j] / q : 0.0;
        g[j] = static_cast<float>(s * (m - a) * inv);
      }
    }
  }
}

template <class Label>
__global__ void sparse_partials(int64_t rows, int64_t cols, const Label* labels, const float* pred, bool from_logits,
                                double* partials) {
  double block_total = 0.0;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* x = pred + r * cols;
    const int64_t label = static_cast<int64_t>(labels[r]);
    if (from_logits)
      block_total += row_log_sum_exp(cols, x) - x[label];
    else
      block_total -= log(clip_prob(x[label] / row_sum(cols, x)));
  }
  if (threadIdx.x == 0) partials[blockIdx.x] = block_total;
}

// The categorical backward with a one-hot target; each thread writes its own columns, the label's too.
template <class Label>
__global__ void sparse_grad(int64_t rows, int64_t cols, const Label* labels, const float* pred, bool from_logits,
                            double s, float* grad) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* x = pred + r * cols;
    float* g = grad + r * cols;
    const int64_t label = static_cast<int64_t>(labels[r]);
    if (from_logits) {
      const double lse = row_log_sum_exp(cols, x);
      const SplitLse split(lse);
      const float s_f = static_cast<float>(s);
      for (int64_t j = threadIdx.x; j < cols; j += blockDim.x)
        g[j] = j == label ? static_cast<float>(s * (exp(static_cast<double>(x[j]) - lse) - 1.0))
                          : s_f * split.softmax(x[j]);
    } else {
      const double inv = 1.0 / row_sum(cols, x);
      const double q = x[label] * inv;
      const bool passed = q >= kLo && q <= kHi;
      const double a = passed ? -1.0 : 0.0;  // m_label * q_label
      const float other = static_cast<float>(-s * a * inv);
      for (int64_t j = threadIdx.x; j < cols; j += blockDim.x)
        g[j] = j == label ? static_cast<float>(s * ((passed ? -1.0 / q : 0.0) - a) * inv) : other;
    }
  }
}

// Calls f(std::integral_constant<ElementwiseLoss, kind>{}): one kernel instantiation per loss.
template <class F>
void with_kind(ElementwiseLoss kind, F&& f) {
  using L = ElementwiseLoss;
  switch (kind) {
    case L::MeanSquaredError: f(std::integral_constant<L, L::MeanSquaredError>{}); break;
    case L::MeanAbsoluteError: f(std::integral_constant<L, L::MeanAbsoluteError>{}); break;
    case L::Huber: f(std::integral_constant<L, L::Huber>{}); break;
    case L::BinaryCrossentropy: f(std::integral_constant<L, L::BinaryCrossentropy>{}); break;
    case L::BinaryCrossentropyLogits: f(std::integral_constant<L, L::BinaryCrossentropyLogits>{}); break;
  }
}

// Blocks of a forward's first pass: one partial each, at least 1 (an empty input sums to 0).
unsigned partial_blocks(int64_t work_items) {
  const unsigned blocks = grid_for(work_items, 1);
  return blocks < kLossPartials ? blocks : static_cast<unsigned>(kLossPartials);
}

void finish(const double* partials, unsigned count, int64_t divisor, float* loss, int device, const char* op) {
  launch_kernel(finish_mean, 1, kThreads, 0, stream(device), partials, static_cast<int>(count),
      static_cast<double>(divisor), loss);
  check_launch(op);
}

}  // namespace

void elementwise_loss_forward(ElementwiseLoss kind, int64_t n, const float* target, const float* pred, float delta,
                              double* partials, float* loss, int device) {
  DeviceGuard guard(device);
  const unsigned blocks = partial_blocks((n + kThreads - 1) / kThreads);
  with_kind(kind, [&](auto k) {
    launch_kernel(elementwise_partials<decltype(k)::value>, blocks, kThreads, 0, stream(device), n, target, pred,
        static_cast<double>(delta), partials);
  });
  check_launch("loss forward on cuda");
  finish(partials, blocks, n, loss, device, "loss forward on cuda");
}

void elementwise_loss_backward(ElementwiseLoss kind, int64_t n, const float* target, const float* pred, float delta,
                               float scale, float* grad, int device) {
  if (n == 0) return;
  DeviceGuard guard(device);
  const double s = static_cast<double>(scale) / static_cast<double>(n);
  with_kind(kind, [&](auto k) {
    launch_kernel(elementwise_grad<decltype(k)::value>, grid_for(n, kThreads), kThreads, 0, stream(device), n, target,
        pred, static_cast<double>(delta), s, grad);
  });
  check_launch("loss backward on cuda");
}

void categorical_crossentropy_forward(int64_t rows, int64_t cols, const float* target, const float* pred,
                                      bool from_logits, double* partials, float* loss, int device) {
  DeviceGuard guard(device);
  const unsigned blocks = partial_blocks(rows);
  launch_kernel(categorical_partials, blocks, kThreads, 0, stream(device), rows, cols, target, pred, from_logits,
      partials);
  check_launch("categorical_crossentropy on cuda");
  finish(partials, blocks, rows, loss, device, "categorical_crossentropy on cuda");
}

void categorical_crossentropy_backward(int64_t rows, int64_t cols, const float* target, const float* pred,
                                       bool from_logits, float scale, float* grad, int device) {
  if (rows == 0) return;
  DeviceGuard guard(device);
  const double s = static_cast<double>(scale) / static_cast<double>(rows);
  launch_kernel(categorical_grad, grid_for(rows, 1), kThreads, 0, stream(device), rows, cols, target, pred, from_logits,
      s, grad);
  check_launch("categorical_crossentropy_backward on cuda");
}

template <class Label>
void sparse_categorical_crossentropy_forward(int64_t rows, int64_t cols, const Label* labels, const float* pred,
                                             bool from_logits, double* partials, float* loss, int device) {
  DeviceGuard guard(device);
  const unsigned blocks = partial_blocks(rows);
  launch_kernel(sparse_partials<Label>, blocks, kThreads, 0, stream(device), rows, cols, labels, pred, from_logits,
      partials);
  check_launch("sparse_categorical_crossentropy on cuda");
  finish(partials, blocks, rows, loss, device, "sparse_categorical_crossentropy on cuda");
}

template <class Label>
void sparse_categorical_crossentropy_backward(int64_t rows, int64_t cols, const Label* labels, const float* pred,
                                              bool from_logits, float scale, float* grad, int device) {
  if (rows == 0) return;
  DeviceGuard guard(device);
  const double s = static_cast<double>(scale) / static_cast<double>(rows);
  launch_kernel(sparse_grad<Label>, grid_for(rows, 1), kThreads, 0, stream(device), rows, cols, labels, pred,
      from_logits, s, grad);
  check_launch("sparse_categorical_crossentropy_backward on cuda");
}

template void sparse_categorical_crossentropy_forward<int32_t>(int64_t, int64_t, const int32_t*, const float*, bool,
                                                               double*, float*, int);
template void sparse_categorical_crossentropy_forward<int64_t>(int64_t, int64_t, const int64_t*, const float*, bool,
                                                               double*, float*, int);
template void sparse_categorical_crossentropy_backward<int32_t>(int64_t, int64_t, const int32_t*, const float*, bool,
                                                                float, float*, int);
template void sparse_categorical_crossentropy_backward<int64_t>(int64_t, int64_t, const int64_t*, const float*, bool,
                                                                float, float*, int);

}  // namespace ironnet::cuda
