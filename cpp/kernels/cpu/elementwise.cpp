// Elementwise kernels: memory-bound loops the compiler vectorizes (OpenMP simd), split over threads
// only when the array is large enough that the fork costs less than the bandwidth it adds.
#include "ironnet/elementwise.h"

#include <omp.h>

#include <vector>

#include "kernels/cpu/threads.h"

namespace ironnet::cpu {
namespace {
struct Add { static float apply(float x, float y) { return x + y; } };
struct Sub { static float apply(float x, float y) { return x - y; } };
struct Mul { static float apply(float x, float y) { return x * y; } };
struct Div { static float apply(float x, float y) { return x / y; } };

// One row: out[j] = a[j * sa] (op) b[j * sb] for j < n, with the unit/zero strides specialized so
// the compiler emits plain vector loads (or a broadcast register) instead of gathers.
template <class F>
void row(int64_t n, const float* a, int64_t sa, const float* b, int64_t sb, float* out) {
  if (sa == 1 && sb == 1) {
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) out[j] = F::apply(a[j], b[j]);
  } else if (sa == 1 && sb == 0) {
    const float y = *b;
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) out[j] = F::apply(a[j], y);
  } else if (sa == 0 && sb == 1) {
    const float x = *a;
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) out[j] = F::apply(x, b[j]);
  } else {
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) out[j] = F::apply(a[j * sa], b[j * sb]);
  }
}

template <class F>
void binary_typed(int rank, const int64_t* sizes, const float* a, const int64_t* sa, const float* b,
                  const int64_t* sb, float* out, int num_threads) {
  const int64_t inner = sizes[rank - 1];
  const int64_t ia = sa[rank - 1], ib = sb[rank - 1];
  int64_t rows = 1;
  for (int d = 0; d + 1 < rank; ++d) rows *= sizes[d];
  const int threads = threads_for(rows * inner, num_threads);

  if (rank == 1) {
    // Same-shape contiguous operands (or one scalar operand): split the one loop into blocks.
#pragma omp parallel num_threads(threads)
    {
      int64_t begin, end;
      block_of(inner, omp_get_thread_num(), omp_get_num_threads(), begin, end);
      row<F>(end - begin, a + begin * ia, ia, b + begin * ib, ib, out + begin);
    }
    return;
  }
  if (rank == 2) {
    // Row broadcast ((N, C) + (C,): sb[0] == 0) and every other two-loop layout.
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t r = 0; r < rows; ++r) row<F>(inner, a + r * sa[0], ia, b + r * sb[0], ib, out + r * inner);
    return;
  }
  // General N-d: each thread walks its block of rows with an odometer over the outer dimensions.
#pragma omp parallel num_threads(threads)
  {
    int64_t begin, end;
    block_of(rows, omp_get_thread_num(), omp_get_num_threads(), begin, end);
    if (begin < end) {
      const int outer = rank - 1;
      std::vector<int64_t> idx(static_cast<size_t>(outer));
      int64_t oa = 0, ob = 0, rest = begin;
      for (int d = outer - 1; d >= 0; --d) {
        idx[d] = rest % sizes[d];
        rest /= sizes[d];
        oa += idx[d] * sa[d];
        ob += idx[d] * sb[d];
      }
      for (int64_t r = begin; r < end; ++r) {
        row<F>(inner, a + oa, ia, b + ob, ib, out + r * inner);
        for (int d = outer - 1; d >= 0; --d) {
          oa += sa[d];
          ob += sb[d];
          if (++idx[d] < sizes[d]) break;
          oa -= sizes[d] * sa[d];
          ob -= sizes[d] * sb[d];
          idx[d] = 0;
        }
      }
    }
  }
}
}  // namespace

void axpy(int64_t n, float alpha, const float* x, float* y, int num_threads) {
#pragma omp parallel for simd num_threads(threads_for(n, num_threads)) schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

void binary(BinaryOp op, int rank, const int64_t* sizes, const float* a, const int64_t* a_strides,
            const float* b, const int64_t* b_strides, float* out, int num_threads) {
  switch (op) {
    case BinaryOp::Add: return binary_typed<Add>(rank, sizes, a, a_strides, b, b_strides, out, num_threads);
    case BinaryOp::Sub: return binary_typed<Sub>(rank, sizes, a, a_strides, b, b_strides, out, num_threads);
    case BinaryOp::Mul: return binary_typed<Mul>(rank, sizes, a, a_strides, b, b_strides, out, num_threads);
    case BinaryOp::Div: return binary_typed<Div>(rank, sizes, a, a_strides, b, b_strides, out, num_threads);
  }
}

}  // namespace ironnet::cpu
