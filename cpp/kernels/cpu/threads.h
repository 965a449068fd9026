// How many threads a CPU kernel should fork for n elements of work; shared by every non-GEMM kernel.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "ironnet/parallel.h"

namespace ironnet::cpu {
// Internal linkage: files compiled for different ISAs each keep their own copy, so the linker can
// never hand one file's AVX-512 build of these to another.
namespace {

// ~256 KiB of floats per thread before a second thread pays for its wake-up in a memory-bound loop;
// kernels doing more work per element (exp, log, a hash) pass a smaller minimum.
constexpr int64_t kMinElementsPerThread = 1 << 16;

// requested > 0 overrides the global thread count; 1 inside an enclosing parallel region.
inline int threads_for(int64_t n, int requested, int64_t min_per_thread = kMinElementsPerThread) {
  int threads = requested > 0 ? requested : get_num_threads();
  if (omp_in_parallel()) return 1;
  while (threads > 1 && n / threads < min_per_thread) --threads;
  return threads;
}

// [begin, end) of `n` items for thread `tid` of `threads` (static, contiguous blocks).
inline void block_of(int64_t n, int tid, int threads, int64_t& begin, int64_t& end) {
  const int64_t base = n / threads, extra = n % threads;
  begin = tid * base + std::min<int64_t>(tid, extra);
  end = begin + base + (tid < extra ? 1 : 0);
}

}  // namespace
}  // namespace ironnet::cpu
