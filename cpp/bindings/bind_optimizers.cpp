// Optimizer updates: convert, release the GIL, call the op entry point (all in place).
#include <pybind11/stl.h>

#include <optional>
#include <vector>

#include "bindings/common.h"
#include "ops/optimizers.h"

namespace ironnet::bindings {
namespace {
ops::UpdateOptions options(float lr, float weight_decay, float grad_scale, float clip_value) {
  return ops::UpdateOptions{lr, weight_decay, grad_scale, clip_value};
}
Tensor* ptr(std::optional<Tensor>& t) { return t ? &*t : nullptr; }
}  // namespace

void bind_optimizers(py::module_& m) {
  m.def(
      "sgd_update_",
      [](Tensor w, const Tensor& g, std::optional<Tensor> velocity, float lr, float momentum, bool nesterov,
         float weight_decay, float grad_scale, float clip_value) {
        py::gil_scoped_release release;
        ops::sgd_update_(w, g, ptr(velocity), options(lr, weight_decay, grad_scale, clip_value), momentum, nesterov);
      },
      py::arg("w"), py::arg("g"), py::arg("velocity"), py::arg("lr"), py::arg("momentum"), py::arg("nesterov"),
      py::arg("weight_decay") = 0.0f, py::arg("grad_scale") = 1.0f, py::arg("clip_value") = 0.0f);
  m.def(
      "sgd_update_multi_",
      [](std::vector<Tensor> w, const std::vector<Tensor>& g, std::vector<Tensor> velocity,
         const std::vector<float>& grad_scales, float lr, float momentum, bool nesterov, float weight_decay,
         float clip_value) {
        py::gil_scoped_release release;
        ops::sgd_update_multi_(w, g, velocity, grad_scales, options(lr, weight_decay, 1.0f, clip_value), momentum,
                               nesterov);
      },
      py::arg("w"), py::arg("g"), py::arg("velocity"), py::arg("grad_scales"), py::arg("lr"), py::arg("momentum"),
      py::arg("nesterov"), py::arg("weight_decay") = 0.0f, py::arg("clip_value") = 0.0f);
  m.def(
      "rmsprop_update_",
      [](Tensor w, const Tensor& g, Tensor mean_square, std::optional<Tensor> momentum_buf, float lr, float rho,
         float momentum, float epsilon, float weight_decay, float grad_scale, float clip_value) {
        py::gil_scoped_release release;
        ops::rmsprop_update_(w, g, mean_square, ptr(momentum_buf), options(lr, weight_decay, grad_scale, clip_value),
                             rho, momentum, epsilon);
      },
      py::arg("w"), py::arg("g"), py::arg("mean_square"), py::arg("momentum_buf"), py::arg("lr"), py::arg("rho"),
      py::arg("momentum"), py::arg("epsilon"), py::arg("weight_decay") = 0.0f, py::arg("grad_scale") = 1.0f,
      py::arg("clip_value") = 0.0f);
  m.def(
      "rmsprop_update_multi_",
      [](std::vector<Tensor> w, const std::vector<Tensor>& g, std::vector<Tensor> mean_square,
         std::vector<Tensor> momentum_buf, const std::vector<float>& grad_scales, float lr, float rho, float momentum,
         float epsilon, float weight_decay, float clip_value) {
        py::gil_scoped_release release;
        ops::rmsprop_update_multi_(w, g, mean_square, momentum_buf, grad_scales,
                                   options(lr, weight_decay, 1.0f, clip_value), rho, momentum, epsilon);
      },
      py::arg("w"), py::arg("g"), py::arg("mean_square"), py::arg("momentum_buf"), py::arg("grad_scales"),
      py::arg("lr"), py::arg("rho"), py::arg("momentum"), py::arg("epsilon"), py::arg("weight_decay") = 0.0f,
      py::arg("clip_value") = 0.0f);
  m.def(
      "adam_update_",
      [](Tensor w, const Tensor& g, Tensor m_buf, Tensor v_buf, float lr, float beta1, float beta2, float epsilon,
         int64_t step, float weight_decay, float grad_scale, float clip_value) {
        py::gil_scoped_release release;
        ops::adam_update_(w, g, m_buf, v_buf, options(lr, weight_decay, grad_scale, clip_value), beta1, beta2,
                          epsilon, step);
      },
      py::arg("w"), py::arg("g"), py::arg("m"), py::arg("v"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"),
      py::arg("epsilon"), py::arg("step"), py::arg("weight_decay") = 0.0f, py::arg("grad_scale") = 1.0f,
      py::arg("clip_value") = 0.0f);
  m.def(
      "adam_update_multi_",
      [](std::vector<Tensor> w, const std::vector<Tensor>& g, std::vector<Tensor> m_bufs, std::vector<Tensor> v_bufs,
         const std::vector<float>& grad_scales, float lr, float beta1, float beta2, float epsilon, int64_t step,
         float weight_decay, float clip_value) {
        py::gil_scoped_release release;
        ops::adam_update_multi_(w, g, m_bufs, v_bufs, grad_scales, options(lr, weight_decay, 1.0f, clip_value), beta1,
                                beta2, epsilon, step);
      },
      py::arg("w"), py::arg("g"), py::arg("m"), py::arg("v"), py::arg("grad_scales"), py::arg("lr"), py::arg("beta1"),
      py::arg("beta2"), py::arg("epsilon"), py::arg("step"), py::arg("weight_decay") = 0.0f,
      py::arg("clip_value") = 0.0f);
  m.def("sum_of_squares", &ops::sum_of_squares, py::arg("x"), py::call_guard<py::gil_scoped_release>());
  m.def("sum_of_squares_multi", &ops::sum_of_squares_multi, py::arg("xs"),
        py::call_guard<py::gil_scoped_release>());
}

}  // namespace ironnet::bindings
