// Optimizer update launchers on the GPU (cuda/optimizers.cu). Declarations only: no CUDA headers here.
//
// Same formulas, in the same float32 order, as the CPU kernels (ironnet/optimizers.h); every pointer in
// a cpu::UpdateCommon (and every state buffer) is device memory here. All updates are in place.
// Each call updates `count` tensors: updates[i] with its state buffers (each (updates[i].n,)), in one
// launch per kTensorsPerLaunch tensors (the table rides in the kernel's parameters), so a model's
// step is usually a single launch.
#pragma once
#include <cstddef>
#include <cstdint>

#include "ironnet/optimizers.h"

namespace ironnet::cuda {

inline constexpr int kTensorsPerLaunch = 32;

// velocity: null (the array, or its entries) when momentum == 0.
void sgd_update_multi(const cpu::UpdateCommon* updates, float* const* velocity, size_t count, float momentum,
                      bool nesterov, int device);

// momentum_buf: null (the array, or its entries) when momentum == 0.
void rmsprop_update_multi(const cpu::UpdateCommon* updates, float* const* mean_square, float* const* momentum_buf,
                          size_t count, float rho, float momentum, float epsilon, int device);

// step counts from 1.
void adam_update_multi(const cpu::UpdateCommon* updates, float* const* m, float* const* v, size_t count, float beta1,
                       float beta2, float epsilon, int64_t step, int device);

// *out = sum(x^2) over n floats, in double, reduced in two deterministic passes through `partials`
// (kSquaresPartials doubles of device scratch). out: one double of device memory.
inline constexpr int64_t kSquaresPartials = 1024;
void sum_of_squares(int64_t n, const float* x, double* partials, double* out, int device);

}  // namespace ironnet::cuda
