// AVX2+FMA GEMM: a 6 x 16 microkernel (12 ymm accumulators, two B vectors, one A broadcast).
// Compiled with -mavx2 -mfma; called only when CPUID says so.
#include <immintrin.h>

#include "kernels/cpu/gemm/blocked.h"

namespace ironnet::cpu::gemm_detail {
namespace {

struct Avx2Micro {
  static constexpr int MR = 6, NR = 16;
  // B panel KC x NR = 16 KiB in L1; A block MC x KC = 192 KiB in L2.
  static constexpr int64_t KC = 256, MC = MR * 32, NC = 4096, AS = KC + 16;

  // Lane j of the mask is set when column offset + j < cols (AVX2 masks are sign bits).
  static __m256i column_mask(int offset, int cols) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(cols - offset), lanes);
  }

  template <int ROWS>
  static void tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, float beta,
                   int cols) {
    __m256 lo[ROWS], hi[ROWS];
#pragma GCC unroll 6
    for (int i = 0; i < ROWS; ++i) lo[i] = hi[i] = _mm256_setzero_ps();
    for (int64_t p = 0; p < kc; ++p) {
      const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
      for (int i = 0; i < ROWS; ++i) {
        const __m256 ai = _mm256_broadcast_ss(a + i * AS);
        lo[i] = _mm256_fmadd_ps(ai, b0, lo[i]);
        hi[i] = _mm256_fmadd_ps(ai, b1, hi[i]);
      }
      a += 1;
      b += NR;
    }
    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    const bool full = cols == NR;
    const __m256i m0 = column_mask(0, cols), m1 = column_mask(8, cols);
#pragma GCC unroll 6
    for (int i = 0; i < ROWS; ++i) {
      float* row = c + i * ldc;
      __m256 r0 = _mm256_mul_ps(va, lo[i]), r1 = _mm256_mul_ps(va, hi[i]);
      if (full) {
        if (beta != 0.0f) {
          r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row), r0);
          r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8), r1);
        }
        _mm256_storeu_ps(row, r0);
        _mm256_storeu_ps(row + 8, r1);
      } else {  // right edge: masked loads and stores never touch columns past `cols`
        if (beta != 0.0f) {
          r0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(row, m0), r0);
          r1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(row + 8, m1), r1);
        }
        _mm256_maskstore_ps(row, m0, r0);
        _mm256_maskstore_ps(row + 8, m1, r1);
      }
    }
  }
};

}  // namespace

const GemmKernel& avx2_kernel() {
  static const GemmKernel kernel = make_kernel<Avx2Micro>(CpuIsa::Avx2);
  return kernel;
}

}  // namespace ironnet::cpu::gemm_detail
