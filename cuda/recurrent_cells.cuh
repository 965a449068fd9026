// What the forward and backward step kernels of the recurrent sequences on the GPU share
// (cuda/recurrent_forward.cu, cuda/recurrent_backward.cu): the activations and their derivatives
// taken from the activated values (tanh' = 1 - y^2, sigmoid' = y (1 - y), ...), which is all the
// training workspace keeps, exactly as the CPU cells (kernels/cpu/recurrent_cells_kernels.h) do; the
// fused step kernels' tiles; and the one-thread-per-(row, unit) loop of the plain pointwise kernels.
#pragma once
#include <cstdint>

#include "common.cuh"
#include "ironnet/cuda_api.h"
#include "ironnet/recurrent.h"

namespace ironnet::cuda::rnn {

using cpu::RnnActivation;
using cpu::RnnCell;
using cpu::RnnGateActivation;
using cpu::RnnShape;

// Gate blocks of the kernels (k): LSTM i, f, c, o; GRU z, r, h; simple RNN one. (ironnet_core's
// cpu::rnn_gate_count is not visible from this library: it is linked before it.)
inline int64_t gate_count(RnnCell cell) {
  return cell == RnnCell::Lstm ? 4 : (cell == RnnCell::Simple ? 1 : 3);
}

// The input position of the step-th step run (reverse runs t = T-1 ... 0).
inline int64_t position(int64_t step, const RnnShape& s) { return s.reverse ? s.steps - 1 - step : step; }

// dst = src (n floats), or zeros when src is null, queued on the device's stream; nothing when dst is
// null or n is 0.
inline void copy_or_zero(float* dst, const float* src, int64_t n, int device) {
  if (dst == nullptr || n == 0) return;
  const size_t bytes = static_cast<size_t>(n) * sizeof(float);
  if (src)
    copy_device_to_device(dst, src, bytes, device);
  else
    memset_zero(dst, bytes, device);
}

// Threads per block of the pointwise step kernels: one thread per (batch row, unit), grid-stride.
constexpr int kCellThreads = 256;

__device__ inline float sigmoid(float v) {
  const float e = expf(-fabsf(v));  // in (0, 1]: never overflows
  const float s = 1.0f / (1.0f + e);
  return v >= 0.0f ? s : e * s;
}

__device__ inline float activate(RnnActivation act, float v) {
  switch (act) {
    case RnnActivation::Tanh: return tanhf(v);
    case RnnActivation::Relu: return v > 0.0f ? v : 0.0f;
    case RnnActivation::Sigmoid: return sigmoid(v);
    case RnnActivation::Linear: return v;
  }
  return v;
}

// Keras's gates: sigmoid, or hard sigmoid = relu6(x + 3) / 6.
__device__ inline float activate_gate(RnnGateActivation act, float v) {
  if (act == RnnGateActivation::Sigmoid) return sigmoid(v);
  const float s = (v + 3.0f) * (1.0f / 6.0f);
  return s < 0.0f ? 0.0f : (s > 1.0f ? 1.0f : s);
}

// g * f'(x) with f' written in terms of y = f(x). Relu and hard sigmoid select rather than multiply
// by 0, so an infinite g outside their slopes gives 0 as on the CPU.
__device__ inline float scale_by_derivative(RnnActivation act, float y, float g) {
  switch (act) {
    case RnnActivation::Tanh: return g * (1.0f - y * y);
    case RnnActivation::Relu: return y > 0.0f ? g : 0.0f;
    case RnnActivation::Sigmoid: return g * (y * (1.0f - y));
    case RnnActivation::Linear: return g;
  }
  return g;
}

__device__ inline float scale_by_gate_derivative(RnnGateActivation act, float y, float g) {
  if (act == RnnGateActivation::Sigmoid) return scale_by_derivative(RnnActivation::Sigmoid, y, g);
  return (y > 0.0f && y < 1.0f) ? g * (1.0f / 6.0f) : 0.0f;
}

// Tiles of the fused step kernels (a recurrent product and the cell in one launch): a block owns
// kTileUnits hidden units (with all their gates) for kTileRows batch rows, one thread per (row, unit),
// and stages the product's operands through shared memory kTileDepth values of the reduction at a time.
constexpr int kTileUnits = 8, kTileRows = 16, kTileThreads = kTileUnits * kTileRows, kTileDepth = 32;

// The fused step kernels' grid: x over unit slices, y over row tiles.
inline dim3 tile_grid(int64_t batch, int64_t units, const char* op) {
  const int64_t x = (units + kTileUnits - 1) / kTileUnits, y = (batch + kTileRows - 1) / kTileRows;
  if (y > 65535 || x > 2147483647)
    fail<ValueError>(op, ": batch ", batch, " x units ", units, " is too large for one launch");
  return dim3(static_cast<unsigned>(x), static_cast<unsigned>(y));
}

// Runs Cell::run(args, b, j) for every batch row b and unit j: one thread per (b, j), j fastest so a
// warp touches 32 consecutive units of each gate block (coalesced), grid-stride over B * H.
template <class Cell, class Args>
__global__ void for_each_unit(Args args) {
  const int64_t n = args.batch * args.units;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < n; idx += stride)
    Cell::run(args, idx / args.units, idx % args.units);
}

// Queues for_each_unit<Cell> over args' B * H units on the device's stream (the caller holds a DeviceGuard).
template <class Cell, class Args>
void launch_units(const Args& args, int device, const char* op) {
  const int64_t n = args.batch * args.units;
  if (n == 0) return;
  launch_kernel(for_each_unit<Cell, Args>, grid_for(n, kCellThreads), kCellThreads, 0, stream(device), args);
  check_launch(op);
}

// Row b is a padded step (state carried over, output 0, no gradient into the gates).
__device__ inline bool is_padded(const int32_t* mask, int64_t ld_mask, int64_t b) {
  return mask != nullptr && mask[b * ld_mask] == 0;
}

}  // namespace ironnet::cuda::rnn
