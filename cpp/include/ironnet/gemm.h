// Single-precision GEMM, callable from any C++ kernel (convolution, recurrent cells, ...):
//   C (m x n) = alpha * A (m x k) * B (k x n) + beta * C
#pragma once
#include <cstdint>

#include "ironnet/cpu_features.h"

namespace ironnet {

// Operands are strided views, so transposes and row strides are just strides:
//   A(i, p) = a[i * a_row_stride + p * a_col_stride]
//   B(p, j) = b[p * b_row_stride + j * b_col_stride]
//   C(i, j) = c[i * ldc + j]                       (rows of C are contiguous)
// beta == 0 means C is only written, never read (it may hold NaN or garbage).
struct GemmArgs {
  int64_t m = 0, n = 0, k = 0;
  const float* a = nullptr;
  int64_t a_row_stride = 0, a_col_stride = 1;
  const float* b = nullptr;
  int64_t b_row_stride = 0, b_col_stride = 1;
  float* c = nullptr;
  int64_t ldc = 0;
  float alpha = 1.0f, beta = 0.0f;
};

namespace cpu {
// Runs on the active ISA with `num_threads` OpenMP threads (<= 0: get_num_threads()).
// Arguments are trusted: op entry points validate them.
void gemm(const GemmArgs& args, int num_threads = 0);
// Same, on a given ISA (tests and benchmarks force each path).
void gemm(const GemmArgs& args, int num_threads, CpuIsa isa);
}  // namespace cpu

}  // namespace ironnet
