// The BLIS-style blocked GEMM shared by every ISA, around one register-blocked microkernel.
//
//   for jc over N in NC columns:            B block (KC x NC) packed once, reused by all of M
//     for pc over K in equal steps <= KC:
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

// B packed ahead of time (cpu::PackedB) for this kernel: K block kb's panels start at
// data + kb * block_stride and run over all of N, panel by panel. A null data means "pack B here".
struct PrepackedB {
  const float* data = nullptr;
  int64_t block_stride = 0;
  int64_t first_panel = 0;  // panel holding column 0 of this thread's share of C
};

// One ISA's GEMM as the threaded driver sees it.
struct GemmKernel {
  CpuIsa isa;
  int mr, nr;
  int64_t kc, mc, nc;
  int64_t a_stride;  // floats between rows of a packed A panel (Micro::AS)
  // Serial GEMM of one thread's part of C. a_pack holds round_up(mc, mr) * a_stride floats,
  // b_pack round_up(nc, nr) / nr * b_panel_stride(nr, kc) (unused when B is prepacked).
  void (*run)(const GemmArgs& args, float* a_pack, float* b_pack, const PrepackedB& prepacked);
  // Packs all of B (k x n, strided) into `out`: ceil(k / kc) blocks of packed_b_block_floats each.
  void (*pack_b_all)(const float* b, int64_t rs, int64_t cs, int64_t k, int64_t n, float* out);
};

const GemmKernel& portable_kernel();
#if defined(IRONNET_HAVE_X86_KERNELS)
const GemmKernel& avx2_kernel();
const GemmKernel& avx512_kernel();
#endif

inline int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

// K is cut into equal blocks of at most kc_max (288 = 2 x 144, not 256 + 32): a thin last block
// would cost a full extra pass over C for little work.
inline int64_t k_block_step(int64_t k, int64_t kc_max) {
  const int64_t blocks = (k + kc_max - 1) / kc_max;
  return blocks ? (k + blocks - 1) / blocks : 0;
}

// Floats between consecutive packed B panels: one cache line more than the panel, so panels whose
// size is a multiple of 4 KiB do not all map to the same L1 set while B is packed row by row.
inline int64_t b_panel_stride(int nr, int64_t kc) { return nr * kc + 16; }

// Rows past mc in the last A panel are zero (row i of a packed A starts at i * AS: see pack_a).
template <class Micro>
void zero_rows_past(int64_t mc, int64_t kc, float* out) {
  for (int64_t i = mc; i % Micro::MR != 0; ++i)
    for (int64_t p = 0; p < kc; ++p) out[i * Micro::AS + p] = 0.0f;
}

// Packs A[0:mc, 0:kc] (strided) into MR-row panels. Within a panel each row is contiguous in p and
// rows sit Micro::AS floats apart, a compile-time stride, so the microkernel reaches row i at a
// constant displacement and packing a row-major A is a plain copy per row. Rows past mc are zero so
// the microkernel never needs an edge case. AS is a multiple of 16 floats plus one cache line, so the
// MR rows do not all fall into the same few L1 sets.
template <class Micro>
void pack_a(const float* a, int64_t rs, int64_t cs, int64_t mc, int64_t kc, float* out) {
  // Panel i / MR starts at (i / MR) * MR * AS and its row i % MR sits (i % MR) * AS further: row i
  // of the packed A is simply at i * AS (no division per element).
  constexpr int64_t AS = Micro::AS;
  if (cs != 1 && rs == 1) {
    // Transposed A: walk its memory rows (fixed p) in order so reads stay sequential.
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = a + p * cs;
      for (int64_t i = 0; i < mc; ++i) out[i * AS + p] = src[i];
    }
  } else {
    for (int64_t i = 0; i < mc; ++i) {
      float* dst = out + i * AS;
      const float* src = a + i * rs;
      for (int64_t p = 0; p < kc; ++p) dst[p] = src[p * cs];
    }
  }
  zero_rows_past<Micro>(mc, kc, out);
}

// Packs B[0:kc, 0:nc] (strided) into NR-wide panels: panel q holds, for each p, columns
// q*NR..q*NR+NR-1 contiguously; columns past nc are zero. Source memory is read in order (row by row
// for a row-major B, column by column for a transposed one): its rows can be far apart, and only
// sequential reads let the hardware prefetcher stream B from DRAM.
constexpr int64_t kPrefetchRows = 4;

// One contiguous row of B (nc floats at src) into its place in every panel (dst: row p of panel 0);
// `ahead` is prefetched alongside.
template <class Micro>
void pack_b_row(const float* src, const float* ahead, int64_t nc, int64_t panel, float* dst) {
  constexpr int NR = Micro::NR;
  int64_t j = 0;
  for (; j + NR <= nc; j += NR, dst += panel) {
    for (int x = 0; x < NR; x += 16) __builtin_prefetch(ahead + j + x);
    for (int x = 0; x < NR; ++x) dst[x] = src[j + x];
  }
  if (j < nc)
    for (int x = 0; x < NR; ++x) dst[x] = j + x < nc ? src[j + x] : 0.0f;
}

