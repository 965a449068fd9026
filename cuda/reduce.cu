// Sum reductions on the GPU over any coalesced set of kept and reduced dimensions, accumulated in
// double (as cpu::reduce_sum) and deterministic: no atomics, fixed combination orders.
//
// K outputs each sum R inputs. The reduced range may be cut into `splits` chunks of `chunk` elements
// so that few outputs still fill the GPU; each chunk's sum then goes to a double workspace
// partial[split * K + k], and a second kernel adds a column of partials in split order. Mappings:
//  - rows (the reduced dimension walks memory more closely than the kept one: row sums, full sums):
//    one block of kRowThreads per (output, split); thread t reads elements begin + t, + kRowThreads...
//    so a warp reads consecutive addresses, then a block reduction (block_sum, block_reduce.cuh);
//  - columns (everything else, e.g. the bias gradient (N, C) -> (C,)): one thread per output, the
//    threads of a warp on neighbouring outputs (coalesced when the kept stride is 1), blockIdx.y the
//    split; each thread adds its chunk in order.
#include <algorithm>
#include <cstdint>

#include "block_reduce.cuh"
#include "common.cuh"
#include "ironnet/cuda/reduce.h"
#include "pointwise.cuh"
#include "strided_index.cuh"

namespace ironnet::cuda {
namespace {

constexpr int kRowThreads = 256;
constexpr int kColumnThreads = 256;
// Enough blocks to fill an H100 (132 SMs) several times over; splitting stops there.
constexpr int64_t kTargetBlocks = 2048;
// A split sums at least this many elements (a block's chunk / a thread's chunk), so the second pass
// stays small next to the first.
constexpr int64_t kRowSplitMin = 8192;
constexpr int64_t kColumnSplitMin = 64;
// Below this many elements per output a block per output would idle most of its threads.
constexpr int64_t kRowMin = 64;
constexpr int64_t kMaxGridY = 65535;

struct Plan {
  bool rows;
  int64_t outputs, reduced, splits, chunk;
};

int64_t product(int rank, const int64_t* sizes) {
  int64_t n = 1;
  for (int d = 0; d < rank; ++d) n *= sizes[d];
  return n;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

Plan plan_for(const ReduceDims& d) {
  Plan p{};
  p.outputs = product(d.kept_rank, d.kept_sizes);
  p.reduced = product(d.reduced_rank, d.reduced_sizes);
  const int64_t kept_inner = d.kept_rank > 0 ? d.kept_strides[d.kept_rank - 1] : 0;
  const int64_t reduced_inner = d.reduced_rank > 0 ? d.reduced_strides[d.reduced_rank - 1] : 0;
  p.rows = p.reduced >= kRowMin && (p.outputs == 1 || reduced_inner < kept_inner);
  int64_t splits;
  if (p.rows) {
    splits = std::min(ceil_div(p.reduced, kRowSplitMin), std::max<int64_t>(1, kTargetBlocks / p.outputs));
  } else {
    const int64_t blocks = ceil_div(p.outputs, kColumnThreads);
    splits = std::min({ceil_div(p.reduced, kColumnSplitMin), std::max<int64_t>(1, kTargetBlocks / blocks), kMaxGridY});
  }
  splits = std::max<int64_t>(1, splits);
  p.chunk = ceil_div(p.reduced, splits);
  p.splits = ceil_div(p.reduced, p.chunk);  // no empty split
  return p;
}

// One (output k, split s) sum: the result itself when there is one split, else a partial.
__device__ inline void store(const Plan& p, int64_t k, int64_t s, double sum, double scale, float* out,
                             double* partial) {
  if (p.splits == 1)
    out[k] = static_cast<float>(sum * scale);
  else
    partial[s * p.outputs + k] = sum;
}

template <class Index>
__global__ void reduce_rows(const float* __restrict__ x, StridedIndex<1> kept, StridedIndex<1> reduced, Plan p,
                            double scale, float* __restrict__ out, double* __restrict__ partial) {
  const int64_t items = p.outputs * p.splits;
  for (int64_t item = blockIdx.x; item < items; item += gridDim.x) {  // uniform across the block
    const int64_t k = item / p.splits, s = item % p.splits;
    int64_t base[1];
    kept.offsets(k, base);
    const int64_t end = p.reduced < (s + 1) * p.chunk ? p.reduced : (s + 1) * p.chunk;
    double sum = 0.0;
    for (int64_t r = s * p.chunk + threadIdx.x; r < end; r += kRowThreads) {
      int64_t offset[1];
      reduced.offsets(static_cast<Index>(r), offset);
      sum += x[base[0] + offset[0]];
    }
    sum = block_sum(sum);
    if (threadIdx.x == 0) store(p, k, s, sum, scale, out, partial);
  }
}

template <class Index>
__global__ void reduce_columns(const float* __restrict__ x, StridedIndex<1> kept, StridedIndex<1> reduced, Plan p,
                               double scale, float* __restrict__ out, double* __restrict__ partial) {
  const int64_t s = blockIdx.y;
  const int64_t end = p.reduced < (s + 1) * p.chunk ? p.reduced : (s + 1) * p.chunk;
  for (int64_t k = first_index(); k < p.outputs; k += grid_step()) {
    int64_t base[1];
    kept.offsets(k, base);
    double sum = 0.0;
    for (int64_t r = s * p.chunk; r < end; ++r) {
      int64_t offset[1];
      reduced.offsets(static_cast<Index>(r), offset);
      sum += x[base[0] + offset[0]];
    }
    store(p, k, s, sum, scale, out, partial);
  }
}

// out[k] = scale * (partial[0 * K + k] + partial[1 * K + k] + ...), in split order.
__global__ void add_partials(Plan p, const double* __restrict__ partial, double scale, float* __restrict__ out) {
  for (int64_t k = first_index(); k < p.outputs; k += grid_step()) {
    double sum = 0.0;
    for (int64_t s = 0; s < p.splits; ++s) sum += partial[s * p.outputs + k];
    out[k] = static_cast<float>(sum * scale);
  }
}

}  // namespace

int64_t reduce_sum_workspace_bytes(const ReduceDims& dims) {
  const Plan p = plan_for(dims);
  return p.splits == 1 ? 0 : p.splits * p.outputs * static_cast<int64_t>(sizeof(double));
}

void reduce_sum(const float* x, const ReduceDims& dims, double scale, float* out, void* workspace, int device) {
  constexpr const char* op = "sum on cuda";
  const Plan p = plan_for(dims);
  if (p.outputs == 0 || p.reduced == 0) return;  // the op entry fills empty reductions
  const int64_t* const kept_strides[1] = {dims.kept_strides};
  const int64_t* const reduced_strides[1] = {dims.reduced_strides};
  const StridedIndex<1> kept = make_strided_index<1>(op, dims.kept_rank, dims.kept_sizes, kept_strides);
  const StridedIndex<1> reduced = make_strided_index<1>(op, dims.reduced_rank, dims.reduced_sizes, reduced_strides);
  auto* partial = static_cast<double*>(workspace);
  DeviceGuard guard(device);
  const unsigned row_grid = grid_for(p.outputs * p.splits, 1);
  const dim3 column_grid(grid_for(p.outputs, kColumnThreads), static_cast<unsigned>(p.splits));
  const bool small = fits_uint32(p.reduced);  // 32-bit index arithmetic in the inner loop
  if (p.rows && small)
    launch_kernel(reduce_rows<uint32_t>, row_grid, kRowThreads, 0, stream(device), x, kept, reduced, p, scale, out,
        partial);
  else if (p.rows)
    launch_kernel(reduce_rows<int64_t>, row_grid, kRowThreads, 0, stream(device), x, kept, reduced, p, scale, out,
        partial);
  else if (small)
    launch_kernel(reduce_columns<uint32_t>, column_grid, kColumnThreads, 0, stream(device), x, kept, reduced, p, scale,
        out, partial);
  else
    launch_kernel(reduce_columns<int64_t>, column_grid, kColumnThreads, 0, stream(device), x, kept, reduced, p, scale,
        out, partial);
  check_launch(op);
  if (p.splits > 1) {
    launch_kernel(add_partials, grid_for(p.outputs, kPointwiseThreads), kPointwiseThreads, 0, stream(device), p,
        partial, scale, out);
    check_launch(op);
  }
}

}  // namespace ironnet::cuda
