// Pooling kernel bodies, included once per ISA (pooling_{portable,avx2,avx512}.cpp), each compiled
// with its own flags. NHWC keeps a pixel's channels contiguous, so every inner loop runs over the
// channels of one pixel (`omp simd`) and the loops around it walk windows.
//
// Forward: output rows (n, oh) are split over threads; each output pixel, 16 channels at a time,
// starts from its window's first real element and folds the others in, in registers.
// Backward gathers instead of scattering: input rows (n, ih) are split over threads, and each thread
// fills its rows from the windows covering them. No two threads write the same element, even when
// windows overlap (stride < pool), and dx is written in a single pass over memory.
// Measured (1 thread, 2x2 stride 2): the AVX-512 build runs the forward 1.2-1.7x faster than the
// portable (SSE2) one; the backward gains less (it is a select and a store per element).
// Everything here has internal linkage; only make_table() hands the functions out.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "kernels/cpu/pooling_table.h"
#include "kernels/cpu/threads.h"

namespace ironnet::cpu::pooling_detail {
namespace {

// Real (unpadded) extent [begin, end) of window `o` along one axis.
struct Span {
  int64_t begin, end;
};
inline Span window(int64_t o, int64_t stride, int64_t pad, int64_t pool, int64_t size) {
  const int64_t start = o * stride - pad;
  return {std::max<int64_t>(start, 0), std::min(start + pool, size)};
}

// Runs body(first, last) on this thread's share of `rows` items, `work` elements in all deciding how
// many threads are worth waking.
template <class Body>
void split_rows(int64_t rows, int64_t work, int num_threads, Body body) {
  const int threads = threads_for(work, num_threads);
#pragma omp parallel num_threads(threads)
  {
    int64_t first, last;
    block_of(rows, omp_get_thread_num(), threads, first, last);
    body(first, last);
  }
}

// Channels of one output pixel folded at a time: a compile-time width keeps the accumulators in
// vector registers (one zmm, two ymm or four xmm) instead of in y, which would be reloaded per element.
constexpr int64_t kBlock = 16;
using Block = std::integral_constant<int64_t, kBlock>;

// For each output pixel, channels in blocks of kBlock (the last one narrower, `width` a plain int):
// fold.start(acc, at, first real element of the window, its index, width), fold.add(...) for each
// other real element, then fold.store(offset into y, acc, at, count of real elements, width).
template <class Fold>
void pool_forward(const Pool2dGeometry& g, const float* x, int num_threads, Fold fold) {
  const int64_t C = g.channels, W = g.in_w, image = g.in_h * g.in_w * C;
  split_rows(g.batch * g.out_h, g.batch * image, num_threads, [&](int64_t first, int64_t last) {
    alignas(64) float acc[kBlock];
    alignas(64) int32_t at[kBlock];
    for (int64_t row = first; row < last; ++row) {
      const int64_t n = row / g.out_h, oh = row % g.out_h;
      const Span hs = window(oh, g.stride_h, g.pad_top, g.pool_h, g.in_h);
      const float* in = x + n * image;
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        const Span ws = window(ow, g.stride_w, g.pad_left, g.pool_w, W);
        const int64_t out = (row * g.out_w + ow) * C, count = (hs.end - hs.begin) * (ws.end - ws.begin);
        auto pixel = [&](int64_t c0, auto width) {
          const int32_t first_index = static_cast<int32_t>(hs.begin * W + ws.begin);
          fold.start(acc, at, in + first_index * C + c0, first_index, width);
          for (int64_t ih = hs.begin; ih < hs.end; ++ih)
            for (int64_t iw = ih == hs.begin ? ws.begin + 1 : ws.begin; iw < ws.end; ++iw) {
              const int32_t index = static_cast<int32_t>(ih * W + iw);
              fold.add(acc, at, in + index * C + c0, index, width);
            }
          fold.store(out + c0, acc, at, count, width);
        };
        int64_t c0 = 0;
        for (; c0 + kBlock <= C; c0 += kBlock) pixel(c0, Block{});
        if (c0 < C) pixel(c0, C - c0);
      }
    }
  });
}

// How an output's share reaches dx: written (=) where no other window can add to the same element,
// added (+=) to a zeroed row where windows overlap.
using Write = std::false_type;
using Accumulate = std::true_type;

template <class Mode>
inline void put(float& d, float v) {
  if constexpr (Mode::value) d += v;
  else d = v;
}

// For each input row (n, ih), for every output (oh, ow) whose window covers it:
// send(dx row, n, oh, ow, ih, columns of the window, Write or Accumulate) puts that output's share.
// Windows that never overlap (stride >= pool on both axes) write: a row is zeroed first only when
// some of its elements lie in no window. Overlapping windows zero the row and accumulate.
template <class Send>
void pool_backward(const Pool2dGeometry& g, float* dx, int num_threads, Send send) {
  const int64_t C = g.channels, row_size = g.in_w * C;
  const bool overlap = g.stride_h < g.pool_h || g.stride_w < g.pool_w;
  const bool columns_covered = g.stride_w == g.pool_w && g.out_w * g.stride_w - g.pad_left >= g.in_w;
  split_rows(g.batch * g.in_h, g.batch * g.in_h * row_size, num_threads, [&](int64_t first, int64_t last) {
    for (int64_t row = first; row < last; ++row) {
      const int64_t n = row / g.in_h, ih = row % g.in_h;
      float* d = dx + row * row_size;
      // Windows of rows oh cover [oh * s - pad, oh * s - pad + pool): those holding ih.
      const int64_t reach = ih + g.pad_top - g.pool_h + 1;
      const int64_t oh_first = reach <= 0 ? 0 : (reach + g.stride_h - 1) / g.stride_h;
      const int64_t oh_last = std::min((ih + g.pad_top) / g.stride_h, g.out_h - 1);
      const bool covered = columns_covered && oh_first <= oh_last;
      if (overlap || !covered) std::fill(d, d + row_size, 0.0f);
      for (int64_t oh = oh_first; oh <= oh_last; ++oh)
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          const Span ws = window(ow, g.stride_w, g.pad_left, g.pool_w, g.in_w);
          if (overlap) send(d, n, oh, ow, ih, ws, Accumulate{});
          else send(d, n, oh, ow, ih, ws, Write{});
        }
    }
  });
}

