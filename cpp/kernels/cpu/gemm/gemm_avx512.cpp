// AVX-512 GEMM: a 14 x 32 microkernel (28 zmm accumulators, two B vectors, A broadcast from memory),
// 2 FMAs per broadcast. Compiled with -mavx512f and friends; called only when CPUID says so.
#include <immintrin.h>

#include "kernels/cpu/gemm/blocked.h"

namespace ironnet::cpu::gemm_detail {
namespace {

struct Avx512Micro {
  static constexpr int MR = 14, NR = 32;
  // B panel KC x NR = 32 KiB sits in L1 (48 KiB); A block MC x KC = 336 KiB in L2; B block in L3.
  static constexpr int64_t KC = 256, MC = MR * 24, NC = 4096;

  static void tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, float beta) {
    __m512 lo[MR], hi[MR];
#pragma GCC unroll 14
    for (int i = 0; i < MR; ++i) lo[i] = hi[i] = _mm512_setzero_ps();
    for (int64_t p = 0; p < kc; ++p) {
      const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 14
      for (int i = 0; i < MR; ++i) {
        const __m512 ai = _mm512_set1_ps(a[i]);
        lo[i] = _mm512_fmadd_ps(ai, b0, lo[i]);
        hi[i] = _mm512_fmadd_ps(ai, b1, hi[i]);
      }
      a += MR;
      b += NR;
    }
    const __m512 va = _mm512_set1_ps(alpha);
    if (beta == 0.0f) {
#pragma GCC unroll 14
      for (int i = 0; i < MR; ++i) {
        _mm512_storeu_ps(c + i * ldc, _mm512_mul_ps(va, lo[i]));
        _mm512_storeu_ps(c + i * ldc + 16, _mm512_mul_ps(va, hi[i]));
      }
    } else {
      const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 14
      for (int i = 0; i < MR; ++i) {
        float* row = c + i * ldc;
        _mm512_storeu_ps(row, _mm512_fmadd_ps(vb, _mm512_loadu_ps(row), _mm512_mul_ps(va, lo[i])));
        _mm512_storeu_ps(row + 16, _mm512_fmadd_ps(vb, _mm512_loadu_ps(row + 16), _mm512_mul_ps(va, hi[i])));
      }
    }
  }
};

}  // namespace

const GemmKernel& avx512_kernel() {
  static const GemmKernel kernel = make_kernel<Avx512Micro>(CpuIsa::Avx512);
  return kernel;
}

}  // namespace ironnet::cpu::gemm_detail
