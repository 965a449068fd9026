// Channels-last batch-norm passes (x as rows of C channels), register-blocked: included by
// batchnorm_kernels.h once per ISA, so the vector width below is the translation unit's own.
//
// Channels are taken in blocks of W vectors (W a compile-time 8, 4, 2 or 1), each block's running
// sums or coefficients held in registers while it walks a tile of rows: the plain per-channel loop
// kept its float partials in an L1 array, a load and a store per vector per row, and ran at half the
// speed of these loops on data in cache. Channels past the last whole vector (C % kLanes) go scalar.
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>
#if defined(__SSE__)
#include <immintrin.h>
#endif

namespace ironnet::cpu::batchnorm_detail {
namespace {

#if defined(__AVX512F__)
constexpr int kLanes = 16;
constexpr int kMaxBlock = 8;  // 32 registers: 3 W accumulators + W shifts fit at W = 8 (backward)
#elif defined(__AVX2__)
constexpr int kLanes = 8;
constexpr int kMaxBlock = 4;  // 16 registers
#else
constexpr int kLanes = 4;
constexpr int kMaxBlock = 4;
#endif

// One register of floats (GCC/Clang vector extension: +, -, * map to the ISA's instructions).
typedef float Vec __attribute__((vector_size(kLanes * sizeof(float))));

inline Vec load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);  // an unaligned vector load
  return v;
}
inline void store(float* p, Vec v) { std::memcpy(p, &v, sizeof v); }

#if defined(__SSE__)
constexpr bool kCanStream = true;
#else
constexpr bool kCanStream = false;
#endif
// A non-temporal store (p aligned to sizeof(Vec)): the line goes to memory without being read first
// or displacing cached data.
inline void stream(float* p, Vec v) {
#if defined(__AVX512F__)
  _mm512_stream_ps(p, v);
#elif defined(__AVX__)
  _mm256_stream_ps(p, v);
#elif defined(__SSE__)
  _mm_stream_ps(p, v);
#else
  store(p, v);
#endif
}
// Orders this thread's streamed stores before whatever it does next (another thread may read them).
inline void stream_fence() {
#if defined(__SSE__)
  _mm_sfence();
#endif
}

// Rows are summed kFlushRows at a time in float (short sums of shifted values: a few ulps off at
// most), then each tile's sums are added into the per-thread doubles.
constexpr int64_t kFlushRows = 32;

template <int W>
using Block = std::integral_constant<int, W>;

// fn(Block<W>{}, c0) for channel blocks [c0, c0 + W kLanes) covering the whole vectors of C:
// widest blocks first, then the binary decomposition of what is left (each a separate instance).
template <class Fn>
void for_each_block(int64_t C, Fn&& fn) {
  int64_t c = 0;
  for (; c + kMaxBlock * kLanes <= C; c += kMaxBlock * kLanes) fn(Block<kMaxBlock>{}, c);
  if constexpr (kMaxBlock > 4)
    if (c + 4 * kLanes <= C) fn(Block<4>{}, c), c += 4 * kLanes;
  if (c + 2 * kLanes <= C) fn(Block<2>{}, c), c += 2 * kLanes;
  if (c + kLanes <= C) fn(Block<1>{}, c);
}

// First channel the blocks leave to scalar code.
inline int64_t scalar_tail(int64_t C) { return C - C % kLanes; }

template <int W>
void add_to_doubles(const Vec (&acc)[W], double* out) {
  for (int j = 0; j < W; ++j)
    for (int l = 0; l < kLanes; ++l) out[j * kLanes + l] += acc[j][l];
}

// --- forward statistics: sum(x - p) and sum((x - p)^2) per channel, p a per-channel pivot ---------

