// The loss kernels' public entry points (ironnet/losses.h): pick the ISA build of the kernels
// (losses_kernels.h, compiled per ISA) that the CPU and set_cpu_isa allow.
#include "ironnet/losses.h"

#include "ironnet/cpu_features.h"
#include "kernels/cpu/losses_kernels.h"

namespace ironnet::cpu {
namespace {

const loss_detail::LossKernels& kernels() {
#if defined(IRONNET_HAVE_X86_KERNELS)
  if (active_isa() != CpuIsa::Portable) return loss_detail::avx2_kernels();
#endif
  return loss_detail::portable_kernels();
}

}  // namespace

double elementwise_loss_forward(ElementwiseLoss kind, int64_t n, const float* target, const float* pred, float delta,
                                int num_threads) {
  return kernels().elementwise_forward(kind, n, target, pred, delta, num_threads);
}

void elementwise_loss_backward(ElementwiseLoss kind, int64_t n, const float* target, const float* pred, float delta,
                               float scale, float* grad, int num_threads) {
  kernels().elementwise_backward(kind, n, target, pred, delta, scale, grad, num_threads);
}

double categorical_crossentropy_forward(int64_t rows, int64_t cols, const float* target, const float* pred,
                                        bool from_logits, int num_threads) {
  return kernels().categorical_forward(rows, cols, target, pred, from_logits, num_threads);
}

void categorical_crossentropy_backward(int64_t rows, int64_t cols, const float* target, const float* pred,
                                       bool from_logits, float scale, float* grad, int num_threads) {
  kernels().categorical_backward(rows, cols, target, pred, from_logits, scale, grad, num_threads);
}

template <>
double sparse_categorical_crossentropy_forward<int32_t>(int64_t rows, int64_t cols, const int32_t* labels,
                                                        const float* pred, bool from_logits, int num_threads) {
  return kernels().sparse_forward_i32(rows, cols, labels, pred, from_logits, num_threads);
}

template <>
double sparse_categorical_crossentropy_forward<int64_t>(int64_t rows, int64_t cols, const int64_t* labels,
                                                        const float* pred, bool from_logits, int num_threads) {
  return kernels().sparse_forward_i64(rows, cols, labels, pred, from_logits, num_threads);
}

template <>
void sparse_categorical_crossentropy_backward<int32_t>(int64_t rows, int64_t cols, const int32_t* labels,
                                                       const float* pred, bool from_logits, float scale, float* grad,
                                                       int num_threads) {
  kernels().sparse_backward_i32(rows, cols, labels, pred, from_logits, scale, grad, num_threads);
}

template <>
void sparse_categorical_crossentropy_backward<int64_t>(int64_t rows, int64_t cols, const int64_t* labels,
                                                       const float* pred, bool from_logits, float scale, float* grad,
                                                       int num_threads) {
  kernels().sparse_backward_i64(rows, cols, labels, pred, from_logits, scale, grad, num_threads);
}

}  // namespace ironnet::cpu
