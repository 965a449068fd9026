#include "ops/optimizers.h"

#include <string>

#include "ironnet/cuda/optimizers.h"
#include "ironnet/errors.h"
#include "ironnet/optimizers.h"
#include "ops/device.h"

namespace ironnet::ops {
namespace {

void check_float32(const char* op, const char* name, const Tensor& t) {
  if (t.dtype() != DType::Float32)
    fail<TypeError>(op, ": ", name, " must be float32, got ", dtype_name(t.dtype()), " ", shape_str(t.shape()));
}

// The parameter and every state buffer are written in place: same shape, contiguous, same device as
// the gradient (written to `device`). The gradient is only read, and may be strided (a contiguous
// copy is made then).
cpu::UpdateCommon prepare(const char* op, Tensor& w, const Tensor& g, Tensor& g_dense,
                          std::initializer_list<std::pair<const char*, Tensor*>> states, const UpdateOptions& opts,
                          Device& device) {
  check_float32(op, "the weight", w);
  check_float32(op, "the gradient", g);
  device = common_device(op, {{"weight", &w}, {"gradient", &g}});
  if (g.shape() != w.shape())
    fail<ValueError>(op, ": gradient ", shape_str(g.shape()), " does not match weight ", shape_str(w.shape()));
  if (!w.is_contiguous()) fail<ValueError>(op, ": weight ", shape_str(w.shape()), " must be contiguous");
  for (const auto& [name, state] : states) {
    if (!state) continue;
    check_float32(op, name, *state);
    common_device(op, {{"weight", &w}, {name, state}});
    if (state->shape() != w.shape() || !state->is_contiguous())
      fail<ValueError>(op, ": ", name, " ", shape_str(state->shape()), " must be a contiguous tensor shaped like weight ",
                       shape_str(w.shape()));
  }
  g_dense = g.contiguous();
  cpu::UpdateCommon u;
  u.n = w.numel();
  u.w = w.data<float>();
  u.g = g_dense.data<float>();
  u.lr = opts.lr;
  u.weight_decay = opts.weight_decay;
  u.grad_scale = opts.grad_scale;
  u.clip_value = opts.clip_value;
  return u;
}

float* data_or_null(Tensor* t) { return t ? t->data<float>() : nullptr; }

}  // namespace

void sgd_update_(Tensor& w, const Tensor& g, Tensor* velocity, const UpdateOptions& opts, float momentum,
                 bool nesterov) {
  Tensor g_dense;
  Device device;
  const cpu::UpdateCommon u = prepare("sgd_update_", w, g, g_dense, {{"velocity", velocity}}, opts, device);
  if (momentum != 0.0f && !velocity) fail<ValueError>("sgd_update_: momentum=", momentum, " needs a velocity buffer");
  float* v = momentum != 0.0f ? data_or_null(velocity) : nullptr;
  if (device.is_cpu())
    cpu::sgd_update(u, v, momentum, nesterov);
  else if constexpr (kCudaBuilt)
    cuda::sgd_update(u, v, momentum, nesterov, device.index);
}

void rmsprop_update_(Tensor& w, const Tensor& g, Tensor& mean_square, Tensor* momentum_buf,
                     const UpdateOptions& opts, float rho, float momentum, float epsilon) {
  Tensor g_dense;
  Device device;
  const cpu::UpdateCommon u = prepare("rmsprop_update_", w, g, g_dense,
                                      {{"mean_square", &mean_square}, {"momentum buffer", momentum_buf}}, opts, device);
  if (momentum != 0.0f && !momentum_buf)
    fail<ValueError>("rmsprop_update_: momentum=", momentum, " needs a momentum buffer");
  float* mom = momentum != 0.0f ? data_or_null(momentum_buf) : nullptr;
  if (device.is_cpu())
    cpu::rmsprop_update(u, mean_square.data<float>(), mom, rho, momentum, epsilon);
  else if constexpr (kCudaBuilt)
    cuda::rmsprop_update(u, mean_square.data<float>(), mom, rho, momentum, epsilon, device.index);
}

void adam_update_(Tensor& w, const Tensor& g, Tensor& m, Tensor& v, const UpdateOptions& opts, float beta1,
                  float beta2, float epsilon, int64_t step) {
  Tensor g_dense;
  Device device;
  const cpu::UpdateCommon u = prepare("adam_update_", w, g, g_dense, {{"m", &m}, {"v", &v}}, opts, device);
  if (step < 1) fail<ValueError>("adam_update_: step counts from 1, got ", step);
  float* m_data = m.data<float>();
  float* v_data = v.data<float>();
  if (device.is_cpu())
    cpu::adam_update(u, m_data, v_data, beta1, beta2, epsilon, step);
  else if constexpr (kCudaBuilt)
    cuda::adam_update_multi(&u, &m_data, &v_data, 1, beta1, beta2, epsilon, step, device.index);
}

void adam_update_multi_(std::vector<Tensor>& w, const std::vector<Tensor>& g, std::vector<Tensor>& m,
                        std::vector<Tensor>& v, const std::vector<float>& grad_scales, const UpdateOptions& opts,
                        float beta1, float beta2, float epsilon, int64_t step) {
  constexpr const char* op = "adam_update_multi_";
  const size_t n = w.size();
  if (g.size() != n || m.size() != n || v.size() != n || grad_scales.size() != n)
    fail<ValueError>(op, ": expected one gradient, m, v and grad scale per weight; got ", n, " weights, ", g.size(),
                     " gradients, ", m.size(), " m, ", v.size(), " v, ", grad_scales.size(), " grad scales");
  if (step < 1) fail<ValueError>(op, ": step counts from 1, got ", step);
  if (n == 0) return;
  std::vector<Tensor> g_dense(n);
  std::vector<cpu::UpdateCommon> updates;
  std::vector<float*> m_data, v_data;
  updates.reserve(n);
  Device device;
  for (size_t i = 0; i < n; ++i) {
    UpdateOptions own = opts;
    own.grad_scale = grad_scales[i];
    Device own_device;
    updates.push_back(prepare(op, w[i], g[i], g_dense[i], {{"m", &m[i]}, {"v", &v[i]}}, own, own_device));
    const std::string name = "weight " + std::to_string(i);
    device = common_device(op, {{"weight 0", &w[0]}, {name.c_str(), &w[i]}});
    m_data.push_back(m[i].data<float>());
    v_data.push_back(v[i].data<float>());
  }
  if (device.is_cpu()) {
    for (size_t i = 0; i < n; ++i) cpu::adam_update(updates[i], m_data[i], v_data[i], beta1, beta2, epsilon, step);
  } else if constexpr (kCudaBuilt) {
    cuda::adam_update_multi(updates.data(), m_data.data(), v_data.data(), n, beta1, beta2, epsilon, step,
                            device.index);
  }
}

double sum_of_squares(const Tensor& x) {
  constexpr const char* op = "sum_of_squares";
  check_float32(op, "x", x);
  const Tensor dense = x.contiguous();
  const Device device = x.device();
  if (device.is_cpu()) return cpu::sum_of_squares(dense.numel(), dense.data<float>());
  // Double partials and the double result in 8-byte scratch (there is no float64 dtype).
  const Tensor partials = Tensor::empty({cuda::kSquaresPartials}, DType::Int64, device);
  const Tensor total = Tensor::empty({}, DType::Int64, device);
  if constexpr (kCudaBuilt)
    cuda::sum_of_squares(dense.numel(), dense.data<float>(), static_cast<double*>(partials.raw_data()),
                         static_cast<double*>(total.raw_data()), device.index);
  const Tensor host = total.to(Device{DeviceType::CPU, 0});
  return *static_cast<const double*>(host.raw_data());
}

}  // namespace ironnet::ops
