// 2-D convolution CPU kernels, callable from C++: activations NHWC (channels last, like Keras),
// weights (kh, kw, C_in, C_out) (Keras's layout, already a row-major K x C_out GEMM operand).
// Arguments are trusted (ops/conv2d.cpp checks them); gradients are written (=), never accumulated.
// num_threads <= 0 means the library's thread count (ironnet::get_num_threads()).
#pragma once
#include <cstdint>

namespace ironnet {

// Stride, dilation and explicit zero padding of a convolution ("same"/"valid" are turned into pads
// by the caller).
struct Conv2dGeometry {
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
};

namespace cpu {

// Every size of one convolution: x (n, h, w, c_in), kernel (kh, kw, c_in, c_out), y (n, ho, wo, c_out).
struct Conv2dShape {
  int64_t n, h, w, c_in, kh, kw, c_out, ho, wo;
  Conv2dGeometry g;
  int64_t pixels() const { return n * ho * wo; }  // output pixels: the rows of the GEMM
  int64_t taps() const { return kh * kw * c_in; }  // one receptive field: the GEMM's depth K
};

// y = conv(x, kernel) + bias (bias may be null), relu applied in the same pass when `relu`.
void conv2d_forward(const Conv2dShape& s, const float* x, const float* kernel, const float* bias, bool relu,
                    float* y, int num_threads = 0);

// Gradients from dy (n, ho, wo, c_out), each written only where its pointer is non-null:
// dx (n, h, w, c_in), dkernel (kh, kw, c_in, c_out), dbias (c_out,). With relu_y (the forward's output
// when it applied relu), dy is first masked where relu_y <= 0, in the same pass.
void conv2d_backward(const Conv2dShape& s, const float* dy, const float* relu_y, const float* x,
                     const float* kernel, float* dx, float* dkernel, float* dbias, int num_threads = 0);

}  // namespace cpu
}  // namespace ironnet
