// Kernels around the GEMM that a dense layer needs, callable from C++.
#pragma once
#include <cstdint>

namespace ironnet::cpu {

// Every row of out (rows x cols, row stride ldo) becomes a copy of bias (cols): the start of a
// GEMM with beta = 1, which then adds x @ w on top, so the bias costs no pass of its own.
void broadcast_rows(int64_t rows, int64_t cols, const float* bias, float* out, int64_t ldo, int num_threads = 0);

// out[j] = sum over i of x[i * ldx + j]: the bias gradient of a dense layer (column sums of dy),
// accumulated in double per column.
void column_sums(int64_t rows, int64_t cols, const float* x, int64_t ldx, float* out, int num_threads = 0);

}  // namespace ironnet::cpu
