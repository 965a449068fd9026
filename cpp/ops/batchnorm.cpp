#include "ops/batchnorm.h"

#include <cmath>

#include "ironnet/batchnorm.h"
#include "ironnet/cuda/batchnorm.h"
#include "ironnet/errors.h"
#include "ops/device.h"

namespace ironnet::ops {
namespace {

void check_float(const char* op, const char* name, const Tensor& t) {
  if (t.dtype() != DType::Float32)
    fail<TypeError>(op, ": ", name, " must be float32, got ", dtype_name(t.dtype()), " ", shape_str(t.shape()));
}

// Scratch for the CUDA kernels: the double partials of the column sums (8-byte elements: there is no
// float64 dtype) and kBatchNormCoefficients floats per channel.
struct CudaScratch {
  Tensor partials, coefficients;
  CudaScratch(const cpu::BatchNormDims& d, Device device, bool with_partials)
      : coefficients(Tensor::empty({cuda::kBatchNormCoefficients * d.channels}, DType::Float32, device)) {
    if constexpr (kCudaBuilt)
      if (with_partials) partials = Tensor::empty({cuda::batch_norm_partials(d)}, DType::Int64, device);
  }
  double* sums() const { return partials.defined() ? static_cast<double*>(partials.raw_data()) : nullptr; }
  float* coefs() const { return coefficients.data<float>(); }
};

// x viewed as (outer, C, inner) around the normalized axis.
cpu::BatchNormDims dims_of(const char* op, const Tensor& x, int64_t axis) {
  check_float(op, "x", x);
  const int64_t rank = x.dim();
  if (rank < 2)
    fail<ValueError>(op, ": x must have rank >= 2 (a batch axis and a feature axis), got ", shape_str(x.shape()));
  if (axis < -rank || axis >= rank)
    fail<ValueError>(op, ": axis ", axis, " is out of range for x ", shape_str(x.shape()), " of rank ", rank);
  if (axis < 0) axis += rank;
  cpu::BatchNormDims d;
  d.outer = 1;
  for (int64_t i = 0; i < axis; ++i) d.outer *= x.size(i);
  d.channels = x.size(axis);
  for (int64_t i = axis + 1; i < rank; ++i) d.inner *= x.size(i);
  return d;
}

// A (C,) per-channel tensor, as a contiguous one.
Tensor channel_vector(const char* op, const char* name, const Tensor& t, const Tensor& x, int64_t channels,
                      int64_t axis) {
  check_float(op, name, t);
  if (t.dim() != 1 || t.size(0) != channels)
    fail<ValueError>(op, ": ", name, " must have shape (", channels, ",) to match axis ", axis, " of x ",
                     shape_str(x.shape()), ", got ", shape_str(t.shape()));
  return t.contiguous();
}

const float* data_or_null(const Tensor& t) { return t.defined() ? t.data<float>() : nullptr; }

void check_epsilon(const char* op, float epsilon) {
  if (!(epsilon > 0.0f) || !std::isfinite(epsilon))
    fail<ValueError>(op, ": epsilon must be a finite number > 0, got ", epsilon);
}

}  // namespace

std::tuple<Tensor, Tensor, Tensor> batch_norm_train(const Tensor& x, const Tensor* gamma, const Tensor* beta,
                                                    Tensor& moving_mean, Tensor& moving_variance, int64_t axis,
                                                    double momentum, float epsilon) {
  constexpr const char* op = "batch_norm";
  const cpu::BatchNormDims d = dims_of(op, x, axis);
  const int64_t C = d.channels;
  const Device device = common_device(op, {{"x", &x}, {"gamma", gamma}, {"beta", beta}, {"moving_mean", &moving_mean},
                                           {"moving_variance", &moving_variance}});
  const Tensor g = gamma ? channel_vector(op, "gamma", *gamma, x, C, axis) : Tensor();
  const Tensor b = beta ? channel_vector(op, "beta", *beta, x, C, axis) : Tensor();
  for (auto [name, t] : {std::pair<const char*, Tensor*>{"moving_mean", &moving_mean}, {"moving_variance", &moving_variance}}) {
    channel_vector(op, name, *t, x, C, axis);
    if (!t->is_contiguous()) fail<ValueError>(op, ": ", name, " is updated in place and must be contiguous");
  }
  if (!(momentum >= 0.0f && momentum <= 1.0f)) fail<ValueError>(op, ": momentum must be in [0, 1], got ", momentum);
  check_epsilon(op, epsilon);
  if (d.count() == 0)
    fail<ValueError>(op, ": training needs at least one value per channel to take batch statistics from, got x ",
                     shape_str(x.shape()));
  const Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(x.shape(), DType::Float32, x.device());
  Tensor mean = Tensor::empty({C}, DType::Float32, x.device());
  Tensor inv_std = Tensor::empty({C}, DType::Float32, x.device());
  if (device.is_cpu()) {
    cpu::batch_norm_train_forward(d, xc.data<float>(), data_or_null(g), data_or_null(b), momentum, epsilon,
                                  moving_mean.data<float>(), moving_variance.data<float>(), y.data<float>(),
                                  mean.data<float>(), inv_std.data<float>());
  } else if constexpr (kCudaBuilt) {
    const CudaScratch scratch(d, device, true);
    cuda::batch_norm_train_forward(d, xc.data<float>(), data_or_null(g), data_or_null(b), momentum, epsilon,
                                   moving_mean.data<float>(), moving_variance.data<float>(), y.data<float>(),
                                   mean.data<float>(), inv_std.data<float>(), scratch.sums(), scratch.coefs(),
                                   device.index);
  }
  return {y, mean, inv_std};
}

Tensor batch_norm_inference(const Tensor& x, const Tensor* gamma, const Tensor* beta, const Tensor& moving_mean,
                            const Tensor& moving_variance, int64_t axis, float epsilon) {
  constexpr const char* op = "batch_norm";
  const cpu::BatchNormDims d = dims_of(op, x, axis);
  const int64_t C = d.channels;
  const Device device = common_device(op, {{"x", &x}, {"gamma", gamma}, {"beta", beta}, {"moving_mean", &moving_mean},
                                           {"moving_variance", &moving_variance}});
  const Tensor g = gamma ? channel_vector(op, "gamma", *gamma, x, C, axis) : Tensor();
  const Tensor b = beta ? channel_vector(op, "beta", *beta, x, C, axis) : Tensor();
  const Tensor mm = channel_vector(op, "moving_mean", moving_mean, x, C, axis);
  const Tensor mv = channel_vector(op, "moving_variance", moving_variance, x, C, axis);
  check_epsilon(op, epsilon);
  const Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(x.shape(), DType::Float32, x.device());
  if (device.is_cpu()) {
    cpu::batch_norm_inference_forward(d, xc.data<float>(), data_or_null(g), data_or_null(b), mm.data<float>(),
                                      mv.data<float>(), epsilon, y.data<float>());
  } else if constexpr (kCudaBuilt) {
    const CudaScratch scratch(d, device, false);
    cuda::batch_norm_inference_forward(d, xc.data<float>(), data_or_null(g), data_or_null(b), mm.data<float>(),
                                       mv.data<float>(), epsilon, y.data<float>(), scratch.coefs(), device.index);
  }
  return y;
}

BatchNormGrads batch_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& mean, const Tensor& inv_std,
                                   const Tensor* gamma, int64_t axis, bool batch_statistics, bool need_dx,
                                   bool need_dgamma, bool need_dbeta) {
  constexpr const char* op = "batch_norm_backward";
  const cpu::BatchNormDims d = dims_of(op, x, axis);
  const int64_t C = d.channels;
  check_float(op, "dy", dy);
  const Device device = common_device(op, {{"dy", &dy}, {"x", &x}, {"mean", &mean}, {"inv_std", &inv_std},
                                           {"gamma", gamma}});
  if (dy.shape() != x.shape())
    fail<ValueError>(op, ": dy ", shape_str(dy.shape()), " and x ", shape_str(x.shape()), " must have the same shape");
  const Tensor m = channel_vector(op, "mean", mean, x, C, axis);
  const Tensor s = channel_vector(op, "inv_std", inv_std, x, C, axis);
  const Tensor g = gamma ? channel_vector(op, "gamma", *gamma, x, C, axis) : Tensor();
  const Tensor dyc = dy.contiguous(), xc = x.contiguous();
  BatchNormGrads grads;
  if (need_dx) grads.dx = Tensor::empty(x.shape(), DType::Float32, x.device());
  if (need_dgamma) grads.dgamma = Tensor::empty({C}, DType::Float32, x.device());
  if (need_dbeta) grads.dbeta = Tensor::empty({C}, DType::Float32, x.device());
  auto out = [](Tensor& t) { return t.defined() ? t.data<float>() : nullptr; };
  if (device.is_cpu()) {
    cpu::batch_norm_backward(d, dyc.data<float>(), xc.data<float>(), m.data<float>(), s.data<float>(),
                             data_or_null(g), batch_statistics, out(grads.dx), out(grads.dgamma), out(grads.dbeta));
  } else if constexpr (kCudaBuilt) {
    const CudaScratch scratch(d, device, true);
    cuda::batch_norm_backward(d, dyc.data<float>(), xc.data<float>(), m.data<float>(), s.data<float>(),
                              data_or_null(g), batch_statistics, out(grads.dx), out(grads.dgamma), out(grads.dbeta),
                              scratch.sums(), scratch.coefs(), device.index);
  }
  return grads;
}

}  // namespace ironnet::ops
