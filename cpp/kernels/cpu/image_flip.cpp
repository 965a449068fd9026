// Per-image flips, channels_last: row copies, reversed pixel by pixel where the image is mirrored.
#include <omp.h>

#include <algorithm>

#include "ironnet/image.h"
#include "kernels/cpu/threads.h"

namespace ironnet::cpu {

void flip(int64_t batch, int64_t height, int64_t width, int64_t channels, const float* x, const int64_t* horizontal,
          const int64_t* vertical, float* y, int num_threads) {
  const int64_t rows = batch * height, row = width * channels;
  if (rows == 0 || row == 0) return;
  const int threads = static_cast<int>(std::min<int64_t>(rows, threads_for(rows * row, num_threads)));
#pragma omp parallel num_threads(threads)
  {
    int64_t begin, end;
    block_of(rows, omp_get_thread_num(), omp_get_num_threads(), begin, end);
    for (int64_t r = begin; r < end; ++r) {
      const int64_t n = r / height, oy = r % height;
      const int64_t iy = vertical[n] ? height - 1 - oy : oy;
      const float* src = x + (n * height + iy) * row;
      float* dst = y + r * row;
      if (!horizontal[n]) {
        std::copy(src, src + row, dst);
      } else if (channels == 1) {  // its own loop: the compiler vectorizes a plain reversal
        for (int64_t ox = 0; ox < width; ++ox) dst[ox] = src[width - 1 - ox];
      } else {
        for (int64_t ox = 0; ox < width; ++ox) std::copy_n(src + (width - 1 - ox) * channels, channels, dst + ox * channels);
      }
    }
  }
}

}  // namespace ironnet::cpu
