// Optimizer updates: each one fused native pass over a parameter, its gradient and its state.
// Formulas are Keras 3's (keras.optimizers), so a step matches Keras to float32 rounding.
#pragma once
#include <cstdint>

namespace ironnet::cpu {

// What every update does to the gradient and the weight first, in one pass with the update:
//   g <- clip(g * grad_scale, -clip_value, clip_value)   (clip_value <= 0: no clipping)
//   w <- w - lr * weight_decay * w                        (Keras 3's decoupled weight decay)
struct UpdateCommon {
  int64_t n = 0;
  float* w = nullptr;
  const float* g = nullptr;
  float lr = 0.0f;
  float weight_decay = 0.0f;
  float grad_scale = 1.0f;  // clipnorm / global_clipnorm factor, computed by the caller
  float clip_value = 0.0f;
};

// SGD: without momentum w -= lr g; with it v = momentum v - lr g, then w += v, or with nesterov
// w += momentum v - lr g. velocity may be null when momentum == 0.
void sgd_update(const UpdateCommon& u, float* velocity, float momentum, bool nesterov, int num_threads = 0);

// RMSprop (centered=False): s = rho s + (1 - rho) g^2; step = lr g / sqrt(s + eps); without
// momentum w -= step, with it m = momentum m + step, w -= m (m may be null when momentum == 0).
void rmsprop_update(const UpdateCommon& u, float* mean_square, float* momentum_buf, float rho, float momentum,
                    float epsilon, int num_threads = 0);

// Adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps), t = step (1 for the first update).
void adam_update(const UpdateCommon& u, float* m, float* v, float beta1, float beta2, float epsilon, int64_t step,
                 int num_threads = 0);

// sum(x^2) accumulated in double: the norms clipnorm and global_clipnorm need.
double sum_of_squares(int64_t n, const float* x, int num_threads = 0);

}  // namespace ironnet::cpu