// --- max -------------------------------------------------------------------------------------------

struct MaxFold {
  float* y;
  int32_t* argmax;

  template <class Width>
  static void start(float* best, int32_t* at, const float* v, int32_t index, Width width) {
#pragma omp simd
    for (int64_t c = 0; c < width; ++c) {
      best[c] = v[c];
      at[c] = index;
    }
  }
  template <class Width>
  static void add(float* best, int32_t* at, const float* v, int32_t index, Width width) {
#pragma omp simd
    for (int64_t c = 0; c < width; ++c) {
      // Strictly greater: a tie keeps the earlier element. v != v: a NaN takes over (as PyTorch).
      const bool take = v[c] > best[c] || v[c] != v[c];
      best[c] = take ? v[c] : best[c];
      at[c] = take ? index : at[c];
    }
  }
  template <class Width>
  void store(int64_t out, const float* best, const int32_t* at, int64_t, Width width) const {
#pragma omp simd
    for (int64_t c = 0; c < width; ++c) {
      y[out + c] = best[c];
      argmax[out + c] = at[c];
    }
  }
};

void max_forward(const Pool2dGeometry& g, const float* x, float* y, int32_t* argmax, int num_threads) {
  pool_forward(g, x, num_threads, MaxFold{y, argmax});
}

void max_backward(const Pool2dGeometry& g, const float* dy, const int32_t* argmax, float* dx, int num_threads) {
  const int64_t C = g.channels;
  pool_backward(g, dx, num_threads, [&](float* d, int64_t n, int64_t oh, int64_t ow, int64_t ih, Span ws, auto mode) {
    using Mode = decltype(mode);
    const int64_t out = ((n * g.out_h + oh) * g.out_w + ow) * C;
    const float* grad = dy + out;
    const int32_t* at = argmax + out;
    for (int64_t iw = ws.begin; iw < ws.end; ++iw) {
      const int32_t here = static_cast<int32_t>(ih * g.in_w + iw);
      float* di = d + iw * C;
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) {
        const float share = grad[c];  // loaded unconditionally: a load under the condition stays a branch
        put<Mode>(di[c], at[c] == here ? share : 0.0f);
      }
    }
  });
}

// --- average ---------------------------------------------------------------------------------------

struct SumFold {
  float* y;

  template <class Width>
  static void start(float* sum, int32_t*, const float* v, int32_t, Width width) {
#pragma omp simd
    for (int64_t c = 0; c < width; ++c) sum[c] = v[c];
  }
  template <class Width>
  static void add(float* sum, int32_t*, const float* v, int32_t, Width width) {
#pragma omp simd
    for (int64_t c = 0; c < width; ++c) sum[c] += v[c];
  }
  template <class Width>
  void store(int64_t out, const float* sum, const int32_t*, int64_t count, Width width) const {
    const float scale = 1.0f / static_cast<float>(count);
#pragma omp simd
    for (int64_t c = 0; c < width; ++c) y[out + c] = sum[c] * scale;
  }
};

void avg_forward(const Pool2dGeometry& g, const float* x, float* y, int num_threads) {
  pool_forward(g, x, num_threads, SumFold{y});
}

void avg_backward(const Pool2dGeometry& g, const float* dy, float* dx, int num_threads) {
  const int64_t C = g.channels;
  pool_backward(g, dx, num_threads, [&](float* d, int64_t n, int64_t oh, int64_t ow, int64_t, Span ws, auto mode) {
    using Mode = decltype(mode);
    const Span hs = window(oh, g.stride_h, g.pad_top, g.pool_h, g.in_h);
    const float scale = 1.0f / static_cast<float>((hs.end - hs.begin) * (ws.end - ws.begin));
    const float* grad = dy + ((n * g.out_h + oh) * g.out_w + ow) * C;
    for (int64_t iw = ws.begin; iw < ws.end; ++iw) {
      float* di = d + iw * C;
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) put<Mode>(di[c], grad[c] * scale);
    }
  });
}

PoolingTable make_table() {
  PoolingTable t;
  t.max_forward = max_forward;
  t.max_backward = max_backward;
  t.avg_forward = avg_forward;
  t.avg_backward = avg_backward;
  return t;
}

}  // namespace
}  // namespace ironnet::cpu::pooling_detail
