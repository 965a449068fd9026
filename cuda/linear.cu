// The dense layer's bias gradient (column sums of dy) around the GEMM, in two deterministic passes so
// that every row range gets threads even when the layer has few units. (The gradient through a fused
// relu is the activations family's cuda::relu_backward.)
#include "common.cuh"
#include "ironnet/cuda/linear.h"

namespace ironnet::cuda {
namespace {

constexpr int kColumns = 32, kLanes = 8;  // pass 1 block: 32 columns x 8 row lanes = 256 threads

// Pass 1. Block (blockIdx.x, chunk): thread (lane = threadIdx.x / 32, column = threadIdx.x % 32) sums
// rows chunk * kColumnSumChunk + lane, + lane + 8, ... of its column (a warp reads 32 adjacent
// floats of a row), then lane 0 adds the 8 lane sums in order into partials[chunk][column].
__global__ void column_partials_kernel(int64_t rows, int64_t cols, const float* __restrict__ x, int64_t ldx,
                                       int64_t chunks, double* __restrict__ partials) {
  __shared__ double lane_sums[kLanes][kColumns];
  const int column = threadIdx.x % kColumns, lane = threadIdx.x / kColumns;
  const int64_t j = static_cast<int64_t>(blockIdx.x) * kColumns + column;
  for (int64_t chunk = blockIdx.y; chunk < chunks; chunk += gridDim.y) {  // the same trip count for the block
    const int64_t begin = chunk * kColumnSumChunk;
    const int64_t end = begin + kColumnSumChunk < rows ? begin + kColumnSumChunk : rows;
    double sum = 0.0;
    if (j < cols)
      for (int64_t i = begin + lane; i < end; i += kLanes) sum += x[i * ldx + j];
    lane_sums[lane][column] = sum;
    __syncthreads();
    if (lane == 0 && j < cols) {
      double total = 0.0;
      for (int l = 0; l < kLanes; ++l) total += lane_sums[l][column];
      partials[chunk * cols + j] = total;
    }
    __syncthreads();  // lane_sums is rewritten by the next chunk
  }
}

// Pass 2: one thread per column adds its partials in chunk order.
__global__ void column_totals_kernel(int64_t cols, int64_t chunks, const double* __restrict__ partials,
                                     float* __restrict__ out) {
  for (int64_t j = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; j < cols;
       j += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    double total = 0.0;
    for (int64_t chunk = 0; chunk < chunks; ++chunk) total += partials[chunk * cols + j];
    out[j] = static_cast<float>(total);
  }
}

}  // namespace

void linear_column_sums(int64_t rows, int64_t cols, const float* x, int64_t ldx, double* partials, float* out,
                        int device) {
  if (cols == 0) return;
  DeviceGuard guard(device);
  const int64_t chunks = (rows + kColumnSumChunk - 1) / kColumnSumChunk;
  const int64_t column_blocks = (cols + kColumns - 1) / kColumns;
  if (column_blocks > 0x7fffffff) fail<ValueError>("linear_backward on cuda: ", cols, " columns are too many");
  if (chunks > 0) {  // rows == 0: no partials, the totals are zeros
    const dim3 grid(static_cast<unsigned>(column_blocks), static_cast<unsigned>(chunks < 65535 ? chunks : 65535));
    launch_kernel(column_partials_kernel, grid, kColumns * kLanes, 0, stream(device), rows, cols, x, ldx, chunks,
        partials);
    check_launch("linear_backward bias gradient on cuda");
  }
  constexpr int kThreads = 256;
  launch_kernel(column_totals_kernel, grid_for(cols, kThreads), kThreads, 0, stream(device), cols, chunks, partials,
      out);
  check_launch("linear_backward bias gradient on cuda");
}

}  // namespace ironnet::cuda
