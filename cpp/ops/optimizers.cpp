#include "ops/optimizers.h"

#include <cstring>
#include <string>
#include <utility>
#include <vector>

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

// A state buffer as error messages name it; a null tensor is an absent buffer.
using NamedState = std::pair<const char*, Tensor*>;

// The parameter and every state buffer are written in place: same shape, contiguous, same device as
// the gradient (written to `device`). The gradient is only read, and may be strided (a contiguous
// copy is made then).
cpu::UpdateCommon prepare(const char* op, Tensor& w, const Tensor& g, Tensor& g_dense,
                          const std::vector<NamedState>& states, const UpdateOptions& opts, Device& device) {
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

// One kind of state buffer of a multi-tensor update: one per weight, or none (an absent buffer).
struct StateList {
  const char* name;
  std::vector<Tensor>* tensors;  // null: absent
};

// Every weight of a multi-tensor update, checked before any is written: counts, then each weight as
// `prepare` checks it (gradient i scaled by grad_scales[i]; opts.grad_scale is ignored), all on one
// device. states[k][i] is weight i's buffer of kind k (null where absent).
struct Batch {
  std::vector<Tensor> g_dense;
  std::vector<cpu::UpdateCommon> updates;
  std::vector<std::vector<float*>> states;
  Device device;

  Batch(const char* op, std::vector<Tensor>& w, const std::vector<Tensor>& g, const std::vector<StateList>& lists,
        const std::vector<float>& grad_scales, const UpdateOptions& opts)
      : g_dense(w.size()), states(lists.size(), std::vector<float*>(w.size(), nullptr)) {
    const size_t n = w.size();
    bool counts_match = g.size() == n && grad_scales.size() == n;
    std::string expected = "one gradient", got;
    for (const StateList& list : lists) {
      if (!list.tensors) continue;
      counts_match = counts_match && list.tensors->size() == n;
      expected += std::string(", ") + list.name;
      got += std::to_string(list.tensors->size()) + " " + list.name + ", ";
    }
    if (!counts_match)
      fail<ValueError>(op, ": expected ", expected, " and grad scale per weight; got ", n, " weights, ", g.size(),
                       " gradients, ", got, grad_scales.size(), " grad scales");
    updates.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      std::vector<NamedState> named;
      for (const StateList& list : lists) named.emplace_back(list.name, list.tensors ? &(*list.tensors)[i] : nullptr);
      UpdateOptions own = opts;
      own.grad_scale = grad_scales[i];
      Device own_device;
      updates.push_back(prepare(op, w[i], g[i], g_dense[i], named, own, own_device));
      const std::string name = "weight " + std::to_string(i);
      device = common_device(op, {{"weight 0", &w[0]}, {name.c_str(), &w[i]}});
      for (size_t k = 0; k < lists.size(); ++k) states[k][i] = data_or_null(named[k].second);
    }
  }
  size_t size() const { return updates.size(); }
};

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
    cuda::sgd_update_multi(&u, &v, 1, momentum, nesterov, device.index);
}

void sgd_update_multi_(std::vector<Tensor>& w, const std::vector<Tensor>& g, std::vector<Tensor>& velocity,
                       const std::vector<float>& grad_scales, const UpdateOptions& opts, float momentum,
                       bool nesterov) {
  constexpr const char* op = "sgd_update_multi_";
  if (momentum != 0.0f && velocity.empty() && !w.empty())
    fail<ValueError>(op, ": momentum=", momentum, " needs a velocity buffer per weight");
  const Batch batch(op, w, g, {{"velocity", momentum != 0.0f ? &velocity : nullptr}}, grad_scales, opts);
  if (batch.size() == 0) return;
  const std::vector<float*>& v = batch.states[0];
  if (batch.device.is_cpu()) {
    for (size_t i = 0; i < batch.size(); ++i) cpu::sgd_update(batch.updates[i], v[i], momentum, nesterov);
  } else if constexpr (kCudaBuilt) {
    cuda::sgd_update_multi(batch.updates.data(), v.data(), batch.size(), momentum, nesterov, batch.device.index);
  }
}

void rmsprop_update_(Tensor& w, const Tensor& g, Tensor& mean_square, Tensor* momentum_buf,
                     const UpdateOptions& opts, float rho, float momentum, float epsilon) {
  Tensor g_dense;
  Device device;
  const cpu::UpdateCommon u = prepare("rmsprop_update_", w, g, g_dense,
                                      {{"mean_square", &mean_square}, {"momentum buffer", momentum_buf}}, opts, device);
  if (momentum != 0.0f && !momentum_buf)
    fail<ValueError>("rmsprop_update_: momentum=", momentum, " needs a momentum buffer");
  float* ms = mean_square.data<float>();
  float* mom = momentum != 0.0f ? data_or_null(momentum_buf) : nullptr;
  if (device.is_cpu())
    cpu::rmsprop_update(u, ms, mom, rho, momentum, epsilon);
  else if constexpr (kCudaBuilt)
    cuda::rmsprop_update_multi(&u, &ms, &mom, 1, rho, momentum, epsilon, device.index);
}

