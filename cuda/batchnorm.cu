// Batch normalization on the GPU, with the CPU kernels' numerics (cpp/kernels/cpu/batchnorm_kernels.h):
// per-channel sums of values shifted near the data (the forward shifts by each channel's first
// element), accumulated in double, then per-channel coefficients, then one affine pass.
//
// x (outer, C, inner) is read as a matrix of `outer` rows and C * inner columns; column col holds
// channel col / inner. Both passes over x tile it the same way: a 32 x 8 thread block owns 32
// consecutive columns (a warp reads 128 contiguous bytes of a row) and one of `splits` row ranges,
// its 8 thread rows striding through that range. The sums pass writes one double per (split,
// column) and sum; a per-channel kernel (one block per channel) then adds a channel's split x inner
// partials in a fixed order. Nothing depends on timing: the results are deterministic.
#include <cmath>

#include "block_reduce.cuh"
#include "kernels/shared/batchnorm_statistics.h"
#include "common.cuh"
#include "ironnet/cuda/batchnorm.h"

namespace ironnet::cuda {
namespace {

constexpr int kTileColumns = 32;
constexpr int kTileRows = 8;
constexpr int64_t kMaxSplits = 256;
constexpr int kChannelThreads = 256;

// The row ranges of the column passes: enough blocks to fill the GPU when there are few columns
// (channels-last data), at least 64 rows per range so the partials stay small (<= numel / 8 doubles).
int64_t splits_of(const cpu::BatchNormDims& d) {
  const int64_t splits = (d.outer + 63) / 64;
  return splits < 1 ? 1 : (splits > kMaxSplits ? kMaxSplits : splits);
}

__host__ __device__ int64_t columns_of(const cpu::BatchNormDims& d) { return d.channels * d.inner; }

// A per-channel value subtracted from the data: base[c * stride], or 0 when base is null.
struct Shift {
  const float* base;
  int64_t stride;
  __device__ float at(int64_t c) const { return base ? base[c * stride] : 0.0f; }
};

// The partial sums of one (split, column): sum(u), sum(v) (kSumV) and sum(u v), where
// u = a - shift_a and v = b - shift_b. Layout: sums k in {u, v, uv} at partials[(k * splits + s) * cols + col].
template <bool kSumV>
__global__ void column_sums(int64_t rows, int64_t cols, int64_t inner, int64_t rows_per_split, const float* a,
                            Shift shift_a, const float* b, Shift shift_b, double* partials) {
  __shared__ double tile[3][kTileRows][kTileColumns];
  const int64_t col = static_cast<int64_t>(blockIdx.x) * kTileColumns + threadIdx.x;
  const int64_t split = blockIdx.y, splits = gridDim.y;
  const int64_t begin = split * rows_per_split;
  const int64_t end = begin + rows_per_split < rows ? begin + rows_per_split : rows;
  double sum_u = 0.0, sum_v = 0.0, sum_uv = 0.0;
  if (col < cols) {
    const int64_t c = col / inner;
    const float sa = shift_a.at(c), sb = shift_b.at(c);
    for (int64_t r = begin + threadIdx.y; r < end; r += kTileRows) {
      const double u = a[r * cols + col] - sa, v = b[r * cols + col] - sb;
      sum_u += u;
      if (kSumV) sum_v += v;
      sum_uv += u * v;
    }
  }
  tile[0][threadIdx.y][threadIdx.x] = sum_u;
  tile[1][threadIdx.y][threadIdx.x] = sum_v;
  tile[2][threadIdx.y][threadIdx.x] = sum_uv;
  __syncthreads();
  // Thread row k < 3 adds up sum k of its column over the 8 thread rows, in order.
  if (threadIdx.y < 3 && col < cols) {
    double total = 0.0;
    for (int t = 0; t < kTileRows; ++t) total += tile[threadIdx.y][t][threadIdx.x];
    partials[(threadIdx.y * splits + split) * cols + col] = total;
  }
}

// Channel c's three totals over its splits x inner partials (every thread gets them). splits == 0: zeros.
struct ChannelTotals {
  double u, v, uv;
};
__device__ ChannelTotals channel_totals(const double* partials, int64_t splits, int64_t cols, int64_t inner,
                                        int64_t c) {
  double t[3] = {0.0, 0.0, 0.0};
  for (int64_t j = threadIdx.x; j < splits * inner; j += blockDim.x) {
    const int64_t s = j / inner, col = c * inner + j % inner;
    for (int k = 0; k < 3; ++k) t[k] += partials[(k * splits + s) * cols + col];
  }
  return ChannelTotals{block_sum(t[0]), block_sum(t[1]), block_sum(t[2])};
}

// One block per channel: the batch statistics, the forward's affine coefficients (scale, offset) and
// the moving-statistics update, each formula as the CPU kernel writes it.
__global__ void train_statistics(cpu::BatchNormDims d, int64_t splits, const double* partials, const float* x,
                                 const float* gamma, const float* beta, float eps, float keep, float take,
                                 float* moving_mean, float* moving_var, float* mean, float* inv_std, float* scale,
                                 float* offset) {
  const int64_t c = blockIdx.x;
  const ChannelTotals sums = channel_totals(partials, splits, columns_of(d), d.inner, c);
  if (threadIdx.x != 0) return;
  batchnorm_statistics::finish_channel(c, sums.u, sums.uv, static_cast<double>(d.outer * d.inner), x[c * d.inner], eps,
                                       gamma, beta, keep, take, mean, inv_std, scale, offset, moving_mean, moving_var);
}

// Inference coefficients, a thread per channel: scale = gamma / sqrt(moving_var + eps), offset = beta.
__global__ void inference_coefficients(int64_t C, const float* gamma, const float* beta, const float* moving_var,
                                       float eps, float* scale, float* offset) {
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < C;
       c += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const double inv = 1.0 / sqrt(static_cast<double>(moving_var[c]) + static_cast<double>(eps));
    scale[c] = static_cast<float>(inv * (gamma ? gamma[c] : 1.0f));
    offset[c] = beta ? beta[c] : 0.0f;
  }
}

// One block per channel, from sum(dy), sum(x - mean), sum(dy (x - mean)): dbeta, dgamma and the
// coefficients of dx = k_dy dy + k_x (x - mean) + k_0 (see the CPU kernel for the rounding term).
__global__ void backward_coefficients(cpu::BatchNormDims d, int64_t splits, const double* partials,
                                      const float* inv_std, const float* gamma, bool batch_statistics, float* dgamma,
                                      float* dbeta, float* k_dy, float* k_x, float* k_0) {
  const int64_t c = blockIdx.x;
  const ChannelTotals sums = channel_totals(partials, splits, columns_of(d), d.inner, c);
  if (threadIdx.x != 0) return;
  const double n = static_cast<double>(d.outer * d.inner);
  const bool batch = batch_statistics && n > 0;
  const double rounding = batch ? sums.v / n : 0.0;      // batch mean - mean
  const double sum_dy = sums.u;
  const double sum_dy_xc = sums.uv - rounding * sum_dy;  // sum(dy * (x - batch mean))
  const double inv = inv_std[c], g = gamma ? gamma[c] : 1.0f;
  if (dbeta) dbeta[c] = static_cast<float>(sum_dy);
  if (dgamma) dgamma[c] = static_cast<float>(sum_dy_xc * inv);
  const double kx = batch ? -g * inv * inv * inv * sum_dy_xc / n : 0.0;
  k_dy[c] = static_cast<float>(g * inv);
  k_x[c] = static_cast<float>(kx);
  k_0[c] = batch ? static_cast<float>(-g * inv * sum_dy / n - kx * rounding) : 0.0f;
}

// out = (b - shift[c]) kb[c] + a ka[c] + k0[c] (kWithA = false drops the a term), tiled like column_sums.
template <bool kWithA>
__global__ void affine(int64_t rows, int64_t cols, int64_t inner, int64_t rows_per_split, const float* b, Shift shift,
                       const float* kb, const float* a, const float* ka, const float* k0, float* out) {
  const int64_t col = static_cast<int64_t>(blockIdx.x) * kTileColumns + threadIdx.x;
  if (col >= cols) return;
  const int64_t c = col / inner;
  const float sh = shift.at(c), fb = kb[c], fa = kWithA ? ka[c] : 0.0f, f0 = k0[c];
  const int64_t begin = static_cast<int64_t>(blockIdx.y) * rows_per_split;
  const int64_t end = begin + rows_per_split < rows ? begin + rows_per_split : rows;
  for (int64_t r = begin + threadIdx.y; r < end; r += kTileRows) {
    const int64_t k = r * cols + col;
    out[k] = (b[k] - sh) * fb + (kWithA ? a[k] * fa : 0.0f) + f0;
  }
}

// The launch shape of the column passes.
struct ColumnGrid {
  int64_t splits, rows_per_split;
  dim3 grid, block;
  explicit ColumnGrid(const cpu::BatchNormDims& d)
      : splits(splits_of(d)),
        rows_per_split((d.outer + splits - 1) / splits),
        grid(static_cast<unsigned>((columns_of(d) + kTileColumns - 1) / kTileColumns), static_cast<unsigned>(splits)),
        block(kTileColumns, kTileRows) {}
};

void check_grid(const ColumnGrid& g, const char* op) {
  if (g.grid.x == 0 || g.grid.x > 0x7fffffffu) fail<ValueError>(op, ": ", g.grid.x, " column tiles do not fit one launch");
}

}  // namespace

