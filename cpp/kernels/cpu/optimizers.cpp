// Fused optimizer updates: gradient transform, decoupled weight decay and the rule itself in one
// pass, so an update reads w, g and the state once and writes w and the state once (memory bound:
// Adam moves 5 floats in and 3 out per parameter).
#include "ironnet/optimizers.h"

#include <omp.h>

#include <cmath>

#include "ironnet/parallel.h"
#include "kernels/cpu/threads.h"

namespace ironnet::cpu {
namespace {

constexpr int64_t kUpdateMinPerThread = 1 << 15;


// The gradient after scaling and value clipping (clip_value <= 0: none).
inline float transformed(float g, float scale, float clip) {
  g *= scale;
  if (clip > 0.0f) g = g > clip ? clip : (g < -clip ? -clip : g);
  return g;
}

}  // namespace

void sgd_update(const UpdateCommon& u, float* velocity, float momentum, bool nesterov, int num_threads) {
  const float decay = u.lr * u.weight_decay;
#pragma omp parallel for simd num_threads(threads_for(u.n, num_threads, kUpdateMinPerThread)) schedule(static)
  for (int64_t i = 0; i < u.n; ++i) {
    const float g = transformed(u.g[i], u.grad_scale, u.clip_value);
    float w = u.w[i] - decay * u.w[i];
    if (velocity) {
      const float v = momentum * velocity[i] - u.lr * g;
      velocity[i] = v;
      w += nesterov ? momentum * v - u.lr * g : v;
    } else {
      w -= u.lr * g;
    }
    u.w[i] = w;
  }
}

void rmsprop_update(const UpdateCommon& u, float* mean_square, float* momentum_buf, float rho, float momentum,
                    float epsilon, int num_threads) {
  const float decay = u.lr * u.weight_decay;
#pragma omp parallel for simd num_threads(threads_for(u.n, num_threads, kUpdateMinPerThread)) schedule(static)
  for (int64_t i = 0; i < u.n; ++i) {
    const float g = transformed(u.g[i], u.grad_scale, u.clip_value);
    const float s = rho * mean_square[i] + (1.0f - rho) * g * g;
    mean_square[i] = s;
    const float step = u.lr * g / std::sqrt(s + epsilon);  // Keras: epsilon inside the root
    float w = u.w[i] - decay * u.w[i];
    if (momentum_buf) {
      const float m = momentum * momentum_buf[i] + step;
      momentum_buf[i] = m;
      w -= m;
    } else {
      w -= step;
    }
    u.w[i] = w;
  }
}

void adam_update(const UpdateCommon& u, float* m, float* v, float beta1, float beta2, float epsilon, int64_t step,
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

double sum_of_squares(int64_t n, const float* x, int num_threads) {
  double total = 0.0;
#pragma omp parallel for simd num_threads(threads_for(n, num_threads, kUpdateMinPerThread)) reduction(+ : total) schedule(static)
  for (int64_t i = 0; i < n; ++i) total += static_cast<double>(x[i]) * x[i];
  return total;
}

}  // namespace ironnet::cpu