void rmsprop_update_multi_(std::vector<Tensor>& w, const std::vector<Tensor>& g, std::vector<Tensor>& mean_square,
                           std::vector<Tensor>& momentum_buf, const std::vector<float>& grad_scales,
                           const UpdateOptions& opts, float rho, float momentum, float epsilon) {
  constexpr const char* op = "rmsprop_update_multi_";
  if (momentum != 0.0f && momentum_buf.empty() && !w.empty())
    fail<ValueError>(op, ": momentum=", momentum, " needs a momentum buffer per weight");
  const Batch batch(op, w, g,
                    {{"mean_square", &mean_square}, {"momentum buffer", momentum != 0.0f ? &momentum_buf : nullptr}},
                    grad_scales, opts);
  if (batch.size() == 0) return;
  const std::vector<float*>&ms = batch.states[0], &mom = batch.states[1];
  if (batch.device.is_cpu()) {
    for (size_t i = 0; i < batch.size(); ++i)
      cpu::rmsprop_update(batch.updates[i], ms[i], mom[i], rho, momentum, epsilon);
  } else if constexpr (kCudaBuilt) {
    cuda::rmsprop_update_multi(batch.updates.data(), ms.data(), mom.data(), batch.size(), rho, momentum, epsilon,
                               batch.device.index);
  }
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
  const Batch batch(op, w, g, {{"m", &m}, {"v", &v}}, grad_scales, opts);
  if (step < 1) fail<ValueError>(op, ": step counts from 1, got ", step);
  if (batch.size() == 0) return;
  const std::vector<float*>&ms = batch.states[0], &vs = batch.states[1];
  if (batch.device.is_cpu()) {
    for (size_t i = 0; i < batch.size(); ++i)
      cpu::adam_update(batch.updates[i], ms[i], vs[i], beta1, beta2, epsilon, step);
  } else if constexpr (kCudaBuilt) {
    cuda::adam_update_multi(batch.updates.data(), ms.data(), vs.data(), batch.size(), beta1, beta2, epsilon, step,
                            batch.device.index);
  }
}

namespace {

// sum(x^2) of every tensor, each in double; all on one device. Tensors are named "x" (indexed: "x i").
std::vector<double> squares_of(const char* op, const std::vector<Tensor>& xs, bool indexed) {
  if (xs.empty()) return {};
  std::vector<Tensor> dense;
  dense.reserve(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    const std::string name = indexed ? "x " + std::to_string(i) : "x";
    check_float32(op, name.c_str(), xs[i]);
    common_device(op, {{"x 0", &xs[0]}, {name.c_str(), &xs[i]}});
    dense.push_back(xs[i].contiguous());
  }
  const Device device = xs[0].device();
  std::vector<double> totals(xs.size());
  if (device.is_cpu()) {
    for (size_t i = 0; i < xs.size(); ++i) totals[i] = cpu::sum_of_squares(dense[i].numel(), dense[i].data<float>());
    return totals;
  }
  // On CUDA every tensor's two passes are queued on the device's one stream (so they can share the
  // partials scratch), then a single copy back: one wait for the whole list. Doubles live in 8-byte
  // scratch (there is no float64 dtype).
  const Tensor partials = Tensor::empty({cuda::kSquaresPartials}, DType::Int64, device);
  const Tensor out = Tensor::empty({static_cast<int64_t>(xs.size())}, DType::Int64, device);
  if constexpr (kCudaBuilt) {
    auto* out_data = static_cast<double*>(out.raw_data());
    for (size_t i = 0; i < xs.size(); ++i)
      cuda::sum_of_squares(dense[i].numel(), dense[i].data<float>(), static_cast<double*>(partials.raw_data()),
                           out_data + i, device.index);
  }
  const Tensor host = out.to(Device{DeviceType::CPU, 0});
  std::memcpy(totals.data(), host.raw_data(), totals.size() * sizeof(double));
  return totals;
}

}  // namespace

double sum_of_squares(const Tensor& x) { return squares_of("sum_of_squares", {x}, false)[0]; }

std::vector<double> sum_of_squares_multi(const std::vector<Tensor>& xs) {
  return squares_of("sum_of_squares_multi", xs, true);
}

}  // namespace ironnet::ops