int64_t batch_norm_partials(const cpu::BatchNormDims& d) { return 3 * splits_of(d) * columns_of(d); }

void batch_norm_train_forward(const cpu::BatchNormDims& d, const float* x, const float* gamma, const float* beta,
                              double momentum, float eps, float* moving_mean, float* moving_var, float* y,
                              float* mean, float* inv_std, double* partials, float* coefficients, int device) {
  constexpr const char* op = "batch_norm on cuda";
  if (d.channels == 0) return;
  DeviceGuard guard(device);
  const ColumnGrid g(d);
  check_grid(g, op);
  cudaStream_t s = stream(device);
  const Shift pivot{x, d.inner};  // each channel's first element
  launch_kernel(column_sums<false>, g.grid, g.block, 0, s, d.outer, columns_of(d), d.inner, g.rows_per_split, x, pivot,
      x, pivot, partials);
  check_launch(op);
  // Keras's update in float32: momentum and 1 - momentum (taken in double) each rounded to float32.
  const float keep = static_cast<float>(momentum), take = static_cast<float>(1.0 - momentum);
  float* scale = coefficients;
  float* offset = coefficients + d.channels;
  launch_kernel(train_statistics, static_cast<unsigned>(d.channels), kChannelThreads, 0, s, d, g.splits, partials, x,
      gamma, beta, eps, keep, take, moving_mean, moving_var, mean, inv_std, scale, offset);
  check_launch(op);
  launch_kernel(affine<false>, g.grid, g.block, 0, s, d.outer, columns_of(d), d.inner, g.rows_per_split, x, pivot,
      scale, nullptr, nullptr, offset, y);
  check_launch(op);
}

