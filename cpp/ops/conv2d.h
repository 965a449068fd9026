// The 2-D convolution op (NHWC, Keras's layouts): one coarse native op with a hand-written backward.
#pragma once
#include "ironnet/conv2d.h"
#include "ironnet/tensor.h"

namespace ironnet::ops {

// Checks x (N, H, W, C_in), the kernel (kh, kw, C_in, C_out) and the geometry together (ValueError /
// TypeError naming `op` and the shapes); returns every size of the convolution.
cpu::Conv2dShape conv2d_shape(const char* op, const Tensor& x, const Tensor& w, const Conv2dGeometry& g);
// Checks a bias against the convolution s of kernel w; returns it contiguous.
Tensor conv2d_bias(const char* op, const Tensor& b, const cpu::Conv2dShape& s, const Tensor& w);

// x: (N, H, W, C_in), w: (kh, kw, C_in, C_out), b: (C_out,) or null, all float32 on the CPU.
// Returns y: (N, Ho, Wo, C_out), Ho = (H + pad_top + pad_bottom - dilation_h * (kh - 1) - 1) / stride_h + 1
// (Wo likewise), with relu applied in the same pass when `relu` is set.
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor* b, const Conv2dGeometry& g, bool relu = false);

struct Conv2dGrads {
  Tensor dx, dw, db;  // undefined where not asked for
};
// The backward on the GPU, for op entries that checked everything already: writes each defined tensor
// of grads from contiguous dy, relu_y (or null), x and w, all on dy's CUDA device.
void conv2d_backward_cuda(const cpu::Conv2dShape& s, const Tensor& dy, const Tensor* relu_y, const Tensor& x,
                          const Tensor& w, Conv2dGrads& grads);

// dy: (N, Ho, Wo, C_out). dx, dw and db of conv2d, each only when asked for, from one pass over dy.
// With relu_output (the forward's output when it applied relu), dy is first masked where that output
// is 0, in the same pass.
Conv2dGrads conv2d_backward(const Tensor& dy, const Tensor& x, const Tensor& w, const Conv2dGeometry& g, bool need_dx,
                            bool need_dw, bool need_db, const Tensor* relu_output = nullptr);

}  // namespace ironnet::ops
