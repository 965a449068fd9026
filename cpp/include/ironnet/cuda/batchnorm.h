// Batch-norm launchers on the GPU (cuda/batchnorm.cu). Declarations only: no CUDA headers here.
//
// Same semantics, layout and numerics as the CPU kernels (ironnet/batchnorm.h): x is (outer, C, inner)
// row-major, statistics are shifted sums in double, outputs are written (=). Every pointer is device
// memory. The caller owns two scratch buffers: `partials`, batch_norm_partials(d) doubles, and
// `coefficients`, kBatchNormCoefficients * C floats.
#pragma once
#include <cstdint>

#include "ironnet/batchnorm.h"

namespace ironnet::cuda {

inline constexpr int64_t kBatchNormCoefficients = 3;

// Doubles of `partials` the training forward and the backward need for dims d.
int64_t batch_norm_partials(const cpu::BatchNormDims& d);

// momentum in [0, 1]; gamma, beta nullable; count() > 0. mean, inv_std: (C,) outputs for the backward.
void batch_norm_train_forward(const cpu::BatchNormDims& d, const float* x, const float* gamma, const float* beta,
                              double momentum, float eps, float* moving_mean, float* moving_var, float* y,
                              float* mean, float* inv_std, double* partials, float* coefficients, int device);

void batch_norm_inference_forward(const cpu::BatchNormDims& d, const float* x, const float* gamma, const float* beta,
                                  const float* moving_mean, const float* moving_var, float eps, float* y,
                                  float* coefficients, int device);

// gamma, dx, dgamma, dbeta nullable (dx/dgamma/dbeta: not computed).
void batch_norm_backward(const cpu::BatchNormDims& d, const float* dy, const float* x, const float* mean,
                         const float* inv_std, const float* gamma, bool batch_statistics, float* dx, float* dgamma,
                         float* dbeta, double* partials, float* coefficients, int device);

}  // namespace ironnet::cuda
