// The BLIS-style blocked GEMM shared by every ISA, around one register-blocked microkernel.
//
//   for jc over N in NC columns:            B block (KC x NC) packed once, reused by all of M
//     for pc over K in KC steps:
//       pack B[pc:pc+kc, jc:jc+nc] into NR-wide panels
//       for ic over M in MC rows:           A block (MC x KC) packed into MR-tall panels, kept in L2
//         pack A[ic:ic+mc, pc:pc+kc]
//         for jr over the B panels:         one KC x NR panel, kept in L1
//           for ir over the A panels:       microkernel: MR x NR tile of C in registers
//
// Instantiate these templates only with a Micro type declared in an anonymous namespace: each ISA's
// copy then has internal linkage, so the linker can never hand AVX-512 code to the portable path.
#pragma once
#include <algorithm>
#include <cstdint>

#include "ironnet/gemm.h"

namespace ironnet::cpu::gemm_detail {

// One ISA's GEMM as the threaded driver sees it.
struct GemmKernel {
  CpuIsa isa;
  int mr, nr;
  int64_t kc, mc, nc;
  // Serial GEMM of one thread's part of C. a_pack holds mc*kc floats, b_pack kc*round_up(nc, nr).
  void (*run)(const GemmArgs& args, float* a_pack, float* b_pack);
};

const GemmKernel& portable_kernel();
#if defined(IRONNET_HAVE_X86_KERNELS)
const GemmKernel& avx2_kernel();
const GemmKernel& avx512_kernel();
#endif

inline int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

// Packs A[0:mc, 0:kc] (strided) into MR-tall panels: panel r holds, for each p, rows r*MR..r*MR+MR-1
// contiguously. Rows past mc are zero so the microkernel never needs an edge case.
template <class Micro>
void pack_a(const float* a, int64_t rs, int64_t cs, int64_t mc, int64_t kc, float* out) {
  constexpr int MR = Micro::MR;
  for (int64_t ir = 0; ir < mc; ir += MR, out += MR * kc) {
    const int64_t rows = std::min<int64_t>(MR, mc - ir);
    const float* src = a + ir * rs;
    if (rows == MR && cs == 1) {
      for (int64_t p = 0; p < kc; ++p)
        for (int i = 0; i < MR; ++i) out[p * MR + i] = src[i * rs + p];
    } else if (rows == MR && rs == 1) {
      for (int64_t p = 0; p < kc; ++p)
        for (int i = 0; i < MR; ++i) out[p * MR + i] = src[p * cs + i];
    } else {
      for (int64_t p = 0; p < kc; ++p)
        for (int i = 0; i < MR; ++i) out[p * MR + i] = i < rows ? src[i * rs + p * cs] : 0.0f;
    }
  }
}

// Packs B[0:kc, 0:nc] (strided) into NR-wide panels: panel q holds, for each p, columns
// q*NR..q*NR+NR-1 contiguously; columns past nc are zero.
template <class Micro>
void pack_b(const float* b, int64_t rs, int64_t cs, int64_t kc, int64_t nc, float* out) {
  constexpr int NR = Micro::NR;
  for (int64_t jr = 0; jr < nc; jr += NR, out += NR * kc) {
    const int64_t cols = std::min<int64_t>(NR, nc - jr);
    const float* src = b + jr * cs;
    if (cols == NR && cs == 1) {
      for (int64_t p = 0; p < kc; ++p)
        for (int j = 0; j < NR; ++j) out[p * NR + j] = src[p * rs + j];
    } else if (cols == NR && rs == 1) {
      for (int j = 0; j < NR; ++j)
        for (int64_t p = 0; p < kc; ++p) out[p * NR + j] = src[j * cs + p];
    } else {
      for (int64_t p = 0; p < kc; ++p)
        for (int j = 0; j < NR; ++j) out[p * NR + j] = j < cols ? src[p * rs + j * cs] : 0.0f;
    }
  }
}

// C[0:rows, 0:cols] = alpha * tile + beta * C, for the partial tiles at the right and bottom edges.
template <class Micro>
void merge_edge(const float* tile, int64_t rows, int64_t cols, float* c, int64_t ldc, float alpha, float beta) {
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      const float v = alpha * tile[i * Micro::NR + j];
      c[i * ldc + j] = beta == 0.0f ? v : v + beta * c[i * ldc + j];
    }
}

template <class Micro>
void gemm_blocked(const GemmArgs& g, float* a_pack, float* b_pack) {
  constexpr int MR = Micro::MR, NR = Micro::NR;
  alignas(64) float edge[MR * NR];
  for (int64_t jc = 0; jc < g.n; jc += Micro::NC) {
    const int64_t nc = std::min<int64_t>(Micro::NC, g.n - jc);
    for (int64_t pc = 0; pc < g.k; pc += Micro::KC) {
      const int64_t kc = std::min<int64_t>(Micro::KC, g.k - pc);
      const float beta = pc == 0 ? g.beta : 1.0f;  // later K blocks accumulate onto the first
      pack_b<Micro>(g.b + pc * g.b_row_stride + jc * g.b_col_stride, g.b_row_stride, g.b_col_stride, kc, nc,
                    b_pack);
      for (int64_t ic = 0; ic < g.m; ic += Micro::MC) {
        const int64_t mc = std::min<int64_t>(Micro::MC, g.m - ic);
        pack_a<Micro>(g.a + ic * g.a_row_stride + pc * g.a_col_stride, g.a_row_stride, g.a_col_stride, mc, kc,
                      a_pack);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int64_t cols = std::min<int64_t>(NR, nc - jr);
          const float* bp = b_pack + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int64_t rows = std::min<int64_t>(MR, mc - ir);
            const float* ap = a_pack + ir * kc;
            float* c = g.c + (ic + ir) * g.ldc + jc + jr;
            if (rows == MR && cols == NR) {
              Micro::tile(kc, ap, bp, c, g.ldc, g.alpha, beta);
            } else {
              Micro::tile(kc, ap, bp, edge, NR, 1.0f, 0.0f);
              merge_edge<Micro>(edge, rows, cols, c, g.ldc, g.alpha, beta);
            }
          }
        }
      }
    }
  }
}

template <class Micro>
GemmKernel make_kernel(CpuIsa isa) {
  return GemmKernel{isa, Micro::MR, Micro::NR, Micro::KC, Micro::MC, Micro::NC, &gemm_blocked<Micro>};
}

}  // namespace ironnet::cpu::gemm_detail
