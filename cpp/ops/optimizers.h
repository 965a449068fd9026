// Optimizer update entry points on Tensors: check the parameter, gradient and state once, then run
// the fused kernel in place, on the CPU or the GPU (every tensor of a call on one device).
#pragma once
#include <vector>

#include "ironnet/tensor.h"

namespace ironnet::ops {

struct UpdateOptions {
  float lr = 0.0f;
  float weight_decay = 0.0f;
  float grad_scale = 1.0f;
  float clip_value = 0.0f;
};

void sgd_update_(Tensor& w, const Tensor& g, Tensor* velocity, const UpdateOptions& opts, float momentum,
                 bool nesterov);
// sgd_update_ on every (w[i], g[i], velocity[i]) in one call, gradient i scaled by grad_scales[i]
// (opts.grad_scale is ignored); velocity may be empty when momentum == 0. Like every *_multi_ update:
// what Optimizer.apply does each step, without a Python round trip per weight (and on CUDA in one
// launch per 32 weights); every tensor is checked before any is written, so a bad one leaves all of
// them unchanged.
void sgd_update_multi_(std::vector<Tensor>& w, const std::vector<Tensor>& g, std::vector<Tensor>& velocity,
                       const std::vector<float>& grad_scales, const UpdateOptions& opts, float momentum,
                       bool nesterov);
void rmsprop_update_(Tensor& w, const Tensor& g, Tensor& mean_square, Tensor* momentum_buf,
                     const UpdateOptions& opts, float rho, float momentum, float epsilon);
// rmsprop_update_ on every weight in one call (see sgd_update_multi_); momentum_buf may be empty when
// momentum == 0.
void rmsprop_update_multi_(std::vector<Tensor>& w, const std::vector<Tensor>& g, std::vector<Tensor>& mean_square,
                           std::vector<Tensor>& momentum_buf, const std::vector<float>& grad_scales,
                           const UpdateOptions& opts, float rho, float momentum, float epsilon);
void adam_update_(Tensor& w, const Tensor& g, Tensor& m, Tensor& v, const UpdateOptions& opts, float beta1,
                  float beta2, float epsilon, int64_t step);
// adam_update_ on every (w[i], g[i], m[i], v[i]) in one call (see sgd_update_multi_).
void adam_update_multi_(std::vector<Tensor>& w, const std::vector<Tensor>& g, std::vector<Tensor>& m,
                        std::vector<Tensor>& v, const std::vector<float>& grad_scales, const UpdateOptions& opts,
                        float beta1, float beta2, float epsilon, int64_t step);
// sum(x^2) in double, for gradient norms.
double sum_of_squares(const Tensor& x);
// sum(x^2) of every tensor (all on one device), in double: on CUDA one wait for the whole list.
std::vector<double> sum_of_squares_multi(const std::vector<Tensor>& xs);

}  // namespace ironnet::ops
