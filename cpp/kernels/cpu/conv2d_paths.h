// The two ways ironnet runs a convolution on the CPU, behind ironnet/conv2d.h's entry points
// (conv2d.cpp picks one): the GEMM path (chunked im2col around the packed GEMM, conv2d_gemm.cpp) for
// any shape, and direct kernels for a tiny receptive field (C_in * kh * kw small, e.g. a first layer
// on grey images), built once per ISA (conv2d_direct_kernels.h).
#pragma once
#include <cstdint>

#include "ironnet/conv2d.h"

namespace ironnet::cpu::conv2d_detail {

// Same contracts as conv2d_forward / conv2d_backward (num_threads already resolved, >= 1).
void gemm_forward(const Conv2dShape& s, const float* x, const float* kernel, const float* bias, bool relu, float* y,
                  int threads);
void gemm_backward(const Conv2dShape& s, const float* dy, const float* relu_y, const float* x, const float* kernel,
                   float* dx, float* dkernel, float* dbias, int threads);

// The direct kernels of one ISA. weight_grad writes dkernel and (when non-null) dbias; it never computes dx.
struct DirectConvTable {
  void (*forward)(const Conv2dShape& s, const float* x, const float* kernel, const float* bias, bool relu, float* y,
                  int threads);
  void (*weight_grad)(const Conv2dShape& s, const float* dy, const float* relu_y, const float* x, float* dkernel,
                      float* dbias, int threads);
};

const DirectConvTable& portable_direct();
#if defined(IRONNET_HAVE_X86_KERNELS)
const DirectConvTable& avx2_direct();    // conv2d_direct_avx2.cpp: -mavx2 -mfma
const DirectConvTable& avx512_direct();  // conv2d_direct_avx512.cpp: -mavx512f ...
#endif

}  // namespace ironnet::cpu::conv2d_detail
