// AVX2+FMA GEMM: a 6 x 16 microkernel (12 ymm accumulators, two B vectors, one A broadcast).
// Compiled with -mavx2 -mfma; called only when CPUID says so.
#include <immintrin.h>

#include "kernels/cpu/gemm/blocked.h"

namespace ironnet::cpu::gemm_detail {
namespace {

struct Avx2Micro {
  static constexpr int MR = 6, NR = 16;
  // B panel KC x NR = 16 KiB in L1; A block MC x KC = 192 KiB in L2.
  static constexpr int64_t KC = 256, MC = MR * 32, NC = 4096;

  static void tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, float beta) {
    __m256 lo[MR], hi[MR];
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) lo[i] = hi[i] = _mm256_setzero_ps();
    for (int64_t p = 0; p < kc; ++p) {
      const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
      for (int i = 0; i < MR; ++i) {
        const __m256 ai = _mm256_broadcast_ss(a + i);
        lo[i] = _mm256_fmadd_ps(ai, b0, lo[i]);
        hi[i] = _mm256_fmadd_ps(ai, b1, hi[i]);
      }
      a += MR;
      b += NR;
    }
    const __m256 va = _mm256_set1_ps(alpha);
    if (beta == 0.0f) {
#pragma GCC unroll 6
      for (int i = 0; i < MR; ++i) {
        _mm256_storeu_ps(c + i * ldc, _mm256_mul_ps(va, lo[i]));
        _mm256_storeu_ps(c + i * ldc + 8, _mm256_mul_ps(va, hi[i]));
      }
    } else {
      const __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 6
      for (int i = 0; i < MR; ++i) {
        float* row = c + i * ldc;
        _mm256_storeu_ps(row, _mm256_fmadd_ps(vb, _mm256_loadu_ps(row), _mm256_mul_ps(va, lo[i])));
        _mm256_storeu_ps(row + 8, _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8), _mm256_mul_ps(va, hi[i])));
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
