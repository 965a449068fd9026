// GEMM launchers on the GPU (cuda/gemm.cu). Declarations only: no CUDA headers here.
#pragma once
#include <cstdint>

namespace ironnet::cuda {

// C (m x n, row-major, row stride ldc) = alpha * op(A) * op(B) + beta * C, all in device memory,
// with the same stride convention as ironnet::GemmArgs. Queued on the device's stream.
void gemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t a_rs, int64_t a_cs,
          const float* b, int64_t b_rs, int64_t b_cs, float* c, int64_t ldc, float alpha,
          float beta, int device);

}  // namespace ironnet::cuda
