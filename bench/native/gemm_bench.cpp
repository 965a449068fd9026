// Native GEMM benchmark: validates each ISA path against a double-precision reference, then times
// it (warm-up, median of repeats) and prints GFLOP/s and the fraction of the FMA peak.
//
//   gemm_bench [--threads N] [--isa avx512|avx2|portable] [--cpu-time] [M N K]...
//
// --cpu-time measures the calling thread's CPU time instead of wall time: with one thread it keeps
// the figure honest on a machine busy with other work (time spent descheduled is not counted).
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "ironnet/cpu_features.h"
#include "ironnet/fma_peak.h"
#include "ironnet/gemm.h"

namespace {

using ironnet::CpuIsa;
using ironnet::GemmArgs;

double now_seconds(bool cpu_time) {
  if (cpu_time) {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Max |C - ref| / (sqrt(K) * max|ref|) over a sample of entries: float32 error grows like sqrt(K).
double check(const std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& c, int64_t m,
             int64_t n, int64_t k) {
  double worst = 0, scale = 1e-30;
  std::mt19937 gen(7);
  for (int s = 0; s < 256; ++s) {
    const int64_t i = gen() % m, j = gen() % n;
    double ref = 0;
    for (int64_t p = 0; p < k; ++p) ref += static_cast<double>(a[i * k + p]) * b[p * n + j];
    worst = std::max(worst, std::fabs(ref - c[i * n + j]));
    scale = std::max(scale, std::fabs(ref));
  }
  return worst / (scale * std::sqrt(static_cast<double>(k)));
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  bool cpu_time = false;
  CpuIsa isa = ironnet::best_supported_isa();
  std::vector<std::array<int64_t, 3>> shapes;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--isa") && i + 1 < argc) {
      isa = ironnet::parse_isa(argv[++i]);
    } else if (!std::strcmp(argv[i], "--cpu-time")) {
      cpu_time = true;
    } else if (i + 2 < argc) {
      shapes.push_back({std::atoll(argv[i]), std::atoll(argv[i + 1]), std::atoll(argv[i + 2])});
      i += 2;
    }
  }
  if (shapes.empty())
    for (int64_t s : {64, 128, 256, 512, 1024, 2048}) shapes.push_back({s, s, s});
  // Peak: the FMA throughput measured on this machine at this thread count and ISA (not a datasheet
  // figure: Zen 4, for one, runs 512-bit FMAs at half rate).
  const double peak = ironnet::measure_fma_peak(threads, isa);
  std::printf("isa=%s threads=%d timer=%s fma_peak=%.1f GFLOP/s\n", ironnet::isa_name(isa), threads,
              cpu_time ? "thread-cpu" : "wall", peak);
  std::printf("%6s %6s %6s %10s %8s %8s %10s\n", "M", "N", "K", "GFLOP/s", "peak%", "err", "median_us");

  std::mt19937 gen(1);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  for (const auto& shape : shapes) {
    const int64_t m = shape[0], n = shape[1], k = shape[2];
    std::vector<float> a(m * k), b(k * n), c(m * n);
    for (float& x : a) x = dist(gen);
    for (float& x : b) x = dist(gen);
    GemmArgs g;
    g.m = m, g.n = n, g.k = k;
    g.a = a.data(), g.a_row_stride = k, g.a_col_stride = 1;
    g.b = b.data(), g.b_row_stride = n, g.b_col_stride = 1;
    g.c = c.data(), g.ldc = n;
    ironnet::cpu::gemm(g, threads, isa);
    const double err = check(a, b, c, m, n, k);
    if (err > 1e-5) {
      std::printf("%6ld %6ld %6ld  WRONG: relative error %.3g\n", long(m), long(n), long(k), err);
      return 1;
    }
    const double flops = 2.0 * m * n * k;
    // Repeat enough calls for ~20 ms a sample (calibrated on a batch of at least 2 ms), then take the
    // median of 9 samples.
    int calls = 1;
    double spent = 0;
    while (true) {
      const double t0 = now_seconds(false);
      for (int r = 0; r < calls; ++r) ironnet::cpu::gemm(g, threads, isa);
      spent = now_seconds(false) - t0;
      if (spent >= 2e-3 || calls >= (1 << 24)) break;
      calls *= 2;
    }
    calls = std::max(1, static_cast<int>(calls * 2e-2 / spent));
    std::vector<double> samples;
    for (int s = 0; s < 9; ++s) {
      const double t0 = now_seconds(cpu_time);
      for (int r = 0; r < calls; ++r) ironnet::cpu::gemm(g, threads, isa);
      samples.push_back((now_seconds(cpu_time) - t0) / calls);
    }
    std::sort(samples.begin(), samples.end());
    const double t = samples[samples.size() / 2];
    std::printf("%6ld %6ld %6ld %10.1f %7.1f%% %8.1e %10.3f\n", long(m), long(n), long(k), flops / t * 1e-9,
                100.0 * flops / t * 1e-9 / peak, err, t * 1e6);
  }
  return 0;
}
