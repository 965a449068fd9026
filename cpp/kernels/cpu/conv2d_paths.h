// The three ways ironnet runs a convolution on the CPU, behind ironnet/conv2d.h's entry points
// (conv2d.cpp picks one): the GEMM path (implicit im2col around the packed GEMM, conv2d_gemm.cpp) for
// any shape, direct kernels for a small receptive field (C_in * kh * kw up to 80, e.g. a first
// layer on grey or RGB images), built once per ISA (conv2d_direct_kernels.h), and Winograd F(2x2, 3x3)
// for 3x3 stride-1 undilated forwards (conv2d_winograd.cpp) and weight gradients
// (conv2d_winograd_weight_grad.cpp).
#pragma once
#include <cstdint>

#include "ironnet/conv2d.h"

namespace ironnet::cpu::conv2d_detail {

// Same contracts as conv2d_forward / conv2d_backward (num_threads already resolved, >= 1).
void gemm_forward(const Conv2dShape& s, const float* x, const float* kernel, const float* bias, bool relu, float* y,
                  int threads);
void gemm_backward(const Conv2dShape& s, const float* dy, const float* relu_y, const float* x, const float* kernel,
                   float* dx, float* dkernel, float* dbias, int threads);
// Whether the Winograd path can run s at all (3x3, stride 1, dilation 1; any padding); conv2d.cpp
// decides whether it should.
bool winograd_applies(const Conv2dShape& s);
// 2x2 output tiles of s: the rows of the Winograd path's GEMMs.
int64_t winograd_tiles(const Conv2dShape& s);
void winograd_forward(const Conv2dShape& s, const float* x, const float* kernel, const float* bias, bool relu,
                      float* y, int threads);
// Writes dkernel and (when non-null) dbias of a convolution winograd_applies() to; never dx.
void winograd_weight_grad(const Conv2dShape& s, const float* dy, const float* relu_y, const float* x, float* dkernel,
                          float* dbias, int threads);

// The kernels built once per ISA (conv2d_direct_kernels.h): the direct kernels, and the gather of
// receptive fields that feeds the GEMM path's implicit im2col (a copy loop in the ISA's widest vectors:
// glibc's memcpy is several times slower on runs of a few hundred bytes).
struct IsaConvKernels {
  void (*forward)(const Conv2dShape& s, const float* x, const float* kernel, const float* bias, bool relu, float* y,
                  int threads);
  // Writes dkernel and (when non-null) dbias; never dx.
  void (*weight_grad)(const Conv2dShape& s, const float* dy, const float* relu_y, const float* x, float* dkernel,
                      float* dbias, int threads);
  // Entries [col0, col0 + cols) of the receptive fields of output pixels [row0, row0 + rows) into
  // out (row r at out + r * out_row_stride): rows of the im2col matrix.
  void (*gather_fields)(const Conv2dShape& s, const float* x, int64_t row0, int64_t rows, int64_t col0, int64_t cols,
                        float* out, int64_t out_row_stride);
  // The Winograd path's input and output transforms (conv2d_winograd_transforms.h has the contracts).
  void (*winograd_input)(const Conv2dShape& s, const float* x, int64_t tile0, int64_t tiles, const float* zeros,
                         float* v, int64_t v_stride);
  void (*winograd_output)(const Conv2dShape& s, const float* m, int64_t m_stride, int64_t tile0, int64_t tiles,
                          const float* bias, bool relu, float* discard, float* y);
  // The weight gradient's output-gradient transform (conv2d_winograd_grad_transforms.h has the contract).
  void (*winograd_output_grad)(const Conv2dShape& s, const float* dy, const float* relu_y, int64_t tile0,
                               int64_t tiles, const float* zeros, float* m, int64_t m_stride, double* bias_sums);
  // du (rows x co, row-major) += a^T (rows x count) @ b (count x co, row-major), a's rows a_stride apart:
  // the weight gradient's products, register-blocked with no packing (conv2d_direct_kernels.h).
  void (*add_transposed_product)(const float* a, int64_t a_stride, int64_t rows, const float* b, int64_t co,
                                 int64_t count, float* du);
};

const IsaConvKernels& portable_conv_kernels();
#if defined(IRONNET_HAVE_X86_KERNELS)
const IsaConvKernels& avx2_conv_kernels();    // conv2d_direct_avx2.cpp: -mavx2 -mfma
const IsaConvKernels& avx512_conv_kernels();  // conv2d_direct_avx512.cpp: -mavx512f ...
#endif
// Those of the active ISA (conv2d.cpp).
const IsaConvKernels& active_conv_kernels();

}  // namespace ironnet::cpu::conv2d_detail