void batch_norm_inference_forward(const cpu::BatchNormDims& d, const float* x, const float* gamma, const float* beta,
                                  const float* moving_mean, const float* moving_var, float eps, float* y,
                                  float* coefficients, int device) {
  constexpr const char* op = "batch_norm on cuda";
  if (d.outer * d.inner == 0 || d.channels == 0) return;
  DeviceGuard guard(device);
  const ColumnGrid g(d);
  check_grid(g, op);
  cudaStream_t s = stream(device);
  float* scale = coefficients;
  float* offset = coefficients + d.channels;
  launch_kernel(inference_coefficients, grid_for(d.channels, kChannelThreads), kChannelThreads, 0, s, d.channels, gamma,
      beta, moving_var, eps, scale, offset);
  check_launch(op);
  launch_kernel(affine<false>, g.grid, g.block, 0, s, d.outer, columns_of(d), d.inner, g.rows_per_split, x,
      Shift{moving_mean, 1}, scale, nullptr, nullptr, offset, y);
  check_launch(op);
}

void batch_norm_backward(const cpu::BatchNormDims& d, const float* dy, const float* x, const float* mean,
                         const float* inv_std, const float* gamma, bool batch_statistics, float* dx, float* dgamma,
                         float* dbeta, double* partials, float* coefficients, int device) {
  constexpr const char* op = "batch_norm_backward on cuda";
  const bool need_sums = batch_statistics || dgamma || dbeta;
  if ((!need_sums && !dx) || d.channels == 0) return;
  DeviceGuard guard(device);
  const ColumnGrid g(d);
  cudaStream_t s = stream(device);
  const bool any_rows = d.outer * d.inner > 0;
  if (any_rows) check_grid(g, op);
  // sum(dy), sum(x - mean) (batch statistics only) and sum(dy (x - mean)) per channel.
  const Shift no_shift{nullptr, 0}, mean_shift{mean, 1};
  if (need_sums && any_rows) {
    if (batch_statistics)
      launch_kernel(column_sums<true>, g.grid, g.block, 0, s, d.outer, columns_of(d), d.inner, g.rows_per_split, dy,
          no_shift, x, mean_shift, partials);
    else
      launch_kernel(column_sums<false>, g.grid, g.block, 0, s, d.outer, columns_of(d), d.inner, g.rows_per_split, dy,
          no_shift, x, mean_shift, partials);
    check_launch(op);
  }
  float* k_dy = coefficients;
  float* k_x = coefficients + d.channels;
  float* k_0 = coefficients + 2 * d.channels;
  const int64_t splits_summed = need_sums && any_rows ? g.splits : 0;  // 0: every sum is 0
  launch_kernel(backward_coefficients, static_cast<unsigned>(d.channels), kChannelThreads, 0, s, d, splits_summed,
      partials, inv_std, gamma, batch_statistics, dgamma, dbeta, k_dy, k_x, k_0);
  check_launch(op);
  if (dx && any_rows) {
    launch_kernel(affine<true>, g.grid, g.block, 0, s, d.outer, columns_of(d), d.inner, g.rows_per_split, x, mean_shift,
        k_x, dy, k_dy, k_0, dx);
    check_launch(op);
  }
}

}  // namespace ironnet::cuda
