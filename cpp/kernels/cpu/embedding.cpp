#include "ironnet/embedding.h"

#include <omp.h>

#include <algorithm>
#include <cstring>

#include "kernels/cpu/threads.h"

namespace ironnet::cpu {

template <class Index>
void embedding_forward(int64_t n, int64_t dim, const Index* ids, const float* table, float* out, int num_threads) {
  // A memory copy per id: threads pay once there are enough floats to move.
#pragma omp parallel for num_threads(threads_for(n * dim, num_threads)) schedule(static)
  for (int64_t i = 0; i < n; ++i)
    std::memcpy(out + i * dim, table + static_cast<int64_t>(ids[i]) * dim, static_cast<size_t>(dim) * sizeof(float));
}

template <class Index>
void embedding_backward(int64_t n, int64_t vocab, int64_t dim, const Index* ids, const float* dy, float* dtable,
                        int num_threads) {
  // Repeated ids make this a scatter with collisions. Instead of atomics (whose order, and so whose
  // rounding, varies run to run), each thread owns a contiguous block of table rows and walks all
  // the ids in order, adding only those that fall in its block: every row is summed in increasing
  // i whatever the thread count, and no two threads write the same row. Reading the ids once per
  // thread is cheap next to the dim floats added per id.
  const int threads = threads_for(n * dim, num_threads);
#pragma omp parallel num_threads(threads)
  {
    int64_t row_begin = 0, row_end = vocab;
    block_of(vocab, omp_get_thread_num(), omp_get_num_threads(), row_begin, row_end);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t row = static_cast<int64_t>(ids[i]);
      if (row < row_begin || row >= row_end) continue;
      float* dst = dtable + row * dim;
      const float* src = dy + i * dim;
#pragma omp simd
      for (int64_t j = 0; j < dim; ++j) dst[j] += src[j];
    }
  }
}

template void embedding_forward<int32_t>(int64_t, int64_t, const int32_t*, const float*, float*, int);
template void embedding_forward<int64_t>(int64_t, int64_t, const int64_t*, const float*, float*, int);
template void embedding_backward<int32_t>(int64_t, int64_t, int64_t, const int32_t*, const float*, float*, int);
template void embedding_backward<int64_t>(int64_t, int64_t, int64_t, const int64_t*, const float*, float*, int);

}  // namespace ironnet::cpu
