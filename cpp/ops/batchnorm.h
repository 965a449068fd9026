// Batch normalization entry points on Tensors (Keras 3 BatchNormalization semantics): validate once,
// make inputs contiguous, allocate outputs and scratch, call the CPU kernels (ironnet/batchnorm.h) or the
// CUDA ones (ironnet/cuda/batchnorm.h); every tensor of a call on one device (else a ValueError).
//
// x: any rank >= 2, float32; `axis` (negative counts from the end) is the normalized axis, of size C.
// gamma, beta: (C,) or null (scale=False / center=False). Per-channel tensors are (C,).
#pragma once
#include <tuple>

#include "ironnet/tensor.h"

namespace ironnet::ops {

// Training forward with batch statistics (mean and biased variance over every axis but `axis`).
// Updates moving_mean and moving_variance in place (contiguous (C,) tensors):
// moving = moving * momentum + batch statistic * (1 - momentum). momentum in [0, 1], epsilon > 0.
// Returns (y, mean, inv_std): y like x; mean and inv_std = 1 / sqrt(var + epsilon), (C,), for the backward.
std::tuple<Tensor, Tensor, Tensor> batch_norm_train(const Tensor& x, const Tensor* gamma, const Tensor* beta,
                                                    Tensor& moving_mean, Tensor& moving_variance, int64_t axis,
                                                    double momentum, float epsilon);

// Inference forward with the moving statistics: y = (x - moving_mean) / sqrt(moving_variance + eps) * gamma + beta.
Tensor batch_norm_inference(const Tensor& x, const Tensor* gamma, const Tensor* beta, const Tensor& moving_mean,
                            const Tensor& moving_variance, int64_t axis, float epsilon);

struct BatchNormGrads {
  Tensor dx, dgamma, dbeta;  // undefined where not asked for
};
// Gradients from dy (x's shape), the forward's x, and the (C,) mean and inv_std it normalized with.
// batch_statistics: the forward used batch statistics (training), so dx flows through them too;
// otherwise they were constants (inference) and dx = dy * gamma * inv_std.
BatchNormGrads batch_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& mean, const Tensor& inv_std,
                                   const Tensor* gamma, int64_t axis, bool batch_statistics, bool need_dx,
                                   bool need_dgamma, bool need_dbeta);

}  // namespace ironnet::ops
