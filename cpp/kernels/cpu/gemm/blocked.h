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
#include <array>
#include <cstdint>
#include <utility>

#include "ironnet/gemm.h"

namespace ironnet::cpu::gemm_detail {

// One ISA's GEMM as the threaded driver sees it.
struct GemmKernel {
  CpuIsa isa;
  int mr, nr;
  int64_t kc, mc, nc;
  int64_t a_stride;  // floats between rows of a packed A panel (Micro::AS)
  // Serial GEMM of one thread's part of C. a_pack holds round_up(mc, mr) * a_stride floats,
  // b_pack kc * round_up(nc, nr).
  void (*run)(const GemmArgs& args, float* a_pack, float* b_pack);
};

const GemmKernel& portable_kernel();
#if defined(IRONNET_HAVE_X86_KERNELS)
const GemmKernel& avx2_kernel();
const GemmKernel& avx512_kernel();
#endif

inline int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

// Packs A[0:mc, 0:kc] (strided) into MR-row panels. Within a panel each row is contiguous in p and
// rows sit Micro::AS floats apart, a compile-time stride, so the microkernel reaches row i at a
// constant displacement and packing a row-major A is a plain copy per row. Rows past mc are zero so
// the microkernel never needs an edge case. AS is a multiple of 16 floats plus one cache line, so the
// MR rows do not all fall into the same few L1 sets.
template <class Micro>
void pack_a(const float* a, int64_t rs, int64_t cs, int64_t mc, int64_t kc, float* out) {
  constexpr int MR = Micro::MR;
  constexpr int64_t AS = Micro::AS;
  for (int64_t ir = 0; ir < mc; ir += MR, out += MR * AS) {
    const int64_t rows = std::min<int64_t>(MR, mc - ir);
    const float* src = a + ir * rs;
    if (cs == 1) {
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t p = 0; p < kc; ++p) out[i * AS + p] = src[i * rs + p];
    } else {
      for (int64_t p = 0; p < kc; ++p)
        for (int64_t i = 0; i < rows; ++i) out[i * AS + p] = src[i * rs + p * cs];
    }
    for (int64_t i = rows; i < MR; ++i)
      for (int64_t p = 0; p < kc; ++p) out[i * AS + p] = 0.0f;
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

// A microkernel for a given number of rows (1..MR): C[0:rows, 0:cols] = alpha * Ap Bp + beta * C.
// Edge tiles run the variant with exactly their rows (no FMAs spent on padding) and store only
// `cols` columns; beta == 0 never reads C.
using TileFn = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                        float beta, int cols);

template <class Micro, int... R>
constexpr std::array<TileFn, sizeof...(R)> tile_table(std::integer_sequence<int, R...>) {
  return {&Micro::template tile<R + 1>...};
}

template <class Micro>
void gemm_blocked(const GemmArgs& g, float* a_pack, float* b_pack) {
  constexpr int MR = Micro::MR, NR = Micro::NR;
  static constexpr std::array<TileFn, MR> tiles = tile_table<Micro>(std::make_integer_sequence<int, MR>{});
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
            const float* ap = a_pack + ir * Micro::AS;
            float* c = g.c + (ic + ir) * g.ldc + jc + jr;
            tiles[rows - 1](kc, ap, bp, c, g.ldc, g.alpha, beta, static_cast<int>(cols));
          }
        }
      }
    }
  }
}

template <class Micro>
GemmKernel make_kernel(CpuIsa isa) {
  return GemmKernel{isa, Micro::MR, Micro::NR, Micro::KC, Micro::MC, Micro::NC, Micro::AS, &gemm_blocked<Micro>};
}

}  // namespace ironnet::cpu::gemm_detail
