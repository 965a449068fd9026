// GEMM launchers on the GPU (cuda/gemm.cu). Declarations only: no CUDA headers here.
#pragma once
#include <cstdint>

namespace ironnet::cuda {

// C (m x n, row-major, row stride ldc) = alpha * op(A) * op(B) + beta * C, all in device memory,
// with the same stride convention as ironnet::GemmArgs. Queued on the device's stream.
// Runs on TF32 tensor cores when ironnet::allow_tf32() is set (ironnet/matmul_precision.h).
void gemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t a_rs, int64_t a_cs,
          const float* b, int64_t b_rs, int64_t b_cs, float* c, int64_t ldc, float alpha,
          float beta, int device);

// One operand of a batched product: element (r, c) of matrix z is data[z * batch_stride +
// r * row_stride + c * col_stride]. A batch stride of 0 broadcasts one matrix over the batch.
struct GemmOperand {
  const float* data = nullptr;
  int64_t row_stride = 0, col_stride = 1, batch_stride = 0;
};

// What happens to each finished sum s = sum_p A(i, p) B(p, j) before it is stored:
//   C(i, j) = relu?(alpha * s + beta * C(i, j) + bias[j])
// beta == 0 never reads C (it may hold NaN); bias (n floats, contiguous) is optional.
struct GemmEpilogue {
  float alpha = 1.0f, beta = 0.0f;
  const float* bias = nullptr;
  bool relu = false;
};

// For z < batch: C_z (m x n) = epilogue(A_z (m x k) @ B_z (k x n)), C_z at c + z * c_batch_stride
// with row stride ldc. One launch per 65535 matrices (the batch is the grid's z dimension).
// alpha == 0 reads neither A nor B. Queued on the device's stream.
void gemm_batched(int64_t batch, int64_t m, int64_t n, int64_t k, const GemmOperand& a, const GemmOperand& b,
                  float* c, int64_t ldc, int64_t c_batch_stride, const GemmEpilogue& epilogue, int device);

}  // namespace ironnet::cuda
