#include "ironnet/fma_peak.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "ironnet/errors.h"
#if defined(IRONNET_HAVE_X86_KERNELS)
#include <immintrin.h>
#endif

namespace ironnet {
namespace {

// Independent accumulators per thread: more than FMA latency x FMA pipes on current x86 cores (4 x 2),
// so the chains never wait on each other.
constexpr int kChains = 12;

float sum_of(const float* v, int n) {
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) sum += v[i];
  return sum;
}

// Each runs `rounds` rounds of kChains multiply-adds on its vectors and returns a value that depends
// on every chain, so the compiler cannot drop the work. acc = acc * 0.999999 + 1e-9 stays finite.
#if defined(IRONNET_HAVE_X86_KERNELS)
__attribute__((target("avx512f"))) float chains_avx512(int64_t rounds) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(static_cast<float>(c));
  const __m512 mul = _mm512_set1_ps(0.999999f), add = _mm512_set1_ps(1e-9f);
  for (int64_t r = 0; r < rounds; ++r)
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], mul, add);
  float lanes[16];
  for (int c = 1; c < kChains; ++c) acc[0] = _mm512_add_ps(acc[0], acc[c]);
  _mm512_storeu_ps(lanes, acc[0]);
  return sum_of(lanes, 16);
}

__attribute__((target("avx2,fma"))) float chains_avx2(int64_t rounds) {
  __m256 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(static_cast<float>(c));
  const __m256 mul = _mm256_set1_ps(0.999999f), add = _mm256_set1_ps(1e-9f);
  for (int64_t r = 0; r < rounds; ++r)
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], mul, add);
  float lanes[8];
  for (int c = 1; c < kChains; ++c) acc[0] = _mm256_add_ps(acc[0], acc[c]);
  _mm256_storeu_ps(lanes, acc[0]);
  return sum_of(lanes, 8);
}
#endif

constexpr int kPortableLanes = 8;

float chains_portable(int64_t rounds) {
  float acc[kChains][kPortableLanes];
  for (int c = 0; c < kChains; ++c)
    for (int l = 0; l < kPortableLanes; ++l) acc[c][l] = static_cast<float>(c);
  for (int64_t r = 0; r < rounds; ++r)
    for (int c = 0; c < kChains; ++c)
#pragma omp simd
      for (int l = 0; l < kPortableLanes; ++l) acc[c][l] = acc[c][l] * 0.999999f + 1e-9f;
  float sum = 0.0f;
  for (int c = 0; c < kChains; ++c) sum += sum_of(acc[c], kPortableLanes);
  return sum;
}

int lanes_of(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::Avx512: return 16;
    case CpuIsa::Avx2: return 8;
    case CpuIsa::Portable: return kPortableLanes;
  }
  return kPortableLanes;
}

float run_chains(CpuIsa isa, int64_t rounds) {
#if defined(IRONNET_HAVE_X86_KERNELS)
  if (isa == CpuIsa::Avx512) return chains_avx512(rounds);
  if (isa == CpuIsa::Avx2) return chains_avx2(rounds);
#endif
  return chains_portable(rounds);
}

// Seconds for `threads` threads to each run `rounds` rounds (thread start-up included, as in a kernel).
double time_rounds(int threads, CpuIsa isa, int64_t rounds) {
  volatile float sink = 0.0f;
  const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads)
  {
    const float v = run_chains(isa, rounds);
#pragma omp critical
    sink = sink + v;
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

double measure_fma_peak(int threads, CpuIsa isa, double seconds) {
  if (threads < 1) fail<ValueError>("measure_fma_peak: threads must be >= 1, got ", threads);
  if (!(seconds > 0.0)) fail<ValueError>("measure_fma_peak: seconds must be > 0, got ", seconds);
  if (!isa_supported(isa)) fail<ValueError>("measure_fma_peak: ISA ", isa_name(isa), " is not supported here");
  // Many short runs, the fastest kept: another process can only slow a run down, and on a busy
  // machine some ~1 ms runs still fall between its time slices (as a kernel's best timing does).
  constexpr double kRunSeconds = 1e-3;
  int64_t rounds = 1 << 8;
  while (time_rounds(threads, isa, rounds) < kRunSeconds && rounds < (int64_t{1} << 40)) rounds *= 2;
  double fastest = time_rounds(threads, isa, rounds), spent = fastest;
  while (spent < seconds) {
    const double t = time_rounds(threads, isa, rounds);
    fastest = std::min(fastest, t);
    spent += t;
  }
  const double flops_per_round = 2.0 * kChains * lanes_of(isa) * threads;
  return flops_per_round * static_cast<double>(rounds) / fastest * 1e-9;
}

}  // namespace ironnet
