// Fused loss launchers on the GPU (cuda/losses.cu). Declarations only: no CUDA headers here.
//
// Same contract as the CPU kernels (ironnet/losses.h): pred and target are contiguous float32 viewed
// as (rows, cols); forwards write the reduced loss (Keras's "sum_over_batch_size") as one float to
// `loss` (device memory), summed in double; backwards write (=) grad = scale * d(loss)/d(pred).
// Every forward reduces in two deterministic passes (per-block partials, then one block in order),
// through `partials`: kLossPartials doubles of device scratch owned by the caller.
#pragma once
#include <cstdint>

#include "ironnet/losses.h"

namespace ironnet::cuda {

inline constexpr int64_t kLossPartials = 1024;

// n elements; delta is Huber's threshold (ignored by the others). n == 0 writes a loss of 0.
void elementwise_loss_forward(cpu::ElementwiseLoss kind, int64_t n, const float* target, const float* pred,
                              float delta, double* partials, float* loss, int device);
void elementwise_loss_backward(cpu::ElementwiseLoss kind, int64_t n, const float* target, const float* pred,
                               float delta, float scale, float* grad, int device);

// target, pred, grad: (rows, cols); one block per row (softmax and cross-entropy fused per row).
void categorical_crossentropy_forward(int64_t rows, int64_t cols, const float* target, const float* pred,
                                      bool from_logits, double* partials, float* loss, int device);
void categorical_crossentropy_backward(int64_t rows, int64_t cols, const float* target, const float* pred,
                                       bool from_logits, float scale, float* grad, int device);

// labels: (rows,) int32 or int64, every one in [0, cols) (the op entry checks them first).
template <class Label>
void sparse_categorical_crossentropy_forward(int64_t rows, int64_t cols, const Label* labels, const float* pred,
                                             bool from_logits, double* partials, float* loss, int device);
template <class Label>
void sparse_categorical_crossentropy_backward(int64_t rows, int64_t cols, const Label* labels, const float* pred,
                                              bool from_logits, float scale, float* grad, int device);

}  // namespace ironnet::cuda
