// The float32 multiply-add throughput this machine reaches, measured rather than looked up: the
// ceiling the benchmarks compare kernels against (a "% of peak" from a datasheet figure is wrong on
// every CPU whose vector units differ from the datasheet's, e.g. Zen 4's 512-bit FMAs run at half rate).
#pragma once

#include "ironnet/cpu_features.h"

namespace ironnet {

// GFLOP/s (one FMA = 2 flops) of `threads` threads each running independent FMA chains on the
// vectors of `isa` (16 floats for avx512, 8 for avx2; the portable path's compiler-vectorized
// multiply-adds): the fastest of ~1 ms runs repeated for about `seconds`. Throws ValueError when
// threads < 1, seconds is not positive or `isa` is not supported here.
double measure_fma_peak(int threads, CpuIsa isa, double seconds = 0.2);

}  // namespace ironnet
