#include "ops/image.h"

#include <cmath>

#include "ironnet/cuda/image.h"
#include "ironnet/errors.h"
#include "ironnet/image.h"
#include "ops/device.h"

namespace ironnet::ops {
namespace {

cpu::Interpolation parse_interpolation(const char* op, const std::string& name) {
  if (name == "bilinear") return cpu::Interpolation::Bilinear;
  if (name == "nearest") return cpu::Interpolation::Nearest;
  fail<ValueError>(op, ": unknown interpolation '", name, "': expected 'bilinear' or 'nearest'");
}

cpu::FillMode parse_fill_mode(const char* op, const std::string& name) {
  if (name == "reflect") return cpu::FillMode::Reflect;
  if (name == "wrap") return cpu::FillMode::Wrap;
  if (name == "constant") return cpu::FillMode::Constant;
  if (name == "nearest") return cpu::FillMode::Nearest;
  fail<ValueError>(op, ": unknown fill_mode '", name, "': expected 'reflect', 'wrap', 'constant' or 'nearest'");
}

// A float32 image batch (N, H, W, C); `what` names the argument in messages.
void check_images(const char* op, const char* what, const Tensor& t) {
  if (t.dtype() != DType::Float32)
    fail<TypeError>(op, ": ", what, " must be float32, got ", dtype_name(t.dtype()), " ", shape_str(t.shape()));
  if (t.dim() != 4)
    fail<ValueError>(op, ": ", what, " must be a batch of images (N, H, W, C), got shape ", shape_str(t.shape()));
}

// transforms: (batch, 6) float32, every entry finite; returned contiguous, on its device. On a GPU the
// check reads a host copy of the N x 6 values (a small synchronizing copy).
Tensor checked_transforms(const char* op, const Tensor& transforms, int64_t batch) {
  if (transforms.dtype() != DType::Float32)
    fail<TypeError>(op, ": transforms must be float32, got ", dtype_name(transforms.dtype()), " ",
                    shape_str(transforms.shape()));
  if (transforms.dim() != 2 || transforms.size(0) != batch || transforms.size(1) != 6)
    fail<ValueError>(op, ": transforms must be (N, 6) = (", batch, ", 6), one row per image, got ",
                     shape_str(transforms.shape()));
  Tensor t = transforms.contiguous();
  const Tensor host = t.to(Device{});
  const float* values = host.data<float>();
  for (int64_t i = 0; i < host.numel(); ++i)
    if (!std::isfinite(values[i]))
      fail<ValueError>(op, ": transforms must be finite, got ", values[i], " in row ", i / 6);
  return t;
}

// One int64 flag per image, (batch,); returned contiguous.
Tensor checked_flags(const char* op, const char* what, const Tensor& flags, int64_t batch) {
  if (flags.dtype() != DType::Int64)
    fail<TypeError>(op, ": ", what, " must be int64 (one flag per image), got ", dtype_name(flags.dtype()), " ",
                    shape_str(flags.shape()));
  if (flags.dim() != 1 || flags.size(0) != batch)
    fail<ValueError>(op, ": ", what, " must be (N,) = (", batch, ",), one flag per image, got ",
                     shape_str(flags.shape()));
  return flags.contiguous();
}

}  // namespace

Tensor affine_warp(const Tensor& x, const Tensor& transforms, const std::string& interpolation,
                   const std::string& fill_mode, float fill_value) {
  constexpr const char* op = "affine_warp";
  check_images(op, "x", x);
  const cpu::Interpolation interp = parse_interpolation(op, interpolation);
  const cpu::FillMode mode = parse_fill_mode(op, fill_mode);
  if (!std::isfinite(fill_value)) fail<ValueError>(op, ": fill_value must be finite, got ", fill_value);
  const Device device = common_device(op, {{"x", &x}, {"transforms", &transforms}});
  const Tensor t = checked_transforms(op, transforms, x.size(0));
  const Tensor src = x.contiguous();
  Tensor y = Tensor::empty(x.shape(), DType::Float32, device);
  const cpu::WarpShape shape{x.size(0), x.size(1), x.size(2), x.size(1), x.size(2), x.size(3)};
  if (device.is_cpu())
    cpu::affine_warp(shape, src.data<float>(), t.data<float>(), y.data<float>(), interp, mode, fill_value);
  else if constexpr (kCudaBuilt)
    cuda::affine_warp(shape, src.data<float>(), t.data<float>(), y.data<float>(), interp, mode, fill_value,
                      device.index);
  return y;
}

Tensor affine_warp_backward(const Tensor& dy, const Tensor& transforms, const Shape& input_shape,
                            const std::string& interpolation, const std::string& fill_mode) {
  constexpr const char* op = "affine_warp_backward";
  check_images(op, "dy", dy);
  const cpu::Interpolation interp = parse_interpolation(op, interpolation);
  const cpu::FillMode mode = parse_fill_mode(op, fill_mode);
  const bool reads_pixels = dy.numel() > 0;
  if (input_shape.size() != 4 || input_shape[0] != dy.size(0) || input_shape[3] != dy.size(3) ||
      input_shape[1] < 0 || input_shape[2] < 0 || (reads_pixels && (input_shape[1] == 0 || input_shape[2] == 0)))
    fail<ValueError>(op, ": input_shape must be (N, H, W, C) with dy's N and C and H, W >= 1, got ",
                     shape_str(input_shape), " for dy ", shape_str(dy.shape()));
  const Device device = common_device(op, {{"dy", &dy}, {"transforms", &transforms}});
  const Tensor t = checked_transforms(op, transforms, dy.size(0));
  const Tensor grad = dy.contiguous();
  Tensor dx = Tensor::empty(input_shape, DType::Float32, device);
  const cpu::WarpShape shape{dy.size(0), input_shape[1], input_shape[2], dy.size(1), dy.size(2), dy.size(3)};
  if (device.is_cpu())
    cpu::affine_warp_backward(shape, grad.data<float>(), t.data<float>(), dx.data<float>(), interp, mode);
  else if constexpr (kCudaBuilt)
    cuda::affine_warp_backward(shape, grad.data<float>(), t.data<float>(), dx.data<float>(), interp, mode,
                               device.index);
  return dx;
}

Tensor flip(const Tensor& x, const Tensor& horizontal, const Tensor& vertical) {
  constexpr const char* op = "flip";
  check_images(op, "x", x);
  const Device device = common_device(op, {{"x", &x}, {"horizontal", &horizontal}, {"vertical", &vertical}});
  const Tensor h = checked_flags(op, "horizontal", horizontal, x.size(0));
  const Tensor v = checked_flags(op, "vertical", vertical, x.size(0));
  const Tensor src = x.contiguous();
  Tensor y = Tensor::empty(x.shape(), DType::Float32, device);
  if (device.is_cpu())
    cpu::flip(x.size(0), x.size(1), x.size(2), x.size(3), src.data<float>(), h.data<int64_t>(), v.data<int64_t>(),
              y.data<float>());
  else if constexpr (kCudaBuilt)
    cuda::flip(x.size(0), x.size(1), x.size(2), x.size(3), src.data<float>(), h.data<int64_t>(), v.data<int64_t>(),
               y.data<float>(), device.index);
  return y;
}

}  // namespace ironnet::ops
