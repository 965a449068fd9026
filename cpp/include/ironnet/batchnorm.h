// Batch normalization kernels (Keras 3 semantics), callable from C++.
//
// Every kernel sees x as (outer, C, inner), row-major: channel c of element (o, c, i) lives at
// (o * C + c) * inner + i. Channels-last data (the normalized axis is the last one) is inner == 1.
// Statistics are over the outer * inner elements of each channel. Per-channel vectors are (C,).
// Outputs are written (=), never accumulated; pointers documented as nullable may be null.
#pragma once
#include <cstdint>

namespace ironnet::cpu {

struct BatchNormDims {
  int64_t outer = 0;
  int64_t channels = 0;
  int64_t inner = 1;
  // Elements per channel: what each mean and variance is taken over.
  int64_t count() const { return outer * inner; }
};

// Training forward, one call: batch mean and biased variance of every channel (shifted sums
// accumulated in double per thread, merged in thread order: deterministic for a thread count), then
//   y = (x - mean) * inv_std * gamma + beta,           inv_std = 1 / sqrt(var + eps)
//   moving_mean = moving_mean * momentum + mean * (1 - momentum)   (in place; moving_var alike)
// in float32, with momentum and 1 - momentum (taken in double) each rounded to float32, as Keras does.
// gamma, beta nullable (1 and 0). mean and inv_std (C,) are outputs saved for the backward.
// count() must be > 0.
void batch_norm_train_forward(const BatchNormDims& d, const float* x, const float* gamma, const float* beta,
                              double momentum, float eps, float* moving_mean, float* moving_var, float* y,
                              float* mean, float* inv_std, int num_threads = 0);

// Inference forward: y = (x - moving_mean) / sqrt(moving_var + eps) * gamma + beta.
void batch_norm_inference_forward(const BatchNormDims& d, const float* x, const float* gamma, const float* beta,
                                  const float* moving_mean, const float* moving_var, float eps, float* y,
                                  int num_threads = 0);

// Backward from dy, the forward's x, and the mean and inv_std it normalized with. With xhat =
// (x - mean) * inv_std: dbeta = sum(dy), dgamma = sum(dy * xhat) (over each channel), and
//   batch_statistics:  dx = gamma * inv_std * (dy - mean(dy) - xhat * mean(dy * xhat))
//   otherwise:         dx = gamma * inv_std * dy      (mean and inv_std were constants: inference)
// gamma nullable (1); dx, dgamma, dbeta nullable (not computed); count() must be > 0 for dx with
// batch_statistics.
void batch_norm_backward(const BatchNormDims& d, const float* dy, const float* x, const float* mean,
                         const float* inv_std, const float* gamma, bool batch_statistics, float* dx, float* dgamma,
                         float* dbeta, int num_threads = 0);

}  // namespace ironnet::cpu
