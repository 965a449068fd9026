// 2-D pooling on the GPU, NHWC float32, the CPU kernels' windows and arithmetic (ironnet/pooling.h):
// one thread per output element for the forward, one per input element for the backward, with c the
// fastest index so a warp reads and writes 32 consecutive channels of a pixel. The backward gathers
// from the windows covering its input element (rows oh, then columns ow, ascending: the order in which
// the CPU kernel adds them), so no two threads write the same element and no atomics are needed.
#include "common.cuh"
#include "ironnet/cuda/pooling.h"

namespace ironnet::cuda {
namespace {

using cpu::Pool2dGeometry;

// Real (unpadded) extent [begin, end) of the window of output o along one axis.
struct Span {
  int64_t begin, end;
};
__host__ __device__ Span window(int64_t o, int64_t stride, int64_t pad, int64_t pool, int64_t size) {
  const int64_t start = o * stride - pad;
  return {start > 0 ? start : 0, start + pool < size ? start + pool : size};
}

// Outputs [first, last] along one axis whose windows hold input index i (empty when first > last).
struct Covering {
  int64_t first, last;
};
__host__ __device__ Covering covering(int64_t i, int64_t stride, int64_t pad, int64_t pool, int64_t out) {
  // Window o covers [o * stride - pad, o * stride - pad + pool): those with i inside.
  const int64_t reach = i + pad - pool + 1;
  const int64_t first = reach <= 0 ? 0 : (reach + stride - 1) / stride;
  const int64_t last = (i + pad) / stride < out - 1 ? (i + pad) / stride : out - 1;
  return {first, last};
}

// Output element e = ((n * out_h + oh) * out_w + ow) * channels + c, decoded.
struct Output {
  int64_t n, c;
  Span rows, cols;
};
__host__ __device__ Output output_of(const Pool2dGeometry& g, int64_t e) {
  const int64_t c = e % g.channels, pixel = e / g.channels;
  const int64_t ow = pixel % g.out_w, oh = (pixel / g.out_w) % g.out_h, n = pixel / (g.out_w * g.out_h);
  return {n, c, window(oh, g.stride_h, g.pad_top, g.pool_h, g.in_h),
          window(ow, g.stride_w, g.pad_left, g.pool_w, g.in_w)};
}

// The per-element bodies are __host__ __device__ so that a host program can check them without a GPU.

// Output element e of max pooling.
__host__ __device__ void max_forward_at(const Pool2dGeometry& g, const float* x, float* y, int32_t* argmax, int64_t e) {
  const Output o = output_of(g, e);
  const float* image = x + o.n * g.in_h * g.in_w * g.channels + o.c;
  int64_t at = o.rows.begin * g.in_w + o.cols.begin;
  float best = image[at * g.channels];
  for (int64_t ih = o.rows.begin; ih < o.rows.end; ++ih)
    for (int64_t iw = ih == o.rows.begin ? o.cols.begin + 1 : o.cols.begin; iw < o.cols.end; ++iw) {
      const int64_t index = ih * g.in_w + iw;
      const float v = image[index * g.channels];
      // Strictly greater: a tie keeps the earlier element. v != v: a NaN takes over (as the CPU).
      if (v > best || v != v) {
        best = v;
        at = index;
      }
    }
  y[e] = best;
  argmax[e] = static_cast<int32_t>(at);
}

// Output element e of average pooling.
__host__ __device__ void avg_forward_at(const Pool2dGeometry& g, const float* x, float* y, int64_t e) {
  const Output o = output_of(g, e);
  const float* image = x + o.n * g.in_h * g.in_w * g.channels + o.c;
  float sum = 0.0f;
  for (int64_t ih = o.rows.begin; ih < o.rows.end; ++ih)
    for (int64_t iw = o.cols.begin; iw < o.cols.end; ++iw) sum += image[(ih * g.in_w + iw) * g.channels];
  const int64_t count = (o.rows.end - o.rows.begin) * (o.cols.end - o.cols.begin);
  y[e] = sum * (1.0f / static_cast<float>(count));
}

// Input element e = ((n * in_h + ih) * in_w + iw) * channels + c: the windows covering it, and the
// offset of output (n, 0, 0, c) in dy.
struct Input {
  int64_t ih, iw, dy_base;
  Covering rows, cols;
};
__host__ __device__ Input input_of(const Pool2dGeometry& g, int64_t e) {
  const int64_t c = e % g.channels, pixel = e / g.channels;
  const int64_t iw = pixel % g.in_w, ih = (pixel / g.in_w) % g.in_h, n = pixel / (g.in_w * g.in_h);
  return {ih, iw, n * g.out_h * g.out_w * g.channels + c, covering(ih, g.stride_h, g.pad_top, g.pool_h, g.out_h),
          covering(iw, g.stride_w, g.pad_left, g.pool_w, g.out_w)};
}

// Input element e of max pooling's backward.
__host__ __device__ void max_backward_at(const Pool2dGeometry& g, const float* dy, const float* relu_y,
                                       const int32_t* argmax, float* dx, int64_t e) {
  const Input in = input_of(g, e);
  const int32_t here = static_cast<int32_t>(in.ih * g.in_w + in.iw);
  float sum = 0.0f;
  for (int64_t oh = in.rows.first; oh <= in.rows.last; ++oh)
    for (int64_t ow = in.cols.first; ow <= in.cols.last; ++ow) {
      const int64_t o = in.dy_base + (oh * g.out_w + ow) * g.channels;
      if (argmax[o] == here && (relu_y == nullptr || relu_y[o] > 0.0f)) sum += dy[o];
    }
  dx[e] = sum;
}

// Input element e of average pooling's backward.
__host__ __device__ void avg_backward_at(const Pool2dGeometry& g, const float* dy, float* dx, int64_t e) {
  const Input in = input_of(g, e);
  float sum = 0.0f;
  for (int64_t oh = in.rows.first; oh <= in.rows.last; ++oh) {
    const Span rows = window(oh, g.stride_h, g.pad_top, g.pool_h, g.in_h);
    for (int64_t ow = in.cols.first; ow <= in.cols.last; ++ow) {
      const Span cols = window(ow, g.stride_w, g.pad_left, g.pool_w, g.in_w);
      const float scale = 1.0f / static_cast<float>((rows.end - rows.begin) * (cols.end - cols.begin));
      sum += dy[in.dy_base + (oh * g.out_w + ow) * g.channels] * scale;
    }
  }
  dx[e] = sum;
}

// Runs body(e) for e < total, one thread per element in a grid-stride loop.
template <class Body>
__global__ void for_each_element(int64_t total, Body body) {
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x)
    body(e);
}

// The bodies, as the kernel's arguments.
struct MaxForward {
  Pool2dGeometry g;
  const float* x;
  float* y;
  int32_t* argmax;
  __device__ void operator()(int64_t e) const { max_forward_at(g, x, y, argmax, e); }
};
struct MaxBackward {
  Pool2dGeometry g;
  const float *dy, *relu_y;
  const int32_t* argmax;
  float* dx;
  __device__ void operator()(int64_t e) const { max_backward_at(g, dy, relu_y, argmax, dx, e); }
};
struct AvgForward {
  Pool2dGeometry g;
  const float* x;
  float* y;
  __device__ void operator()(int64_t e) const { avg_forward_at(g, x, y, e); }
};
struct AvgBackward {
  Pool2dGeometry g;
  const float* dy;
  float* dx;
  __device__ void operator()(int64_t e) const { avg_backward_at(g, dy, dx, e); }
};

constexpr int kThreads = 256;

// Queues body(e) for every e < total on the device's stream; `op` names the launch in errors.
template <class Body>
void launch(int64_t total, const Body& body, const char* op, int device) {
  if (total == 0) return;
  DeviceGuard guard(device);
  launch_kernel(for_each_element<Body>, grid_for(total, kThreads), kThreads, 0, stream(device), total, body);
  check_launch(op);
}

int64_t outputs(const Pool2dGeometry& g) { return g.batch * g.out_h * g.out_w * g.channels; }
int64_t inputs(const Pool2dGeometry& g) { return g.batch * g.in_h * g.in_w * g.channels; }

}  // namespace

void max_pool2d_forward(const Pool2dGeometry& g, const float* x, float* y, int32_t* argmax, int device) {
  launch(outputs(g), MaxForward{g, x, y, argmax}, "max_pool2d on cuda", device);
}

void max_pool2d_backward(const Pool2dGeometry& g, const float* dy, const float* relu_y, const int32_t* argmax,
                         float* dx, int device) {
  launch(inputs(g), MaxBackward{g, dy, relu_y, argmax, dx}, "max_pool2d_backward on cuda", device);
}

void avg_pool2d_forward(const Pool2dGeometry& g, const float* x, float* y, int device) {
  launch(outputs(g), AvgForward{g, x, y}, "avg_pool2d on cuda", device);
}

void avg_pool2d_backward(const Pool2dGeometry& g, const float* dy, float* dx, int device) {
  launch(inputs(g), AvgBackward{g, dy, dx}, "avg_pool2d_backward on cuda", device);
}

}  // namespace ironnet::cuda
