// Kernels of the fused conv2d(relu) -> max_pool2d pair (ops/conv2d_pool.h), callable from C++.
// Arguments are trusted (ops/conv2d_pool.cpp checks them). Gradients are written (=).
// num_threads <= 0 means the library's thread count (ironnet::get_num_threads()).
#pragma once
#include <cstdint>

#include "ironnet/conv2d.h"
#include "ironnet/pooling.h"

namespace ironnet::cpu {

// The weight and bias gradients of y = max_pool(relu(conv(x, kernel) + bias)) from the POOLED side
// only: max pooling sends dpooled to each window's argmax, and relu passes it there exactly when
// pooled > 0, so dkernel[t, c] = sum over pooled (n, ph, pw) with pooled > 0 of
// dpooled * x[field of the argmax's conv pixel][t], and dbias[c] = the sum of those dpooled. The
// full-size conv output and its gradient are never built.
// s: the convolution; p: the pooling of its (n, ho, wo, c_out) output; dpooled, pooled, argmax
// (n, p.out_h, p.out_w, c_out) with argmax = oh * wo + ow (max_pool2d_forward's); x (n, h, w, c_in).
// dkernel (kh, kw, c_in, c_out) is required; dbias (c_out,) may be null.
void conv2d_relu_max_pool2d_weight_grad(const Conv2dShape& s, const Pool2dGeometry& p, const float* dpooled,
                                        const float* pooled, const int32_t* argmax, const float* x, float* dkernel,
                                        float* dbias, int num_threads = 0);

}  // namespace ironnet::cpu
