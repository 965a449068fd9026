// Seeded dropout, callable from C++. The keep/drop decision for element i is a pure function of
// (seed, i) - a counter-based hash - so forward and backward agree without storing a mask, and the
// result does not depend on the thread count.
#pragma once
#include <cstdint>

namespace ironnet::cpu {

// y[i] = keep(seed, i) ? x[i] / (1 - rate) : 0, where keep holds with probability 1 - rate.
// Backward is the same call on dy with the same seed.
void dropout(int64_t n, const float* x, float* y, float rate, uint64_t seed, int num_threads = 0);

}  // namespace ironnet::cpu
