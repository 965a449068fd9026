// The dense layer's bias gradient on the GPU (cuda/linear.cu); the forward product with its bias and
// relu is cuda::gemm_batched's epilogue, the gradient through that relu cuda::relu_backward (from the
// relu's output y: y > 0 exactly where the input was). Declarations only: no CUDA headers here.
#pragma once
#include <cstdint>

namespace ironnet::cuda {

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
