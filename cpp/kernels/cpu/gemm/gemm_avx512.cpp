// AVX-512 GEMM: a 14 x 32 microkernel (28 zmm accumulators, two B vectors, A broadcast from memory),
// 2 FMAs per broadcast. Compiled with -mavx512f and friends; called only when CPUID says so.
#include <immintrin.h>

#include "kernels/cpu/gemm/blocked.h"

namespace ironnet::cpu::gemm_detail {
namespace {

struct Avx512Micro {
  static constexpr int MR = 14, NR = 32;
  // B panel KC x NR = 40 KiB sits in L1 (48 KiB); A block MC x KC = 420 KiB in L2; B block in L3.
  // KC = 320 measured best of 256/320/384 (bench/native/gemm_bench).
  static constexpr int64_t KC = 320, MC = MR * 24, NC = 4096, AS = KC + 16;

  template <int ROWS>
  static void tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, float beta,
                   int cols) {
    __m512 lo[ROWS], hi[ROWS];
#pragma GCC unroll 14
    for (int i = 0; i < ROWS; ++i) lo[i] = hi[i] = _mm512_setzero_ps();
    for (int64_t p = 0; p < kc; ++p) {
      const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 14
      for (int i = 0; i < ROWS; ++i) {
        const __m512 ai = _mm512_set1_ps(a[i * AS]);
        lo[i] = _mm512_fmadd_ps(ai, b0, lo[i]);
        hi[i] = _mm512_fmadd_ps(ai, b1, hi[i]);
      }
      a += 1;
      b += NR;
    }
    // Columns past `cols` are masked off: the right-edge tile stores straight into C.
    const __mmask16 m0 = cols >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << cols) - 1);
    const __mmask16 m1 = cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : static_cast<__mmask16>((1u << (cols - 16)) - 1);
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 14
    for (int i = 0; i < ROWS; ++i) {
      float* row = c + i * ldc;
      __m512 r0 = _mm512_mul_ps(va, lo[i]), r1 = _mm512_mul_ps(va, hi[i]);
      if (beta != 0.0f) {
        r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, row), r0);
        r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, row + 16), r1);
      }
      _mm512_mask_storeu_ps(row, m0, r0);
      _mm512_mask_storeu_ps(row + 16, m1, r1);
    }
  }
};

}  // namespace

const GemmKernel& avx512_kernel() {
  static const GemmKernel kernel = make_kernel<Avx512Micro>(CpuIsa::Avx512);
  return kernel;
}

}  // namespace ironnet::cpu::gemm_detail
