// Fused loss CPU kernels (forward: the scalar loss; backward: d(loss)/d(pred)), callable from any C++
// code. Arguments are trusted: the op entry points (cpp/ops/losses.cpp) check shapes, dtypes and labels.
//
// Shapes: pred and target are contiguous float32 viewed as (rows, cols), cols = the last axis.
// Reduction is Keras's "sum_over_batch_size": the elementwise losses (MSE, MAE, Huber, BCE) are
// averaged over all rows*cols elements; the categorical ones are summed over cols, averaged over rows.
// Forward sums in double. Backward writes (=, never +=) grad = scale * d(loss)/d(pred), where scale is
// the upstream gradient of the scalar loss.
#pragma once
#include <cstdint>

namespace ironnet::cpu {

// Keras's clip epsilon for probabilities (keras.config.epsilon()).
constexpr float kLossEpsilon = 1e-7f;

enum class ElementwiseLoss { MeanSquaredError, MeanAbsoluteError, Huber, BinaryCrossentropy, BinaryCrossentropyLogits };

// n elements; delta is Huber's threshold (ignored by the others).
double elementwise_loss_forward(ElementwiseLoss kind, int64_t n, const float* target, const float* pred, float delta,
                                int num_threads = 0);
void elementwise_loss_backward(ElementwiseLoss kind, int64_t n, const float* target, const float* pred, float delta,
                               float scale, float* grad, int num_threads = 0);

// Categorical crossentropy, target: (rows, cols) class probabilities. from_logits: log-softmax + NLL;
// else Keras's form: each pred row normalized to sum 1, clipped to [eps, 1 - eps].
double categorical_crossentropy_forward(int64_t rows, int64_t cols, const float* target, const float* pred,
                                        bool from_logits, int num_threads = 0);
void categorical_crossentropy_backward(int64_t rows, int64_t cols, const float* target, const float* pred,
                                       bool from_logits, float scale, float* grad, int num_threads = 0);

// Sparse categorical crossentropy, labels: (rows,) class indices in [0, cols) (int32 or int64).
template <class Label>
double sparse_categorical_crossentropy_forward(int64_t rows, int64_t cols, const Label* labels, const float* pred,
                                               bool from_logits, int num_threads = 0);
template <class Label>
void sparse_categorical_crossentropy_backward(int64_t rows, int64_t cols, const Label* labels, const float* pred,
                                              bool from_logits, float scale, float* grad, int num_threads = 0);

}  // namespace ironnet::cpu
