#include "ironnet/dropout.h"

#include <omp.h>

#include "ironnet/parallel.h"
#include "kernels/cpu/threads.h"
#include "kernels/shared/dropout_mask.h"

namespace ironnet::cpu {
namespace {
constexpr int64_t kDropoutMinPerThread = 1 << 15;
}  // namespace

void dropout(int64_t n, const float* x, float* y, float rate, uint64_t seed, int num_threads) {
  const uint64_t threshold = dropout_mask::threshold(rate);
  const float scale = dropout_mask::keep_scale(rate);
#pragma omp parallel for simd num_threads(threads_for(n, num_threads, kDropoutMinPerThread)) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const bool keep = dropout_mask::keep(seed, static_cast<uint64_t>(i), threshold);
    y[i] = keep ? x[i] * scale : 0.0f;
  }
}

}  // namespace ironnet::cpu
