// Elementwise CPU kernels, callable from any C++ code. Arguments are trusted (op entry points check).
#pragma once
#include <cstdint>

namespace ironnet::cpu {

// y[i] += alpha * x[i] for i < n (contiguous float32). The autograd engine accumulates gradients
// with it; optimizers and layers reuse it.
void axpy(int64_t n, float alpha, const float* x, float* y, int num_threads = 0);

enum class BinaryOp { Add, Sub, Mul, Div };

// out = a (op) b over `sizes` (rank >= 1): out is contiguous (row-major over sizes); a and b are
// read at their strides in elements, 0 on a broadcast dimension. Op entry points coalesce the
// dimensions first (size-1 dimensions dropped, adjacent ones merged) so kernels see the fewest loops. Paths: one flat loop when both operands are
// contiguous, a row loop for rank 2 (bias add: (N, C) + (C,)), an odometer over outer dimensions
// otherwise; the innermost loop is specialized for unit and zero strides.
void binary(BinaryOp op, int rank, const int64_t* sizes, const float* a, const int64_t* a_strides,
            const float* b, const int64_t* b_strides, float* out, int num_threads = 0);

// out[k] = scale * sum over the reduced index r of x[k, r], accumulated in double.
// Kept dimensions (kept_rank, may be 0) index out row-major; reduced dimensions (reduced_rank, may
// be 0) are summed. Sizes are > 0 (an empty reduction is handled by the op entry point).
void reduce_sum(const float* x, int kept_rank, const int64_t* kept_sizes, const int64_t* kept_strides,
                int reduced_rank, const int64_t* reduced_sizes, const int64_t* reduced_strides, double scale,
                float* out, int num_threads = 0);

}  // namespace ironnet::cpu
