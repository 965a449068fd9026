// The dense layer's kernels around the GEMM on the GPU (cuda/linear.cu); the forward product with
// its bias and relu is cuda::gemm_batched's epilogue. Declarations only: no CUDA headers here.
#pragma once
#include <cstdint>

namespace ironnet::cuda {

// dx[i] = y[i] > 0 ? dy[i] : 0 for i < n: the gradient through the relu fused into a linear
// forward, from that forward's output y. Contiguous device arrays.
void linear_relu_mask(int64_t n, const float* y, const float* dy, float* dx, int device);

// Rows per partial sum in linear_column_sums: the op entry allocates the partials workspace as
// ceil(rows / kColumnSumChunk) * cols 8-byte words.
inline constexpr int64_t kColumnSumChunk = 256;

// out[j] = sum over i < rows of x[i * ldx + j], for j < cols: the bias gradient of a dense layer.
// Deterministic: each chunk of kColumnSumChunk rows is summed in double in a fixed order into
// partials (ceil(rows / kColumnSumChunk) x cols doubles), then the partials of each column in chunk
// order. rows == 0 writes zeros.
void linear_column_sums(int64_t rows, int64_t cols, const float* x, int64_t ldx, double* partials, float* out,
                        int device);

}  // namespace ironnet::cuda
