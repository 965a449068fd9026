#include "ops/pooling.h"

#include <algorithm>
#include <limits>

#include "ironnet/cuda/pooling.h"
#include "ironnet/errors.h"
#include "ironnet/pooling.h"
#include "ops/device.h"

namespace ironnet::ops {
namespace {

std::string pair_str(Pair p) { return shape_str({p[0], p[1]}); }

// A float32 (dtype int32 for argmax) tensor of rank `rank`, returned contiguous.
Tensor checked(const char* op, const Tensor& t, const char* name, DType dtype, int64_t rank, const char* layout) {
  if (t.dtype() != dtype)
    fail<TypeError>(op, ": ", name, " must be ", dtype_name(dtype), ", got ", dtype_name(t.dtype()), " ",
                    shape_str(t.shape()));
  if (t.dim() != rank)
    fail<ValueError>(op, ": ", name, " must be ", layout, ", got ", shape_str(t.shape()));
  return t.contiguous();
}

void check_input_shape(const char* op, const Shape& shape) {
  if (shape.size() != 4)
    fail<ValueError>(op, ": input_shape must be (N, H, W, C), got ", shape_str(shape));
  for (int64_t d : shape)
    if (d < 0) fail<ValueError>(op, ": input_shape ", shape_str(shape), " has a negative size");
  // argmax holds ih * W + iw in an int32.
  if (shape[1] * shape[2] > std::numeric_limits<int32_t>::max())
    fail<ValueError>(op, ": images of ", shape[1], " x ", shape[2], " pixels are too large (argmax is int32)");
}

// Windows along one axis of `length`: how many outputs (0 when the pool does not fit).
int64_t output_length(int64_t length, int64_t pool, int64_t stride, bool same) {
  if (same) return (length + stride - 1) / stride;
  return length < pool ? 0 : (length - pool) / stride + 1;
}

// Rows (or columns) of padding before the first real one: "same" centres the windows (TF/Keras).
int64_t pad_before(int64_t length, int64_t pool, int64_t stride, int64_t out, bool same) {
  return same ? std::max<int64_t>((out - 1) * stride + pool - length, 0) / 2 : 0;
}

void check_padding(const char* op, const std::string& padding) {
  if (padding != "valid" && padding != "same")
    fail<ValueError>(op, ": padding must be 'valid' or 'same', got '", padding, "'");
}

}  // namespace

cpu::Pool2dGeometry pool2d_geometry(const char* op, const Shape& input, Pair pool, Pair strides,
                                    const std::string& padding) {
  check_input_shape(op, input);
  if (pool[0] < 1 || pool[1] < 1) fail<ValueError>(op, ": pool_size must be >= 1, got ", pair_str(pool));
  if (strides[0] < 1 || strides[1] < 1) fail<ValueError>(op, ": strides must be >= 1, got ", pair_str(strides));
  check_padding(op, padding);
  const bool same = padding == "same";
  cpu::Pool2dGeometry g{};
  g.batch = input[0], g.in_h = input[1], g.in_w = input[2], g.channels = input[3];
  g.pool_h = pool[0], g.pool_w = pool[1], g.stride_h = strides[0], g.stride_w = strides[1];
  g.out_h = output_length(g.in_h, g.pool_h, g.stride_h, same);
  g.out_w = output_length(g.in_w, g.pool_w, g.stride_w, same);
  if (g.out_h <= 0 || g.out_w <= 0)
    fail<ValueError>(op, ": pool_size ", pair_str(pool), " does not fit input ", shape_str(input), " with padding '",
                     padding, "' (output size ", pair_str({g.out_h, g.out_w}), ")");
  g.pad_top = pad_before(g.in_h, g.pool_h, g.stride_h, g.out_h, same);
  g.pad_left = pad_before(g.in_w, g.pool_w, g.stride_w, g.out_w, same);
  return g;
}

namespace {

Shape output_shape(const cpu::Pool2dGeometry& g) { return {g.batch, g.out_h, g.out_w, g.channels}; }

void check_grad_shape(const char* op, const Tensor& dy, const Shape& expected, const Shape& input_shape) {
  if (dy.shape() != expected)
    fail<ValueError>(op, ": dy must be ", shape_str(expected), " (the forward's output for input ",
                     shape_str(input_shape), "), got ", shape_str(dy.shape()));
}

constexpr const char* kNHWC = "(N, H, W, C) (4-D, channels last)";

// Global pooling is pooling with one window the size of the image.
cpu::Pool2dGeometry global_geometry(const char* op, const Shape& input) {
  check_input_shape(op, input);
  if (input[1] < 1 || input[2] < 1)
    fail<ValueError>(op, ": needs at least one pixel (H, W >= 1), got input ", shape_str(input));
  return pool2d_geometry(op, input, {input[1], input[2]}, {1, 1}, "valid");
}

std::pair<Tensor, Tensor> max_pool(const Tensor& x, const cpu::Pool2dGeometry& g) {
  Tensor y = Tensor::empty(output_shape(g), DType::Float32, x.device());
  Tensor argmax = Tensor::empty(output_shape(g), DType::Int32, x.device());
  if (x.device().is_cpu())
    cpu::max_pool2d_forward(g, x.data<float>(), y.data<float>(), argmax.data<int32_t>());
  else if constexpr (kCudaBuilt)
    cuda::max_pool2d_forward(g, x.data<float>(), y.data<float>(), argmax.data<int32_t>(), x.device().index);
  return {y, argmax};
}

Tensor max_pool_backward(const char* op, const Tensor& dy, const Tensor& argmax, const Shape& input_shape,
                         const cpu::Pool2dGeometry& g) {
  if (argmax.shape() != dy.shape())
    fail<ValueError>(op, ": argmax ", shape_str(argmax.shape()), " and dy ", shape_str(dy.shape()),
                     " must have the same shape");
  const Device device = common_device(op, {{"dy", &dy}, {"argmax", &argmax}});
  Tensor dx = Tensor::empty(input_shape, DType::Float32, device);
  if (device.is_cpu())
    cpu::max_pool2d_backward(g, dy.data<float>(), argmax.data<int32_t>(), dx.data<float>());
  else if constexpr (kCudaBuilt)
    cuda::max_pool2d_backward(g, dy.data<float>(), nullptr, argmax.data<int32_t>(), dx.data<float>(), device.index);
  return dx;
}

Tensor avg_pool(const Tensor& x, const cpu::Pool2dGeometry& g) {
  Tensor y = Tensor::empty(output_shape(g), DType::Float32, x.device());
  if (x.device().is_cpu())
    cpu::avg_pool2d_forward(g, x.data<float>(), y.data<float>());
  else if constexpr (kCudaBuilt)
    cuda::avg_pool2d_forward(g, x.data<float>(), y.data<float>(), x.device().index);
  return y;
}

Tensor avg_pool_backward(const Tensor& dy, const Shape& input_shape, const cpu::Pool2dGeometry& g) {
  Tensor dx = Tensor::empty(input_shape, DType::Float32, dy.device());
  if (dy.device().is_cpu())
    cpu::avg_pool2d_backward(g, dy.data<float>(), dx.data<float>());
  else if constexpr (kCudaBuilt)
    cuda::avg_pool2d_backward(g, dy.data<float>(), dx.data<float>(), dy.device().index);
  return dx;
}

}  // namespace

int64_t pool_output_length(const char* op, int64_t length, int64_t pool, int64_t stride, const std::string& padding) {
  if (length < 0) fail<ValueError>(op, ": length must be >= 0, got ", length);
  if (pool < 1) fail<ValueError>(op, ": pool_size must be >= 1, got ", pool);
  if (stride < 1) fail<ValueError>(op, ": strides must be >= 1, got ", stride);
  check_padding(op, padding);
  const int64_t out = output_length(length, pool, stride, padding == "same");
  if (out <= 0)
    fail<ValueError>(op, ": pool_size ", pool, " does not fit length ", length, " with padding '", padding,
                     "' (output size ", out, ")");
  return out;
}

std::pair<Tensor, Tensor> max_pool2d(const Tensor& x, Pair pool, Pair strides, const std::string& padding) {
  const char* op = "max_pool2d";
  const Tensor xc = checked(op, x, "x", DType::Float32, 4, kNHWC);
  return max_pool(xc, pool2d_geometry(op, xc.shape(), pool, strides, padding));
}

Tensor max_pool2d_backward(const Tensor& dy, const Tensor& argmax, const Shape& input_shape, Pair pool, Pair strides,
                           const std::string& padding) {
  const char* op = "max_pool2d_backward";
  const cpu::Pool2dGeometry g = pool2d_geometry(op, input_shape, pool, strides, padding);
  const Tensor dyc = checked(op, dy, "dy", DType::Float32, 4, kNHWC);
  const Tensor ac = checked(op, argmax, "argmax", DType::Int32, 4, kNHWC);
  check_grad_shape(op, dyc, output_shape(g), input_shape);
  return max_pool_backward(op, dyc, ac, input_shape, g);
}

Tensor avg_pool2d(const Tensor& x, Pair pool, Pair strides, const std::string& padding) {
  const char* op = "avg_pool2d";
  const Tensor xc = checked(op, x, "x", DType::Float32, 4, kNHWC);
  return avg_pool(xc, pool2d_geometry(op, xc.shape(), pool, strides, padding));
}

Tensor avg_pool2d_backward(const Tensor& dy, const Shape& input_shape, Pair pool, Pair strides,
                           const std::string& padding) {
  const char* op = "avg_pool2d_backward";
  const cpu::Pool2dGeometry g = pool2d_geometry(op, input_shape, pool, strides, padding);
  const Tensor dyc = checked(op, dy, "dy", DType::Float32, 4, kNHWC);
  check_grad_shape(op, dyc, output_shape(g), input_shape);
  return avg_pool_backward(dyc, input_shape, g);
}

std::pair<Tensor, Tensor> global_max_pool2d(const Tensor& x) {
  const char* op = "global_max_pool2d";
  const Tensor xc = checked(op, x, "x", DType::Float32, 4, kNHWC);
  auto [y, argmax] = max_pool(xc, global_geometry(op, xc.shape()));
  return {y.reshape({xc.size(0), xc.size(3)}), argmax.reshape({xc.size(0), xc.size(3)})};
}

Tensor global_max_pool2d_backward(const Tensor& dy, const Tensor& argmax, const Shape& input_shape) {
  const char* op = "global_max_pool2d_backward";
  const cpu::Pool2dGeometry g = global_geometry(op, input_shape);
  const Tensor dyc = checked(op, dy, "dy", DType::Float32, 2, "(N, C)");
  const Tensor ac = checked(op, argmax, "argmax", DType::Int32, 2, "(N, C)");
  check_grad_shape(op, dyc, {g.batch, g.channels}, input_shape);
  return max_pool_backward(op, dyc, ac, input_shape, g);
}

Tensor global_avg_pool2d(const Tensor& x) {
  const char* op = "global_avg_pool2d";
  const Tensor xc = checked(op, x, "x", DType::Float32, 4, kNHWC);
  return avg_pool(xc, global_geometry(op, xc.shape())).reshape({xc.size(0), xc.size(3)});
}

Tensor global_avg_pool2d_backward(const Tensor& dy, const Shape& input_shape) {
  const char* op = "global_avg_pool2d_backward";
  const cpu::Pool2dGeometry g = global_geometry(op, input_shape);
  const Tensor dyc = checked(op, dy, "dy", DType::Float32, 2, "(N, C)");
  check_grad_shape(op, dyc, {g.batch, g.channels}, input_shape);
  return avg_pool_backward(dyc, input_shape, g);
}

}  // namespace ironnet::ops
