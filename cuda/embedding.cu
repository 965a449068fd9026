// Embedding gather and its deterministic scatter-add on the GPU.
//
// Backward without atomics: a stable radix sort of (id, position) pairs (CUB, which ships with the
// CUDA toolkit) groups the positions of each id in increasing order; then each run of equal ids is
// one table row, summed by one block in position order. Thread j of a block owns column j of the
// row (coalesced reads of dy rows); blocks stride over the sorted positions and skip every one that
// does not start a run. O(n log V + n * dim) work, and each row's additions happen in the CPU
// kernel's order (0 + dy[i0] + dy[i1] + ...), so the result equals the CPU's bit for bit.
// A single id repeated very often is summed by one block: fine for text, slow for a degenerate batch.
#include <cub/device/device_radix_sort.cuh>

#include "common.cuh"
#include "ironnet/cuda/embedding.h"

namespace ironnet::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kRowThreads = 128;
constexpr unsigned kMaxGridY = 65535;

template <class Index>
__global__ void gather_rows(int64_t n, int64_t dim, const Index* ids, const float* table, float* out) {
  const int64_t total = n * dim;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < total;
       k += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t i = k / dim, j = k - i * dim;
    out[k] = table[static_cast<int64_t>(ids[i]) * dim + j];
  }
}

__global__ void iota(int64_t n, int* values) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    values[i] = static_cast<int>(i);  // n < 2^31
}

// sorted_ids, positions: (n,) sorted by id, positions ascending within an id. grid: (dim tiles, runs).
template <class Index>
__global__ void sum_runs(int64_t n, int64_t dim, const Index* sorted_ids, const int* positions, const float* dy,
                         float* dtable) {
  const int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= dim) return;
  for (int64_t k = blockIdx.y; k < n; k += gridDim.y) {
    const Index id = sorted_ids[k];
    if (k > 0 && sorted_ids[k - 1] == id) continue;  // not the start of a run
    float sum = 0.0f;
    for (int64_t r = k; r < n && sorted_ids[r] == id; ++r) sum += dy[static_cast<int64_t>(positions[r]) * dim + j];
    dtable[static_cast<int64_t>(id) * dim + j] = sum;
  }
}

// Bits a radix sort of ids in [0, vocab) must look at.
int key_bits(int64_t vocab) {
  int bits = 1;
  while (bits < 63 && (int64_t{1} << bits) < vocab) ++bits;
  return bits;
}

size_t aligned(size_t bytes) { return (bytes + 255) / 256 * 256; }

// The scratch layout: sorted ids, positions in, positions out, then CUB's temporary storage.
template <class Index>
struct BackwardScratch {
  size_t ids_bytes, positions_bytes, cub_bytes;
  BackwardScratch(int64_t n, int64_t vocab, int device) {
    ids_bytes = aligned(static_cast<size_t>(n) * sizeof(Index));
    positions_bytes = aligned(static_cast<size_t>(n) * sizeof(int));
    cub_bytes = 0;
    check(cub::DeviceRadixSort::SortPairs(nullptr, cub_bytes, static_cast<const Index*>(nullptr),
                                          static_cast<Index*>(nullptr), static_cast<const int*>(nullptr),
                                          static_cast<int*>(nullptr), static_cast<int>(n), 0, key_bits(vocab),
                                          stream(device)),
          "embedding_backward on cuda (sort size)");
  }
  size_t total() const { return ids_bytes + 2 * positions_bytes + cub_bytes; }
};

void check_count(int64_t n) {
  if (n > 0x7fffffffLL) fail<ValueError>("embedding_backward on cuda: ", n, " ids exceed the 2^31 - 1 a sort handles");
}

}  // namespace

template <class Index>
void embedding_forward(int64_t n, int64_t dim, const Index* ids, const float* table, float* out, int device) {
  if (n == 0 || dim == 0) return;
  DeviceGuard guard(device);
  launch_kernel(gather_rows<Index>, grid_for(n * dim, kThreads), kThreads, 0, stream(device), n, dim, ids, table, out);
  check_launch("embedding on cuda");
}

template <class Index>
size_t embedding_backward_scratch_bytes(int64_t n, int64_t vocab, int device) {
  check_count(n);
  DeviceGuard guard(device);
  return BackwardScratch<Index>(n, vocab, device).total();
}

template <class Index>
void embedding_backward(int64_t n, int64_t vocab, int64_t dim, const Index* ids, const float* dy, float* dtable,
                        void* scratch, size_t scratch_bytes, int device) {
  constexpr const char* op = "embedding_backward on cuda";
  if (n == 0 || dim == 0) return;
  check_count(n);
  DeviceGuard guard(device);
  const BackwardScratch<Index> layout(n, vocab, device);
  if (scratch_bytes < layout.total()) fail<ValueError>(op, ": ", scratch_bytes, " bytes of scratch, ", layout.total(), " needed");
  char* base = static_cast<char*>(scratch);
  auto* sorted_ids = reinterpret_cast<Index*>(base);
  auto* positions_in = reinterpret_cast<int*>(base + layout.ids_bytes);
  auto* positions = reinterpret_cast<int*>(base + layout.ids_bytes + layout.positions_bytes);
  void* cub_scratch = base + layout.ids_bytes + 2 * layout.positions_bytes;
  size_t cub_bytes = layout.cub_bytes;
  cudaStream_t s = stream(device);
  const int count = static_cast<int>(n);
  launch_kernel(iota, grid_for(n, kThreads), kThreads, 0, s, n, positions_in);
  check_launch(op);
  check(cub::DeviceRadixSort::SortPairs(cub_scratch, cub_bytes, ids, sorted_ids, positions_in, positions, count, 0,
                                        key_bits(vocab), s),
        op);
  const dim3 grid(static_cast<unsigned>((dim + kRowThreads - 1) / kRowThreads),
                  static_cast<unsigned>(n < kMaxGridY ? n : kMaxGridY));
  launch_kernel(sum_runs<Index>, grid, kRowThreads, 0, s, n, dim, sorted_ids, positions, dy, dtable);
  check_launch(op);
}

template void embedding_forward<int32_t>(int64_t, int64_t, const int32_t*, const float*, float*, int);
template void embedding_forward<int64_t>(int64_t, int64_t, const int64_t*, const float*, float*, int);
template size_t embedding_backward_scratch_bytes<int32_t>(int64_t, int64_t, int);
template size_t embedding_backward_scratch_bytes<int64_t>(int64_t, int64_t, int);
template void embedding_backward<int32_t>(int64_t, int64_t, int64_t, const int32_t*, const float*, float*, void*,
                                          size_t, int);
template void embedding_backward<int64_t>(int64_t, int64_t, int64_t, const int64_t*, const float*, float*, void*,
                                          size_t, int);

}  // namespace ironnet::cuda
