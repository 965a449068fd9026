#include "ops/optimizers.h"

#include "ironnet/errors.h"
#include "ironnet/optimizers.h"

namespace ironnet::ops {
namespace {

void check_cpu_float32(const char* op, const char* name, const Tensor& t) {
  if (t.dtype() != DType::Float32)
    fail<TypeError>(op, ": ", name, " must be float32, got ", dtype_name(t.dtype()), " ", shape_str(t.shape()));
  if (!t.device().is_cpu())
    fail<ValueError>(op, ": ", name, " is on ", t.device().str(),
                     "; not implemented on cuda yet (CPU only until the CUDA backend issue)");
}

// The parameter and every state buffer are written in place: same shape, contiguous. The gradient
// is only read, and may be strided (a contiguous copy is made then).
cpu::UpdateCommon prepare(const char* op, Tensor& w, const Tensor& g, Tensor& g_dense,
                          std::initializer_list<std::pair<const char*, Tensor*>> states, const UpdateOptions& opts) {
  check_cpu_float32(op, "the weight", w);
  check_cpu_float32(op, "the gradient", g);
  if (g.shape() != w.shape())
    fail<ValueError>(op, ": gradient ", shape_str(g.shape()), " does not match weight ", shape_str(w.shape()));
  if (!w.is_contiguous()) fail<ValueError>(op, ": weight ", shape_str(w.shape()), " must be contiguous");
  for (const auto& [name, state] : states) {
    if (!state) continue;
    check_cpu_float32(op, name, *state);
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
  const cpu::UpdateCommon u = prepare("sgd_update_", w, g, g_dense, {{"velocity", velocity}}, opts);
  if (momentum != 0.0f && !velocity) fail<ValueError>("sgd_update_: momentum=", momentum, " needs a velocity buffer");
  cpu::sgd_update(u, momentum != 0.0f ? data_or_null(velocity) : nullptr, momentum, nesterov);
}

void rmsprop_update_(Tensor& w, const Tensor& g, Tensor& mean_square, Tensor* momentum_buf,
                     const UpdateOptions& opts, float rho, float momentum, float epsilon) {
  Tensor g_dense;
  const cpu::UpdateCommon u = prepare("rmsprop_update_", w, g, g_dense,
                                      {{"mean_square", &mean_square}, {"momentum buffer", momentum_buf}}, opts);
  if (momentum != 0.0f && !momentum_buf)
    fail<ValueError>("rmsprop_update_: momentum=", momentum, " needs a momentum buffer");
  cpu::rmsprop_update(u, mean_square.data<float>(), momentum != 0.0f ? data_or_null(momentum_buf) : nullptr, rho,
                      momentum, epsilon);
}

void adam_update_(Tensor& w, const Tensor& g, Tensor& m, Tensor& v, const UpdateOptions& opts, float beta1,
                  float beta2, float epsilon, int64_t step) {
  Tensor g_dense;
  const cpu::UpdateCommon u = prepare("adam_update_", w, g, g_dense, {{"m", &m}, {"v", &v}}, opts);
  if (step < 1) fail<ValueError>("adam_update_: step counts from 1, got ", step);
  cpu::adam_update(u, m.data<float>(), v.data<float>(), beta1, beta2, epsilon, step);
}

void adam_update_multi_(std::vector<Tensor>& w, const std::vector<Tensor>& g, std::vector<Tensor>& m,
                        std::vector<Tensor>& v, const std::vector<float>& grad_scales, const UpdateOptions& opts,
                        float beta1, float beta2, float epsilon, int64_t step) {
  const size_t n = w.size();
  if (g.size() != n || m.size() != n || v.size() != n || grad_scales.size() != n)
    fail<ValueError>("adam_update_multi_: expected one gradient, m, v and grad scale per weight; got ", n,
                     " weights, ", g.size(), " gradients, ", m.size(), " m, ", v.size(), " v, ",
                     grad_scales.size(), " grad scales");
  if (step < 1) fail<ValueError>("adam_update_multi_: step counts from 1, got ", step);
  std::vector<Tensor> g_dense(n);
  std::vector<cpu::UpdateCommon> updates;
  updates.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    UpdateOptions own = opts;
    own.grad_scale = grad_scales[i];
    updates.push_back(prepare("adam_update_multi_", w[i], g[i], g_dense[i], {{"m", &m[i]}, {"v", &v[i]}}, own));
  }
  for (size_t i = 0; i < n; ++i)
    cpu::adam_update(updates[i], m[i].data<float>(), v[i].data<float>(), beta1, beta2, epsilon, step);
}

double sum_of_squares(const Tensor& x) {
  check_cpu_float32("sum_of_squares", "x", x);
  const Tensor dense = x.contiguous();
  return cpu::sum_of_squares(dense.numel(), dense.data<float>());
}

}  // namespace ironnet::ops