template <int W>
void shifted_squares_block(const float* x, int64_t rows, int64_t C, const float* pivot, double* s1, double* s2) {
  Vec p[W], a1[W], a2[W];
#pragma GCC unroll 8
  for (int j = 0; j < W; ++j) p[j] = load(pivot + j * kLanes), a1[j] = a2[j] = Vec{};
  for (int64_t r = 0; r < rows; ++r, x += C) {
#pragma GCC unroll 8
    for (int j = 0; j < W; ++j) {
      const Vec u = load(x + j * kLanes) - p[j];
      a1[j] += u;
      a2[j] += u * u;
    }
  }
  add_to_doubles<W>(a1, s1);
  add_to_doubles<W>(a2, s2);
}

// Rows [begin, end) of x (rows of C): s1[c] += sum(x - pivot[c]), s2[c] += sum((x - pivot[c])^2).
void shifted_square_sums_rows(const float* x, int64_t begin, int64_t end, int64_t C, const float* pivot, double* s1,
                              double* s2) {
  for (int64_t r0 = begin; r0 < end; r0 += kFlushRows) {
    const int64_t rows = std::min(kFlushRows, end - r0);
    const float* tile = x + r0 * C;
    for_each_block(C, [&](auto block, int64_t c0) {
      shifted_squares_block<decltype(block)::value>(tile + c0, rows, C, pivot + c0, s1 + c0, s2 + c0);
    });
    for (int64_t c = scalar_tail(C); c < C; ++c) {
      float a1 = 0.0f, a2 = 0.0f;
      for (int64_t r = 0; r < rows; ++r) {
        const float u = tile[r * C + c] - pivot[c];
        a1 += u;
        a2 += u * u;
      }
      s1[c] += a1;
      s2[c] += a2;
    }
  }
}

// --- backward statistics: sum(dy), sum(dy (x - m)) and (kSumXc) sum(x - m) per channel ---------------

template <int W, bool kSumXc>
void products_block(const float* dy, const float* x, int64_t rows, int64_t C, const float* mean, double* s_dy,
                    double* s_xc, double* s_prod) {
  Vec m[W], a_dy[W], a_xc[W], a_prod[W];
#pragma GCC unroll 8
  for (int j = 0; j < W; ++j) m[j] = load(mean + j * kLanes), a_dy[j] = a_xc[j] = a_prod[j] = Vec{};
  for (int64_t r = 0; r < rows; ++r, x += C, dy += C) {
#pragma GCC unroll 8
    for (int j = 0; j < W; ++j) {
      const Vec g = load(dy + j * kLanes), xc = load(x + j * kLanes) - m[j];
      a_dy[j] += g;
      if (kSumXc) a_xc[j] += xc;
      a_prod[j] += g * xc;
    }
  }
  add_to_doubles<W>(a_dy, s_dy);
  if (kSumXc) add_to_doubles<W>(a_xc, s_xc);
  add_to_doubles<W>(a_prod, s_prod);
}

template <bool kSumXc>
void product_sums_rows(const float* dy, const float* x, int64_t begin, int64_t end, int64_t C, const float* mean,
                       double* s_dy, double* s_xc, double* s_prod) {
  for (int64_t r0 = begin; r0 < end; r0 += kFlushRows) {
    const int64_t rows = std::min(kFlushRows, end - r0);
    const float *dy_tile = dy + r0 * C, *x_tile = x + r0 * C;
    for_each_block(C, [&](auto block, int64_t c0) {
      products_block<decltype(block)::value, kSumXc>(dy_tile + c0, x_tile + c0, rows, C, mean + c0, s_dy + c0,
                                                     s_xc + c0, s_prod + c0);
    });
    for (int64_t c = scalar_tail(C); c < C; ++c) {
      float a_dy = 0.0f, a_xc = 0.0f, a_prod = 0.0f;
      for (int64_t r = 0; r < rows; ++r) {
        const float g = dy_tile[r * C + c], xc = x_tile[r * C + c] - mean[c];
        a_dy += g;
        a_xc += xc;
        a_prod += g * xc;
      }
      s_dy[c] += a_dy;
      if (kSumXc) s_xc[c] += a_xc;
      s_prod[c] += a_prod;
    }
  }
}

// --- affine: out = (b - shift[c]) kb[c] + a ka[c] + k0[c] (kWithA = false drops the a term) ----------

