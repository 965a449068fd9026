// Single-precision GEMM, callable from any C++ kernel (convolution, recurrent cells, ...):
//   C (m x n) = alpha * A (m x k) * B (k x n) + beta * C
#pragma once
#include <cstdint>

#include "ironnet/cpu_features.h"

namespace ironnet {

// An operand that is never stored as a matrix: the GEMM asks it for blocks of rows as it packs them
// (a convolution gathers its im2col rows straight from the input this way: implicit im2col).
class RowSource {
 public:
  virtual ~RowSource() = default;
  // Writes M(row0 + i, col0 + j) to out[i * out_row_stride + j] for i < rows, j < cols.
  virtual void copy_rows(int64_t row0, int64_t rows, int64_t col0, int64_t cols, float* out,
                         int64_t out_row_stride) const = 0;
};

// Operands are strided views, so transposes and row strides are just strides:
//   A(i, p) = a[i * a_row_stride + p * a_col_stride]
//   B(p, j) = b[p * b_row_stride + j * b_col_stride]
//   C(i, j) = c[i * ldc + j]                       (rows of C are contiguous)
// beta == 0 means C is only written, never read (it may hold NaN or garbage).
struct GemmArgs {
  int64_t m = 0, n = 0, k = 0;
  const float* a = nullptr;
  int64_t a_row_stride = 0, a_col_stride = 1;
  // When set, A(i, p) = a_source's (a_source_row0 + i, p) instead (a and its strides are ignored).
  const RowSource* a_source = nullptr;
  int64_t a_source_row0 = 0;
  const float* b = nullptr;
  int64_t b_row_stride = 0, b_col_stride = 1;
  // When set, B(p, j) = b_source's (b_source_row0 + p, b_source_col0 + j) instead (b and its strides are
  // ignored). Not with a prepacked B.
  const RowSource* b_source = nullptr;
  int64_t b_source_row0 = 0, b_source_col0 = 0;
  float* c = nullptr;
  int64_t ldc = 0;
  float alpha = 1.0f, beta = 0.0f;
};

namespace cpu {

// B packed once into the layout the GEMM microkernels read, for products that reuse it many times
// (a layer's weights across batches, a recurrent kernel across time steps): gemm() with a PackedB
// skips packing B. It holds a copy: later changes to the source are not seen. Tied to one ISA.
class PackedB {
 public:
  // B(p, j) = b[p * row_stride + j * col_stride], k x n.
  PackedB(const float* b, int64_t row_stride, int64_t col_stride, int64_t k, int64_t n, CpuIsa isa);
  PackedB(const PackedB&) = delete;
  PackedB& operator=(const PackedB&) = delete;
  ~PackedB();

  int64_t k() const { return k_; }
  int64_t n() const { return n_; }
  CpuIsa isa() const { return isa_; }
  const float* data() const { return data_; }

 private:
  int64_t k_, n_;
  CpuIsa isa_;
  float* data_;
};

// Runs on the active ISA with `num_threads` OpenMP threads (<= 0: get_num_threads()).
// Arguments are trusted: op entry points validate them.
void gemm(const GemmArgs& args, int num_threads = 0);
// Same, on a given ISA (tests and benchmarks force each path).
void gemm(const GemmArgs& args, int num_threads, CpuIsa isa);
// Same with B prepacked (args.b and its strides are ignored; args.k and args.n must match b), on b's ISA.
void gemm(const GemmArgs& args, const PackedB& b, int num_threads = 0);
}  // namespace cpu

}  // namespace ironnet
