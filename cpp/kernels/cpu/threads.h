// How many threads a memory-bound CPU kernel should fork for n elements (shared by the elementwise
// and reduction kernels).
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "ironnet/parallel.h"

namespace ironnet::cpu {

// ~256 KiB of floats per thread before a second thread pays for its wake-up.
constexpr int64_t kMinElementsPerThread = 1 << 16;

// requested > 0 overrides the global thread count; 1 inside an enclosing parallel region.
inline int threads_for(int64_t n, int requested) {
  int threads = requested > 0 ? requested : get_num_threads();
  if (omp_in_parallel()) return 1;
  while (threads > 1 && n / threads < kMinElementsPerThread) --threads;
  return threads;
}

// [begin, end) of `n` items for thread `tid` of `threads` (static, contiguous blocks).
inline void block_of(int64_t n, int tid, int threads, int64_t& begin, int64_t& end) {
  const int64_t base = n / threads, extra = n % threads;
  begin = tid * base + std::min<int64_t>(tid, extra);
  end = begin + base + (tid < extra ? 1 : 0);
}

}  // namespace ironnet::cpu
