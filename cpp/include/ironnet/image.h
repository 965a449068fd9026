// Image warps on channels_last batches, callable from C++: the kernels behind the augmentation
// layers (RandomRotation, RandomTranslation, RandomFlip).
//
// Convention (TF / Keras's ImageProjectiveTransform, output -> input): a transform row
// [a0 a1 a2 b0 b1 b2] says where each OUTPUT pixel (column x, row y) reads from: the INPUT location
//     (a0 * x + a1 * y + a2,  b0 * x + b1 * y + b2)    (column, row), in pixels.
// Sampling follows scipy/jax map_coordinates (what Keras 3 uses): each interpolation tap (the
// nearest pixel, or the 2x2 neighbours of a bilinear read) is an integer index that the fill mode
// maps back into the image, so the warp is linear in x and its backward is an exact transpose.
#pragma once
#include <cstdint>

namespace ironnet::cpu {

enum class Interpolation { Nearest, Bilinear };

// For a tap outside [0, len): reflect (d c b a | a b c d | d c b a), wrap (a b c d | a b c d),
// constant (the tap reads fill_value), nearest (the edge pixel: a a a a | a b c d | d d d d).
enum class FillMode { Reflect, Wrap, Constant, Nearest };

// x / dx: (batch, in_height, in_width, channels); y / dy: (batch, out_height, out_width, channels);
// transforms: (batch, 6), one row per image. All contiguous float32.
struct WarpShape {
  int64_t batch, in_height, in_width, out_height, out_width, channels;
};

// y[n] = x[n] sampled at transforms[n] applied to every output pixel. Nearest rounds half up
// (floor(c + 0.5)). Parallel over output rows.
void affine_warp(const WarpShape& shape, const float* x, const float* transforms, float* y,
                 Interpolation interpolation, FillMode fill_mode, float fill_value, int num_threads = 0);

// dx = the transpose of affine_warp applied to dy: each dy pixel scatter-added onto the input taps
// it was read from, with the same weights (fill_value taps carry no gradient). dx is written (=),
// not accumulated. Parallel over images, so no two threads add into the same image.
void affine_warp_backward(const WarpShape& shape, const float* dy, const float* transforms, float* dx,
                          Interpolation interpolation, FillMode fill_mode, int num_threads = 0);

}  // namespace ironnet::cpu

namespace ironnet::cpu {

// y[n] = x[n] mirrored left-right where horizontal[n] != 0 and upside-down where vertical[n] != 0;
// x, y: (batch, height, width, channels), contiguous. Its own inverse, so also its own backward.
// A copy kernel: ~20x faster than the same flip as a nearest warp (measured, 128x28x28x1).
void flip(int64_t batch, int64_t height, int64_t width, int64_t channels, const float* x, const int64_t* horizontal,
          const int64_t* vertical, float* y, int num_threads = 0);

}  // namespace ironnet::cpu