// Per-channel coefficients of the affine pass (ka unused without kWithA).
struct AffineCoefficients {
  const float *shift, *kb, *ka, *k0;
};

template <int W, bool kWithA, bool kStream>
void affine_block(const float* b, const float* a, float* out, int64_t rows, int64_t C, AffineCoefficients k) {
  Vec shift[W], kb[W], ka[W], k0[W];
#pragma GCC unroll 8
  for (int j = 0; j < W; ++j) {
    shift[j] = load(k.shift + j * kLanes), kb[j] = load(k.kb + j * kLanes), k0[j] = load(k.k0 + j * kLanes);
    ka[j] = kWithA ? load(k.ka + j * kLanes) : Vec{};
  }
  // Backwards, as the whole pass: see affine_rows.
  for (int64_t r = rows - 1; r >= 0; --r) {
#pragma GCC unroll 8
    for (int j = 0; j < W; ++j) {
      const int64_t i = r * C + j * kLanes;
      Vec v = (load(b + i) - shift[j]) * kb[j];
      if (kWithA) v += load(a + i) * ka[j];
      if (kStream)
        stream(out + i, v + k0[j]);
      else
        store(out + i, v + k0[j]);
    }
  }
}

// Rows [begin, end), walked backwards: the affine pass follows a sums pass over the same rows, and
// the rows that pass read last are the ones still in cache.
template <bool kWithA, bool kStream>
void affine_rows_as(const float* b, const float* a, float* out, int64_t begin, int64_t end, int64_t C,
                    AffineCoefficients k) {
  for (int64_t r1 = end; r1 > begin; r1 -= kFlushRows) {
    const int64_t r0 = std::max(begin, r1 - kFlushRows), rows = r1 - r0;
    const int64_t base = r0 * C;
    for_each_block(C, [&](auto block, int64_t c0) {
      const AffineCoefficients kc{k.shift + c0, k.kb + c0, kWithA ? k.ka + c0 : nullptr, k.k0 + c0};
      affine_block<decltype(block)::value, kWithA, kStream>(b + base + c0, kWithA ? a + base + c0 : nullptr,
                                                   out + base + c0, rows, C, kc);
    });
    for (int64_t r = rows - 1; r >= 0; --r)
      for (int64_t c = scalar_tail(C); c < C; ++c) {
        const int64_t i = base + r * C + c;
        out[i] = (b[i] - k.shift[c]) * k.kb[c] + (kWithA ? a[i] * k.ka[c] : 0.0f) + k.k0[c];
      }
  }
}

// Outputs of at least this many bytes are streamed (when every vector store is aligned): the pass's
// inputs and output then outgrow a 32 MiB L3, normal stores would read each output line from memory
// first and push out the inputs the pass re-reads. Measured (1 thread, 28x28x64 rows, Zen 5): at N =
// 64 (12.8 MB) forward 0.55 -> 0.48 ms, backward 1.10 -> 0.97; at N = 128 1.47 -> 1.25, 3.28 -> 2.49;
// at N = 32 (6.4 MB, all of it fits in L3) mixed, forward 0.17 -> 0.23: below this, the output stays
// cached for whatever reads it next.
constexpr int64_t kStreamMinBytes = int64_t{8} << 20;

template <bool kWithA>
void affine_rows(const float* b, const float* a, float* out, int64_t begin, int64_t end, int64_t C,
                 AffineCoefficients k, int64_t total_bytes) {
  const bool aligned = C % kLanes == 0 && reinterpret_cast<uintptr_t>(out) % sizeof(Vec) == 0;
  if (kCanStream && aligned && total_bytes >= kStreamMinBytes) {
    affine_rows_as<kWithA, true>(b, a, out, begin, end, C, k);
    stream_fence();
  } else {
    affine_rows_as<kWithA, false>(b, a, out, begin, end, C, k);
  }
}

}  // namespace
}  // namespace ironnet::cpu::batchnorm_detail