template <class Micro>
void pack_b(const float* b, int64_t rs, int64_t cs, int64_t kc, int64_t nc, float* out) {
  constexpr int NR = Micro::NR;
  const int64_t panel = b_panel_stride(NR, kc);
  if (cs == 1) {
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = b + p * rs;
      // Rows far apart start on pages the hardware prefetcher has not reached: fetch a few rows ahead.
      const float* ahead = src + (p + kPrefetchRows < kc ? kPrefetchRows * rs : 0);
      pack_b_row<Micro>(src, ahead, nc, panel, out + p * NR);
    }
  } else {
    for (int64_t j = 0; j < round_up(nc, NR); ++j) {
      float* dst = out + (j / NR) * panel + j % NR;
      const float* src = b + j * cs;
      for (int64_t p = 0; p < kc; ++p) dst[p * NR] = j < nc ? src[p * rs] : 0.0f;
    }
  }
}

// Packs rows [row0, row0 + kc) x columns [col0, col0 + nc) of a B that comes from a RowSource: a few
// rows at a time into a small row-major staging buffer that stays in L1, then into the panels.
template <class Micro>
void pack_b_from_source(const RowSource& source, int64_t row0, int64_t col0, int64_t kc, int64_t nc, float* out) {
  constexpr int64_t kStageFloats = 4096;  // 16 KiB, at least one row: nc <= NC <= 4096
  static_assert(Micro::NC <= kStageFloats, "a staged row must fit");
  float stage[kStageFloats];
  const int64_t panel = b_panel_stride(Micro::NR, kc), rows = kStageFloats / nc;
  for (int64_t p0 = 0; p0 < kc; p0 += rows) {
    const int64_t count = std::min(rows, kc - p0);
    source.copy_rows(row0 + p0, count, col0, nc, stage, nc);
    for (int64_t p = 0; p < count; ++p)
      pack_b_row<Micro>(stage + p * nc, stage + p * nc, nc, panel, out + (p0 + p) * Micro::NR);
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
void gemm_blocked(const GemmArgs& g, float* a_pack, float* b_pack, const PrepackedB& prepacked) {
  constexpr int MR = Micro::MR, NR = Micro::NR;
  static constexpr std::array<TileFn, MR> tiles = tile_table<Micro>(std::make_integer_sequence<int, MR>{});
  for (int64_t jc = 0; jc < g.n; jc += Micro::NC) {
    const int64_t nc = std::min<int64_t>(Micro::NC, g.n - jc);
    const int64_t k_step = k_block_step(g.k, Micro::KC);
    for (int64_t pc = 0; pc < g.k; pc += k_step) {
      const int64_t kc = std::min<int64_t>(k_step, g.k - pc);
      const float beta = pc == 0 ? g.beta : 1.0f;  // later K blocks accumulate onto the first
      const float* b_block = b_pack;
      if (prepacked.data)
        b_block = prepacked.data + (pc / k_step) * prepacked.block_stride +
                  (prepacked.first_panel + jc / NR) * b_panel_stride(NR, kc);
      else if (g.b_source)
        pack_b_from_source<Micro>(*g.b_source, g.b_source_row0 + pc, g.b_source_col0 + jc, kc, nc, b_pack);
      else
        pack_b<Micro>(g.b + pc * g.b_row_stride + jc * g.b_col_stride, g.b_row_stride, g.b_col_stride, kc, nc,
                      b_pack);
      for (int64_t ic = 0; ic < g.m; ic += Micro::MC) {
        const int64_t mc = std::min<int64_t>(Micro::MC, g.m - ic);
        if (g.a_source) {
          g.a_source->copy_rows(g.a_source_row0 + ic, mc, pc, kc, a_pack, Micro::AS);
          zero_rows_past<Micro>(mc, kc, a_pack);
        } else {
          pack_a<Micro>(g.a + ic * g.a_row_stride + pc * g.a_col_stride, g.a_row_stride, g.a_col_stride, mc, kc,
                        a_pack);
        }
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int64_t cols = std::min<int64_t>(NR, nc - jr);
          const float* bp = b_block + (jr / NR) * b_panel_stride(NR, kc);
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

// Floats one K block of a fully packed k x n B takes (every block sized for the full step).
inline int64_t packed_b_block_floats(int nr, int64_t k, int64_t kc_max, int64_t n) {
  return (n + nr - 1) / nr * b_panel_stride(nr, k_block_step(k, kc_max));
}

template <class Micro>
void pack_b_all(const float* b, int64_t rs, int64_t cs, int64_t k, int64_t n, float* out) {
  const int64_t k_step = k_block_step(k, Micro::KC);
  const int64_t block = packed_b_block_floats(Micro::NR, k, Micro::KC, n);
  for (int64_t pc = 0; pc < k; pc += k_step, out += block)
    pack_b<Micro>(b + pc * rs, rs, cs, std::min<int64_t>(k_step, k - pc), n, out);
}

template <class Micro>
GemmKernel make_kernel(CpuIsa isa) {
  return GemmKernel{isa,      Micro::MR, Micro::NR, Micro::KC, Micro::MC, Micro::NC, Micro::AS, &gemm_blocked<Micro>,
                    &pack_b_all<Micro>};
}

}  // namespace ironnet::cpu::gemm_detail
