// The activation kernels of one ISA as a table of function pointers (one table per ISA translation
// unit; ironnet/activations.h's functions pick one by the active ISA, like the GEMM's kernel_for).
#pragma once
#include <cstdint>

namespace ironnet::cpu::activations_detail {

struct ActivationTable {
  void (*relu_forward)(int64_t, const float*, float*, int);
  void (*relu_backward)(int64_t, const float*, const float*, float*, int);
  void (*leaky_relu_forward)(int64_t, float, const float*, float*, int);
  void (*leaky_relu_backward)(int64_t, float, const float*, const float*, float*, int);
  void (*elu_forward)(int64_t, float, const float*, float*, int);
  void (*elu_backward)(int64_t, float, const float*, const float*, float*, int);
  void (*gelu_forward)(int64_t, bool, const float*, float*, int);
  void (*gelu_backward)(int64_t, bool, const float*, const float*, float*, int);
  void (*sigmoid_forward)(int64_t, const float*, float*, int);
  void (*sigmoid_backward)(int64_t, const float*, const float*, float*, int);
  void (*tanh_forward)(int64_t, const float*, float*, int);
  void (*tanh_backward)(int64_t, const float*, const float*, float*, int);
  void (*softmax_forward)(int64_t, int64_t, const float*, float*, int);
  void (*softmax_backward)(int64_t, int64_t, const float*, const float*, float*, int);
  void (*log_softmax_forward)(int64_t, int64_t, const float*, float*, int);
  void (*log_softmax_backward)(int64_t, int64_t, const float*, const float*, float*, int);
};

const ActivationTable& portable_table();
#if defined(IRONNET_HAVE_X86_KERNELS)
const ActivationTable& avx2_table();    // activations_avx2.cpp: -mavx2 -mfma
const ActivationTable& avx512_table();  // activations_avx512.cpp: -mavx512f ...
#endif

}  // namespace ironnet::cpu::activations_detail
