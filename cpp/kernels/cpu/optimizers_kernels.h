// Optimizer kernel bodies, included once per ISA (optimizers_{portable,avx2,avx512}.cpp), each
// compiled with its own flags: the updates are sqrt- and divide-heavy, so vector width matters.
// Everything here has internal linkage; only make_table() hands the functions out.
#pragma once
#include <omp.h>

#include <cmath>

#include "ironnet/optimizers.h"
#include "ironnet/parallel.h"
#include "kernels/cpu/threads.h"

namespace ironnet::cpu::optimizers_detail {

struct OptimizerTable {
  void (*sgd)(const UpdateCommon&, float*, float, bool, int);
  void (*rmsprop)(const UpdateCommon&, float*, float*, float, float, float, int);
  void (*adam)(const UpdateCommon&, float*, float*, float, float, float, int64_t, int);
  double (*sum_of_squares)(int64_t, const float*, int);
};

const OptimizerTable& portable_table();
#if defined(IRONNET_HAVE_X86_KERNELS)
const OptimizerTable& avx2_table();
const OptimizerTable& avx512_table();
#endif

namespace {

constexpr int64_t kUpdateMinPerThread = 1 << 15;

// The gradient after scaling and value clipping (clip_value <= 0: none).
inline float transformed(float g, float scale, float clip) {
  g *= scale;
  if (clip > 0.0f) g = g > clip ? clip : (g < -clip ? -clip : g);
  return g;
}

// The momentum variant is chosen outside the loops so each loop is straight-line SIMD code.
void sgd_kernel(const UpdateCommon& u, float* velocity, float momentum, bool nesterov, int num_threads) {
  const float decay = u.lr * u.weight_decay, lr = u.lr;
  const int threads = threads_for(u.n, num_threads, kUpdateMinPerThread);
  if (!velocity) {
#pragma omp parallel for simd num_threads(threads) schedule(static)
    for (int64_t i = 0; i < u.n; ++i)
      u.w[i] = u.w[i] - decay * u.w[i] - lr * transformed(u.g[i], u.grad_scale, u.clip_value);
    return;
  }
  const float look_ahead = nesterov ? momentum : 1.0f;  // w += momentum v - lr g, or w += v
  const float extra_grad = nesterov ? lr : 0.0f;
#pragma omp parallel for simd num_threads(threads) schedule(static)
  for (int64_t i = 0; i < u.n; ++i) {
    const float g = transformed(u.g[i], u.grad_scale, u.clip_value);
    const float v = momentum * velocity[i] - lr * g;
    velocity[i] = v;
    u.w[i] = u.w[i] - decay * u.w[i] + look_ahead * v - extra_grad * g;
  }
}

void rmsprop_kernel(const UpdateCommon& u, float* mean_square, float* momentum_buf, float rho, float momentum,
                    float epsilon, int num_threads) {
  const float decay = u.lr * u.weight_decay;
  const int threads = threads_for(u.n, num_threads, kUpdateMinPerThread);
  if (!momentum_buf) {
#pragma omp parallel for simd num_threads(threads) schedule(static)
    for (int64_t i = 0; i < u.n; ++i) {
      const float g = transformed(u.g[i], u.grad_scale, u.clip_value);
      const float s = rho * mean_square[i] + (1.0f - rho) * g * g;
      mean_square[i] = s;
      u.w[i] = u.w[i] - decay * u.w[i] - u.lr * g / std::sqrt(s + epsilon);  // Keras: epsilon inside the root
    }
    return;
  }
#pragma omp parallel for simd num_threads(threads) schedule(static)
  for (int64_t i = 0; i < u.n; ++i) {
    const float g = transformed(u.g[i], u.grad_scale, u.clip_value);
    const float s = rho * mean_square[i] + (1.0f - rho) * g * g;
    mean_square[i] = s;
    const float m = momentum * momentum_buf[i] + u.lr * g / std::sqrt(s + epsilon);
    momentum_buf[i] = m;
    u.w[i] = u.w[i] - decay * u.w[i] - m;
  }
}

void adam_kernel(const UpdateCommon& u, float* m, float* v, float beta1, float beta2, float epsilon, int64_t step,
                 int num_threads) {
  // The bias corrections fold into one step size (computed in double, once per parameter).
  const double t = static_cast<double>(step);
  const float alpha = static_cast<float>(u.lr * std::sqrt(1.0 - std::pow(beta2, t)) / (1.0 - std::pow(beta1, t)));
  const float decay = u.lr * u.weight_decay;
#pragma omp parallel for simd num_threads(threads_for(u.n, num_threads, kUpdateMinPerThread)) schedule(static)
  for (int64_t i = 0; i < u.n; ++i) {
    const float g = transformed(u.g[i], u.grad_scale, u.clip_value);
    const float mi = beta1 * m[i] + (1.0f - beta1) * g;
    const float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    u.w[i] = u.w[i] - decay * u.w[i] - alpha * mi / (std::sqrt(vi) + epsilon);
  }
}

double sum_of_squares_kernel(int64_t n, const float* x, int num_threads) {
  double total = 0.0;
#pragma omp parallel for simd num_threads(threads_for(n, num_threads, kUpdateMinPerThread)) reduction(+ : total) schedule(static)
  for (int64_t i = 0; i < n; ++i) total += static_cast<double>(x[i]) * x[i];
  return total;
}

OptimizerTable make_table() {
  return OptimizerTable{&sgd_kernel, &rmsprop_kernel, &adam_kernel, &sum_of_squares_kernel};
}

}  // namespace
}  // namespace ironnet::cpu::optimizers_detail
