// Index validation: a grid-stride scan that keeps the smallest bad position with an integer atomicMin
// (order-independent, so the answer is deterministic).
#include "common.cuh"
#include "ironnet/cuda/indices.h"

namespace ironnet::cuda {
namespace {

__global__ void store_position(unsigned long long* first_bad, int64_t n) {
  *first_bad = static_cast<unsigned long long>(n);
}

template <class Index>
__global__ void scan_out_of_range(int64_t n, const Index* index, int64_t limit, unsigned long long* first_bad) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const int64_t value = static_cast<int64_t>(index[i]);
    if (value < 0 || value >= limit) {
      atomicMin(first_bad, static_cast<unsigned long long>(i));
      return;  // later positions of this thread cannot be smaller
    }
  }
}

}  // namespace

template <class Index>
void first_out_of_range(int64_t n, const Index* index, int64_t limit, int64_t* first_bad, int device) {
  DeviceGuard guard(device);
  constexpr int kThreads = 256;
  auto* slot = reinterpret_cast<unsigned long long*>(first_bad);  // positions are >= 0: same bits
  launch_kernel(store_position, 1, 1, 0, stream(device), slot, n);
  check_launch("index check on cuda");
  if (n == 0) return;
  launch_kernel(scan_out_of_range<Index>, grid_for(n, kThreads), kThreads, 0, stream(device), n, index, limit, slot);
  check_launch("index check on cuda");
}

template void first_out_of_range<int32_t>(int64_t, const int32_t*, int64_t, int64_t*, int);
template void first_out_of_range<int64_t>(int64_t, const int64_t*, int64_t, int64_t*, int);

}  // namespace ironnet::cuda
