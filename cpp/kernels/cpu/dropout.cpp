#include "ironnet/dropout.h"

#include <omp.h>

#include "ironnet/parallel.h"
#include "kernels/cpu/threads.h"

namespace ironnet::cpu {
namespace {

constexpr int64_t kDropoutMinPerThread = 1 << 15;


// SplitMix64's finalizer over (seed, index): a well-mixed 64-bit value per element, no state.
inline uint64_t mix(uint64_t seed, uint64_t index) {
  uint64_t z = seed + (index + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

void dropout(int64_t n, const float* x, float* y, float rate, uint64_t seed, int num_threads) {
  // Keep when the top 32 bits, read as a fraction of 2^32, are >= rate.
  const uint64_t threshold = static_cast<uint64_t>(static_cast<double>(rate) * 4294967296.0);
  const float scale = 1.0f / (1.0f - rate);
#pragma omp parallel for simd num_threads(threads_for(n, num_threads, kDropoutMinPerThread)) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const bool keep = (mix(seed, static_cast<uint64_t>(i)) >> 32) >= threshold;
    y[i] = keep ? x[i] * scale : 0.0f;
  }
}

}  // namespace ironnet::cpu
