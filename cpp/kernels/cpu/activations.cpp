// The public activation kernels (ironnet/activations.h): each forwards to the table of the active
// CPU ISA (AVX-512, AVX2+FMA or portable; see activations_kernels.h for the code itself).
#include "ironnet/activations.h"

#include "ironnet/cpu_features.h"
#include "kernels/cpu/activations_table.h"

namespace ironnet::cpu {
namespace {
const activations_detail::ActivationTable& table() {
#if defined(IRONNET_HAVE_X86_KERNELS)
  const CpuIsa isa = active_isa();
  if (isa == CpuIsa::Avx512) return activations_detail::avx512_table();
  if (isa == CpuIsa::Avx2) return activations_detail::avx2_table();
#endif
  return activations_detail::portable_table();
}
}  // namespace

void relu_forward(int64_t n, const float* x, float* y, int num_threads) { table().relu_forward(n, x, y, num_threads); }
void relu_backward(int64_t n, const float* x, const float* dy, float* dx, int num_threads) {
  table().relu_backward(n, x, dy, dx, num_threads);
}
void leaky_relu_forward(int64_t n, float slope, const float* x, float* y, int num_threads) {
  table().leaky_relu_forward(n, slope, x, y, num_threads);
}
void leaky_relu_backward(int64_t n, float slope, const float* x, const float* dy, float* dx, int num_threads) {
  table().leaky_relu_backward(n, slope, x, dy, dx, num_threads);
}
void elu_forward(int64_t n, float alpha, const float* x, float* y, int num_threads) {
  table().elu_forward(n, alpha, x, y, num_threads);
}
void elu_backward(int64_t n, float alpha, const float* x, const float* dy, float* dx, int num_threads) {
  table().elu_backward(n, alpha, x, dy, dx, num_threads);
}
void gelu_forward(int64_t n, bool approximate, const float* x, float* y, int num_threads) {
  table().gelu_forward(n, approximate, x, y, num_threads);
}
void gelu_backward(int64_t n, bool approximate, const float* x, const float* dy, float* dx, int num_threads) {
  table().gelu_backward(n, approximate, x, dy, dx, num_threads);
}
void sigmoid_forward(int64_t n, const float* x, float* y, int num_threads) {
  table().sigmoid_forward(n, x, y, num_threads);
}
void sigmoid_backward(int64_t n, const float* y, const float* dy, float* dx, int num_threads) {
  table().sigmoid_backward(n, y, dy, dx, num_threads);
}
void tanh_forward(int64_t n, const float* x, float* y, int num_threads) { table().tanh_forward(n, x, y, num_threads); }
void tanh_backward(int64_t n, const float* y, const float* dy, float* dx, int num_threads) {
  table().tanh_backward(n, y, dy, dx, num_threads);
}
void softmax_forward(int64_t rows, int64_t cols, const float* x, float* y, int num_threads) {
  table().softmax_forward(rows, cols, x, y, num_threads);
}
void softmax_backward(int64_t rows, int64_t cols, const float* y, const float* dy, float* dx, int num_threads) {
  table().softmax_backward(rows, cols, y, dy, dx, num_threads);
}
void log_softmax_forward(int64_t rows, int64_t cols, const float* x, float* y, int num_threads) {
  table().log_softmax_forward(rows, cols, x, y, num_threads);
}
void log_softmax_backward(int64_t rows, int64_t cols, const float* y, const float* dy, float* dx, int num_threads) {
  table().log_softmax_backward(rows, cols, y, dy, dx, num_threads);
}

}  // namespace ironnet::cpu
