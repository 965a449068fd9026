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
void rmsprop_update_(Tensor& w, const Tensor& g, Tensor& mean_square, Tensor* momentum_buf,
                     const UpdateOptions& opts, float rho, float momentum, float epsilon);
void adam_update_(Tensor& w, const Tensor& g, Tensor& m, Tensor& v, const UpdateOptions& opts, float beta1,
                  float beta2, float epsilon, int64_t step);
// adam_update_ on every (w[i], g[i], m[i], v[i]) in one call, gradient i scaled by grad_scales[i]
// (opts.grad_scale is ignored): what Optimizer.apply does each step, without a Python round trip per
// weight. Every tensor is checked before any is written, so a bad one leaves all of them unchanged.
void adam_update_multi_(std::vector<Tensor>& w, const std::vector<Tensor>& g, std::vector<Tensor>& m,
                        std::vector<Tensor>& v, const std::vector<float>& grad_scales, const UpdateOptions& opts,
                        float beta1, float beta2, float epsilon, int64_t step);
// sum(x^2) in double, for gradient norms.
double sum_of_squares(const Tensor& x);

}  // namespace ironnet::ops
