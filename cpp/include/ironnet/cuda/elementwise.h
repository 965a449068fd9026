// Elementwise launchers on the GPU (cuda/elementwise.cu). Declarations only: no CUDA headers here.
// All pointers are device memory; every call is queued on the device's stream.
#pragma once
#include <cstdint>

#include "ironnet/elementwise.h"

namespace ironnet::cuda {

// y[i] += alpha * x[i] for i < n.
void axpy(int64_t n, float alpha, const float* x, float* y, int device);

// out[i] = value for i < n.
void fill(int64_t n, float value, float* out, int device);

// out = a (op) b over `sizes` (rank >= 1, at most 8 after the op entry's coalescing): out contiguous
// (row-major over sizes), a and b read at their strides in elements (0 on a broadcast dimension), as
// cpu::binary. ValueError beyond 8 dimensions.
void binary(cpu::BinaryOp op, int rank, const int64_t* sizes, const float* a, const int64_t* a_strides,
            const float* b, const int64_t* b_strides, float* out, int device);

}  // namespace ironnet::cuda
