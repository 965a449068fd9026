// Bias kernels of the dense layer: memory-bound loops, threads split the work when it is large.
#include "ironnet/linear.h"

#include <omp.h>

#include <cstring>

#include "ironnet/parallel.h"
#include "kernels/cpu/threads.h"

namespace ironnet::cpu {
namespace {
constexpr int64_t kBiasMinPerThread = 1 << 15;

}  // namespace

void broadcast_rows(int64_t rows, int64_t cols, const float* bias, float* out, int64_t ldo, int num_threads) {
#pragma omp parallel for num_threads(threads_for(rows * cols, num_threads, kBiasMinPerThread)) schedule(static)
  for (int64_t i = 0; i < rows; ++i) std::memcpy(out + i * ldo, bias, static_cast<size_t>(cols) * sizeof(float));
}

void column_sums(int64_t rows, int64_t cols, const float* x, int64_t ldx, float* out, int num_threads) {
  // Each thread owns a band of columns and walks all rows over it: rows stream in order, and the
  // running sums of one band stay in cache.
  constexpr int64_t kBand = 256;
  const int64_t bands = (cols + kBand - 1) / kBand;
  const int threads = bands > 1 ? threads_for(rows * cols, num_threads, kBiasMinPerThread) : 1;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t band = 0; band < bands; ++band) {
    const int64_t j0 = band * kBand, j1 = j0 + kBand < cols ? j0 + kBand : cols;
    double acc[kBand] = {};
    for (int64_t i = 0; i < rows; ++i) {
      const float* row = x + i * ldx;
#pragma omp simd
      for (int64_t j = j0; j < j1; ++j) acc[j - j0] += row[j];
    }
    for (int64_t j = j0; j < j1; ++j) out[j] = static_cast<float>(acc[j - j0]);
  }
}

}  // namespace ironnet::cpu
