// Index validation on the GPU (cuda/indices.cu), for ops that take class labels or embedding ids.
// Declarations only: no CUDA headers here.
#pragma once
#include <cstdint>

namespace ironnet::cuda {

// Writes to *first_bad (one int64 of device memory) the smallest position i < n with
// index[i] < 0 or index[i] >= limit, or n when every index is in range. The op entry copies it back
// to raise the same ValueError as the CPU (a kernel cannot throw). Index: int32_t or int64_t.
template <class Index>
void first_out_of_range(int64_t n, const Index* index, int64_t limit, int64_t* first_bad, int device);

}  // namespace ironnet::cuda
