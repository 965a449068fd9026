// Pooling kernel bodies, included once per ISA (pooling_{portable,avx2,avx512}.cpp), each compiled
// with its own flags. NHWC keeps a pixel's channels contiguous, so every inner loop runs over the
// channels of one pixel (`omp simd`) and the loops around it walk windows.
//
// Forward: output rows (n, oh) are split over threads; each output pixel starts from its window's
// first real element and folds the others in, using the output row itself (in L1) as accumulator.
// Backward gathers instead of scattering: input rows (n, ih) are split over threads, each zeroes its
// row and adds what the windows covering it send back. No two threads write the same element, even
// when windows overlap (stride < pool), and dx is written in a single pass.
// Everything here has internal linkage; only make_table() hands the functions out.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>

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

// For each output pixel (offset `out` into y, which the fold holds): fold.start(out pixel, first element, its index), then fold.add(..) for every
// other real element of its window, then fold.finish(out pixel, count of real elements).
template <class Fold>
void pool_forward(const Pool2dGeometry& g, const float* x, int num_threads, Fold fold) {
  const int64_t C = g.channels, W = g.in_w, image = g.in_h * g.in_w * C;
  split_rows(g.batch * g.out_h, g.batch * image, num_threads, [&](int64_t first, int64_t last) {
    for (int64_t row = first; row < last; ++row) {
      const int64_t n = row / g.out_h, oh = row % g.out_h;
      const Span hs = window(oh, g.stride_h, g.pad_top, g.pool_h, g.in_h);
      const float* in = x + n * image;
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        const Span ws = window(ow, g.stride_w, g.pad_left, g.pool_w, W);
        const int64_t out = (row * g.out_w + ow) * C;
        fold.start(out, in + (hs.begin * W + ws.begin) * C, hs.begin * W + ws.begin);
        for (int64_t ih = hs.begin; ih < hs.end; ++ih)
          for (int64_t iw = ih == hs.begin ? ws.begin + 1 : ws.begin; iw < ws.end; ++iw)
            fold.add(out, in + (ih * W + iw) * C, ih * W + iw);
        fold.finish(out, (hs.end - hs.begin) * (ws.end - ws.begin));
      }
    }
  });
}

// For each input row (n, ih): zero dx's row, then for every output (oh, ow) whose window covers it,
// send(dx row, n, oh, ow, ih, columns of the window) adds that output's share.
template <class Send>
void pool_backward(const Pool2dGeometry& g, float* dx, int num_threads, Send send) {
  const int64_t C = g.channels, row_size = g.in_w * C;
  split_rows(g.batch * g.in_h, g.batch * g.in_h * row_size, num_threads, [&](int64_t first, int64_t last) {
    for (int64_t row = first; row < last; ++row) {
      const int64_t n = row / g.in_h, ih = row % g.in_h;
      float* d = dx + row * row_size;
      std::fill(d, d + row_size, 0.0f);
      // Windows of rows oh cover [oh * s - pad, oh * s - pad + pool): those holding ih.
      const int64_t reach = ih + g.pad_top - g.pool_h + 1;
      const int64_t oh_first = reach <= 0 ? 0 : (reach + g.stride_h - 1) / g.stride_h;
      const int64_t oh_last = std::min((ih + g.pad_top) / g.stride_h, g.out_h - 1);
      for (int64_t oh = oh_first; oh <= oh_last; ++oh)
        for (int64_t ow = 0; ow < g.out_w; ++ow)
          send(d, n, oh, ow, ih, window(ow, g.stride_w, g.pad_left, g.pool_w, g.in_w));
    }
  });
}

// --- max -------------------------------------------------------------------------------------------

struct MaxFold {
  float* y;
  int32_t* argmax;
  int64_t C;

  void start(int64_t out, const float* v, int64_t index) const {
    float* best = y + out;
    int32_t* at = argmax + out;
    const int32_t i = static_cast<int32_t>(index);
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) {
      best[c] = v[c];
      at[c] = i;
    }
  }
  void add(int64_t out, const float* v, int64_t index) const {
    float* best = y + out;
    int32_t* at = argmax + out;
    const int32_t i = static_cast<int32_t>(index);
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) {
      // Strictly greater: a tie keeps the earlier element. v != v: a NaN takes over (as PyTorch).
      const bool take = v[c] > best[c] || v[c] != v[c];
      best[c] = take ? v[c] : best[c];
      at[c] = take ? i : at[c];
    }
  }
  void finish(int64_t, int64_t) const {}
};

void max_forward(const Pool2dGeometry& g, const float* x, float* y, int32_t* argmax, int num_threads) {
  pool_forward(g, x, num_threads, MaxFold{y, argmax, g.channels});
}

void max_backward(const Pool2dGeometry& g, const float* dy, const int32_t* argmax, float* dx, int num_threads) {
  const int64_t C = g.channels;
  pool_backward(g, dx, num_threads, [&](float* d, int64_t n, int64_t oh, int64_t ow, int64_t ih, Span ws) {
    const int64_t out = ((n * g.out_h + oh) * g.out_w + ow) * C;
    const float* grad = dy + out;
    const int32_t* at = argmax + out;
    for (int64_t iw = ws.begin; iw < ws.end; ++iw) {
      const int32_t here = static_cast<int32_t>(ih * g.in_w + iw);
      float* di = d + iw * C;
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) di[c] += at[c] == here ? grad[c] : 0.0f;
    }
  });
}

// --- average ---------------------------------------------------------------------------------------

struct SumFold {
  float* y;
  int64_t C;

  void start(int64_t out, const float* v, int64_t) const {
    float* sum = y + out;
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) sum[c] = v[c];
  }
  void add(int64_t out, const float* v, int64_t) const {
    float* sum = y + out;
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) sum[c] += v[c];
  }
  void finish(int64_t out, int64_t count) const {
    if (count == 1) return;
    float* sum = y + out;
    const float scale = 1.0f / static_cast<float>(count);
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) sum[c] *= scale;
  }
};

void avg_forward(const Pool2dGeometry& g, const float* x, float* y, int num_threads) {
  pool_forward(g, x, num_threads, SumFold{y, g.channels});
}

void avg_backward(const Pool2dGeometry& g, const float* dy, float* dx, int num_threads) {
  const int64_t C = g.channels;
  pool_backward(g, dx, num_threads, [&](float* d, int64_t n, int64_t oh, int64_t ow, int64_t, Span ws) {
    const Span hs = window(oh, g.stride_h, g.pad_top, g.pool_h, g.in_h);
    const float scale = 1.0f / static_cast<float>((hs.end - hs.begin) * (ws.end - ws.begin));
    const float* grad = dy + ((n * g.out_h + oh) * g.out_w + ow) * C;
    for (int64_t iw = ws.begin; iw < ws.end; ++iw) {
      float* di = d + iw * C;
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) di[c] += grad[c] * scale;
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
