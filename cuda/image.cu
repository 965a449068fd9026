// Image ops on the GPU (channels_last), sampling exactly as the CPU kernels through the shared
// kernels/shared/image_taps.h (coordinates rounded as the CPU rounds them, same taps, same weights).
//  - affine_warp: one thread per output pixel (n, oy, ox) of a grid-stride loop; it computes its taps
//    once and writes the pixel's C channels.
//  - affine_warp_backward: dx zeroed, then one thread per dy pixel adds weight * dy onto each input
//    tap with atomicAdd (the transpose of a gather is a scatter; taps with weight 0 are skipped).
//  - flip: one thread per output element, reading its mirrored source element.
#include <cstdint>
#include <type_traits>

#include "common.cuh"
#include "ironnet/cuda/image.h"
#include "kernels/shared/image_taps.h"
#include "pointwise.cuh"

namespace ironnet::cuda {
namespace {

using cpu::FillMode;
using cpu::Interpolation;
using cpu::WarpShape;
using image_taps::mul_add_rounded;
using image_taps::Taps;
using image_taps::taps_at;

// The taps of output pixel `pixel` (flat over batch, out_height, out_width); sets its image n.
template <Interpolation I>
__device__ inline Taps<I> pixel_taps(const WarpShape& s, const float* transforms, FillMode mode, int64_t pixel,
                                     int64_t& n) {
  const int64_t ox = pixel % s.out_width, rest = pixel / s.out_width;
  const int64_t oy = rest % s.out_height;
  n = rest / s.out_height;
  const float* t = transforms + 6 * n;
  // The CPU's order of operations: the row's start first, then the column's step.
  const float row_x = mul_add_rounded(t[1], static_cast<float>(oy), t[2]);
  const float row_y = mul_add_rounded(t[4], static_cast<float>(oy), t[5]);
  const float fx = static_cast<float>(ox);
  return taps_at<I>(mul_add_rounded(t[0], fx, row_x), mul_add_rounded(t[3], fx, row_y), s, mode);
}

template <Interpolation I>
__global__ void warp_forward(WarpShape s, const float* __restrict__ x, const float* __restrict__ transforms,
                             float* __restrict__ y, FillMode mode, float fill_value) {
  const int64_t pixels = s.batch * s.out_height * s.out_width, image = s.in_height * s.in_width * s.channels;
  for (int64_t pixel = first_index(); pixel < pixels; pixel += grid_step()) {
    int64_t n;
    const Taps<I> tp = pixel_taps<I>(s, transforms, mode, pixel, n);
    const float* in = x + n * image;
    float* out = y + pixel * s.channels;
    const float fill = tp.fill_weight * fill_value;
    if constexpr (I == Interpolation::Nearest) {
      const bool inside = tp.weight[0] != 0.0f;  // a copy, as on the CPU: values pass bit for bit
      for (int64_t c = 0; c < s.channels; ++c) out[c] = inside ? in[tp.offset[0] + c] : fill;
    } else {
      for (int64_t c = 0; c < s.channels; ++c)
        out[c] = tp.weight[0] * in[tp.offset[0] + c] + tp.weight[1] * in[tp.offset[1] + c] +
                 tp.weight[2] * in[tp.offset[2] + c] + tp.weight[3] * in[tp.offset[3] + c] + fill;
    }
  }
}

template <Interpolation I>
__global__ void warp_backward(WarpShape s, const float* __restrict__ dy, const float* __restrict__ transforms,
                              float* __restrict__ dx, FillMode mode) {
  const int64_t pixels = s.batch * s.out_height * s.out_width, image = s.in_height * s.in_width * s.channels;
  for (int64_t pixel = first_index(); pixel < pixels; pixel += grid_step()) {
    int64_t n;
    const Taps<I> tp = pixel_taps<I>(s, transforms, mode, pixel, n);
    float* din = dx + n * image;
    const float* g = dy + pixel * s.channels;
    for (int k = 0; k < Taps<I>::kCount; ++k) {
      const float w = tp.weight[k];
      if (w == 0.0f) continue;  // a fill tap or a zero bilinear weight: adds nothing
      for (int64_t c = 0; c < s.channels; ++c) atomicAdd(din + tp.offset[k] + c, w * g[c]);
    }
  }
}

__global__ void flip_kernel(int64_t batch, int64_t height, int64_t width, int64_t channels,
                            const float* __restrict__ x, const int64_t* __restrict__ horizontal,
                            const int64_t* __restrict__ vertical, float* __restrict__ y) {
  const int64_t total = batch * height * width * channels;
  for (int64_t i = first_index(); i < total; i += grid_step()) {
    const int64_t c = i % channels, pixel = i / channels;
    const int64_t ox = pixel % width, row = pixel / width;
    const int64_t oy = row % height, n = row / height;
    const int64_t ix = horizontal[n] ? width - 1 - ox : ox;
    const int64_t iy = vertical[n] ? height - 1 - oy : oy;
    y[i] = x[((n * height + iy) * width + ix) * channels + c];
  }
}

}  // namespace

void affine_warp(const WarpShape& s, const float* x, const float* transforms, float* y, Interpolation interpolation,
                 FillMode fill_mode, float fill_value, int device) {
  const int64_t pixels = s.batch * s.out_height * s.out_width;
  if (pixels == 0 || s.channels == 0) return;
  // Only constant mode reads fill_value; elsewhere its weight is 0 and the term must stay 0.
  const float fill = fill_mode == FillMode::Constant ? fill_value : 0.0f;
  DeviceGuard guard(device);
  const unsigned grid = grid_for(pixels, kPointwiseThreads);
  if (interpolation == Interpolation::Nearest)
    launch_kernel(warp_forward<Interpolation::Nearest>, grid, kPointwiseThreads, 0, stream(device), s, x, transforms, y,
        fill_mode, fill);
  else
    launch_kernel(warp_forward<Interpolation::Bilinear>, grid, kPointwiseThreads, 0, stream(device), s, x, transforms,
        y, fill_mode, fill);
  check_launch("affine_warp on cuda");
}

void affine_warp_backward(const WarpShape& s, const float* dy, const float* transforms, float* dx,
                          Interpolation interpolation, FillMode fill_mode, int device) {
  const int64_t image = s.in_height * s.in_width * s.channels;
  if (s.batch == 0 || image == 0) return;
  DeviceGuard guard(device);
  check(cudaMemsetAsync(dx, 0, static_cast<size_t>(s.batch * image) * sizeof(float), stream(device)),
        "affine_warp_backward on cuda (cudaMemsetAsync)");
  const int64_t pixels = s.batch * s.out_height * s.out_width;
  if (pixels == 0) return;
  const unsigned grid = grid_for(pixels, kPointwiseThreads);
  if (interpolation == Interpolation::Nearest)
    launch_kernel(warp_backward<Interpolation::Nearest>, grid, kPointwiseThreads, 0, stream(device), s, dy, transforms,
        dx, fill_mode);
  else
    launch_kernel(warp_backward<Interpolation::Bilinear>, grid, kPointwiseThreads, 0, stream(device), s, dy, transforms,
        dx, fill_mode);
  check_launch("affine_warp_backward on cuda");
}

void flip(int64_t batch, int64_t height, int64_t width, int64_t channels, const float* x, const int64_t* horizontal,
          const int64_t* vertical, float* y, int device) {
  const int64_t total = batch * height * width * channels;
  if (total == 0) return;
  DeviceGuard guard(device);
  launch_kernel(flip_kernel, grid_for(total, kPointwiseThreads), kPointwiseThreads, 0, stream(device), batch, height,
      width, channels, x, horizontal, vertical, y);
  check_launch("flip on cuda");
}

}  // namespace ironnet::cuda
