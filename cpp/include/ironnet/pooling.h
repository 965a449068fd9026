// 2-D pooling CPU kernels on NHWC (channels-last) float32 images, callable from any C++ code.
// Arguments are trusted (the op entry points in cpp/ops/pooling.cpp check them): contiguous arrays,
// x / dx (batch, in_h, in_w, channels), y / dy / argmax (batch, out_h, out_w, channels), outputs that
// do not overlap inputs. Every window holds at least one real (unpadded) element. Gradients are
// written (=), never accumulated. num_threads <= 0 means the library's thread count.
#pragma once
#include <cstdint>

namespace ironnet::cpu {

// Where the windows lie: output (oh, ow) pools input rows [oh * stride_h - pad_top, + pool_h) and
// columns [ow * stride_w - pad_left, + pool_w), clipped to the image; what is clipped is padding.
struct Pool2dGeometry {
  int64_t batch, in_h, in_w, channels;
  int64_t pool_h, pool_w, stride_h, stride_w;
  int64_t pad_top, pad_left;
  int64_t out_h, out_w;
};

// y = the max over each window's real elements; argmax = where it is, as the flat index
// ih * in_w + iw within the image (per channel). Ties keep the first maximum in row-major window
// order (as TensorFlow and PyTorch); a NaN wins over any number (as PyTorch).
void max_pool2d_forward(const Pool2dGeometry& g, const float* x, float* y, int32_t* argmax, int num_threads = 0);
// dx = the sum of dy over the outputs whose argmax is each input element (0 for the others).
void max_pool2d_backward(const Pool2dGeometry& g, const float* dy, const int32_t* argmax, float* dx,
                         int num_threads = 0);

// y = the mean over each window's real elements (padding is not counted: Keras/TF "same", and
// PyTorch's count_include_pad=False); dx = the sum of dy / count over the windows holding each input.
void avg_pool2d_forward(const Pool2dGeometry& g, const float* x, float* y, int num_threads = 0);
void avg_pool2d_backward(const Pool2dGeometry& g, const float* dy, float* dx, int num_threads = 0);

}  // namespace ironnet::cpu
