// Optimizer update launchers on the GPU (cuda/optimizers.cu). Declarations only: no CUDA headers here.
//
// Same formulas, in the same float32 order, as the CPU kernels (ironnet/optimizers.h); every pointer in
// a cpu::UpdateCommon (and every state buffer) is device memory here. All updates are in place.
#pragma once
#include <cstddef>
#include <cstdint>

#include "ironnet/optimizers.h"

namespace ironnet::cuda {

// velocity: (u.n,) or null when momentum == 0.
void sgd_update(const cpu::UpdateCommon& u, float* velocity, float momentum, bool nesterov, int device);

// mean_square: (u.n,); momentum_buf: (u.n,) or null when momentum == 0.
void rmsprop_update(const cpu::UpdateCommon& u, float* mean_square, float* momentum_buf, float rho, float momentum,
                    float epsilon, int device);

// Adam on `count` tensors: updates[i] with its state m[i], v[i] (each (updates[i].n,)). One launch per
// kAdamTensorsPerLaunch tensors (the table rides in the kernel's parameters), so a model's step is
// usually one launch. step counts from 1.
inline constexpr int kAdamTensorsPerLaunch = 32;
void adam_update_multi(const cpu::UpdateCommon* updates, float* const* m, float* const* v, size_t count, float beta1,
                       float beta2, float epsilon, int64_t step, int device);

// *out = sum(x^2) over n floats, in double, reduced in two deterministic passes through `partials`
// (kSquaresPartials doubles of device scratch). out: one double of device memory.
inline constexpr int64_t kSquaresPartials = 1024;
void sum_of_squares(int64_t n, const float* x, double* partials, double* out, int device);

}  // namespace ironnet::cuda
