// Sum reductions over any set of dimensions, accumulated in double: a float32 sum of 10^6 terms
// keeps ~1e-7 relative accuracy, and the loops stay memory-bound (one convert per load).
#include <omp.h>

#include <algorithm>
#include <vector>

#include "ironnet/elementwise.h"
#include "kernels/cpu/threads.h"

namespace ironnet::cpu {
namespace {

// Outputs handled together: the accumulator tile lives on the stack.
constexpr int64_t kTile = 256;

// Walks the outer dimensions (all but the last) of a strided index space as an odometer.
struct Odometer {
  int rank;
  const int64_t* sizes;
  const int64_t* strides;
  std::vector<int64_t> idx;
  int64_t offset = 0;

  Odometer(int rank_, const int64_t* sizes_, const int64_t* strides_, int64_t start)
      : rank(rank_), sizes(sizes_), strides(strides_), idx(static_cast<size_t>(std::max(rank_, 0))) {
    for (int d = rank - 1; d >= 0; --d) {
      idx[d] = start % sizes[d];
      start /= sizes[d];
      offset += idx[d] * strides[d];
    }
  }
  void next() {
    for (int d = rank - 1; d >= 0; --d) {
      offset += strides[d];
      if (++idx[d] < sizes[d]) return;
      offset -= sizes[d] * strides[d];
      idx[d] = 0;
    }
  }
};

int64_t product(int rank, const int64_t* sizes) {
  int64_t n = 1;
  for (int d = 0; d < rank; ++d) n *= sizes[d];
  return n;
}

// acc[t] += sum of p[t * ks + r] over the reduced flat indices r in [begin, end), for t < tile.
// The reduced index space is the odometer over the outer reduced dimensions times the innermost
// one (rl elements at stride rs); a range may start and end inside a row.
void accumulate_range(const float* p, int64_t tile, int64_t ks, int reduced_outer, const int64_t* rsizes,
                      const int64_t* rstrides, int64_t rl, int64_t rs, int64_t begin, int64_t end, double* acc) {
  if (begin >= end) return;
  // Sum along whichever of the two inner loops walks memory more closely.
  const bool reduce_inner = tile == 1 || (rl > 1 && rs < ks);
  const int64_t first = begin / rl, last = (end - 1) / rl;
  Odometer odo(reduced_outer, rsizes, rstrides, first);
  for (int64_t o = first; o <= last; ++o, odo.next()) {
    const float* base = p + odo.offset;
    const int64_t q0 = o == first ? begin % rl : 0;
    const int64_t q1 = o == last ? (end - 1) % rl + 1 : rl;
    if (reduce_inner) {
      for (int64_t t = 0; t < tile; ++t) {
        const float* q = base + t * ks;
        double s = 0.0;
        if (rs == 1) {
#pragma omp simd reduction(+ : s)
          for (int64_t r = q0; r < q1; ++r) s += q[r];
        } else {
#pragma omp simd reduction(+ : s)
          for (int64_t r = q0; r < q1; ++r) s += q[r * rs];
        }
        acc[t] += s;
      }
    } else {
      for (int64_t r = q0; r < q1; ++r) {
        const float* q = base + r * rs;
        if (ks == 1) {
#pragma omp simd
          for (int64_t t = 0; t < tile; ++t) acc[t] += q[t];
        } else {
#pragma omp simd
          for (int64_t t = 0; t < tile; ++t) acc[t] += q[t * ks];
        }
      }
    }
  }
}

}  // namespace

void reduce_sum(const float* x, int kept_rank, const int64_t* kept_sizes, const int64_t* kept_strides,
                int reduced_rank, const int64_t* reduced_sizes, const int64_t* reduced_strides, double scale,
                float* out, int num_threads) {
  // The innermost kept dimension is tiled; the others index work items.
  const int64_t t_len = kept_rank > 0 ? kept_sizes[kept_rank - 1] : 1;
  const int64_t ks = kept_rank > 0 ? kept_strides[kept_rank - 1] : 0;
  const int kept_outer = std::max(kept_rank - 1, 0);
  const int64_t rl = reduced_rank > 0 ? reduced_sizes[reduced_rank - 1] : 1;
  const int64_t rs = reduced_rank > 0 ? reduced_strides[reduced_rank - 1] : 0;
  const int reduced_outer = std::max(reduced_rank - 1, 0);
  const int64_t total = product(kept_rank, kept_sizes) * product(reduced_rank, reduced_sizes);
  const int threads = threads_for(total, num_threads);

  if (kept_rank == 0 && reduced_rank == 1 && rs == 1) {
    // A whole contiguous array to one number (a loss): split the one loop over threads.
    double s = 0.0;
#pragma omp parallel for simd num_threads(threads) schedule(static) reduction(+ : s)
    for (int64_t r = 0; r < rl; ++r) s += x[r];
    out[0] = static_cast<float>(s * scale);
    return;
  }

  const int64_t tiles = (t_len + kTile - 1) / kTile;
  const int64_t items = product(kept_outer, kept_sizes) * tiles;
  const int64_t reduced_total = product(reduced_outer, reduced_sizes) * rl;

  if (items < threads) {
    // Few outputs and much to sum (a bias gradient: (N, C) -> (C,), N large): each tile of outputs
    // is summed by all threads over slices of the reduced range, partial sums combined in double.
    for (int64_t item = 0; item < items; ++item) {
      const int64_t o = item / tiles, t0 = (item % tiles) * kTile;
      const int64_t tile = std::min(kTile, t_len - t0);
      const Odometer kept(kept_outer, kept_sizes, kept_strides, o);
      double total[kTile] = {};
#pragma omp parallel num_threads(threads)
      {
        double acc[kTile] = {};
        int64_t begin, end;
        block_of(reduced_total, omp_get_thread_num(), omp_get_num_threads(), begin, end);
        accumulate_range(x + kept.offset + t0 * ks, tile, ks, reduced_outer, reduced_sizes, reduced_strides, rl, rs,
                         begin, end, acc);
#pragma omp critical(ironnet_reduce_sum)
        for (int64_t t = 0; t < tile; ++t) total[t] += acc[t];
      }
      float* dst = out + o * t_len + t0;
      for (int64_t t = 0; t < tile; ++t) dst[t] = static_cast<float>(total[t] * scale);
    }
    return;
  }

#pragma omp parallel num_threads(threads)
  {
    int64_t begin, end;
    block_of(items, omp_get_thread_num(), omp_get_num_threads(), begin, end);
    double acc[kTile];
    for (int64_t item = begin; item < end; ++item) {
      const int64_t o = item / tiles, t0 = (item % tiles) * kTile;
      const int64_t tile = std::min(kTile, t_len - t0);
      const Odometer kept(kept_outer, kept_sizes, kept_strides, o);
      std::fill(acc, acc + tile, 0.0);
      accumulate_range(x + kept.offset + t0 * ks, tile, ks, reduced_outer, reduced_sizes, reduced_strides, rl, rs, 0,
                       reduced_total, acc);
      float* dst = out + o * t_len + t0;
      for (int64_t t = 0; t < tile; ++t) dst[t] = static_cast<float>(acc[t] * scale);
    }
  }
}

}  // namespace ironnet::cpu
