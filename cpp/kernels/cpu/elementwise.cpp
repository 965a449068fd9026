// Elementwise kernels: memory-bound loops the compiler vectorizes (OpenMP simd), split over threads
// only when the array is large enough that the fork costs less than the bandwidth it adds.
#include "ironnet/elementwise.h"

#include <omp.h>

#include "ironnet/parallel.h"

namespace ironnet::cpu {
namespace {
// ~256 KiB of floats per thread before a second thread pays for its wake-up.
constexpr int64_t kMinElementsPerThread = 1 << 16;

int threads_for(int64_t n, int requested) {
  int threads = requested > 0 ? requested : get_num_threads();
  if (omp_in_parallel()) return 1;
  while (threads > 1 && n / threads < kMinElementsPerThread) --threads;
  return threads;
}
}  // namespace

void axpy(int64_t n, float alpha, const float* x, float* y, int num_threads) {
#pragma omp parallel for simd num_threads(threads_for(n, num_threads)) schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

}  // namespace ironnet::cpu
