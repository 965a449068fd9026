// Batch normalization: convert, release the GIL, call the op entry points.
#include <pybind11/stl.h>

#include <optional>

#include "bindings/common.h"
#include "ops/batchnorm.h"

namespace ironnet::bindings {
namespace {
const Tensor* ptr(const std::optional<Tensor>& t) { return t ? &*t : nullptr; }
}  // namespace

void bind_batchnorm(py::module_& m) {
  m.def(
      "batch_norm_train",
      [](const Tensor& x, std::optional<Tensor> gamma, std::optional<Tensor> beta, Tensor moving_mean,
         Tensor moving_variance, int64_t axis, double momentum, float epsilon) {
        py::gil_scoped_release release;
        return ops::batch_norm_train(x, ptr(gamma), ptr(beta), moving_mean, moving_variance, axis, momentum, epsilon);
      },
      py::arg("x"), py::arg("gamma"), py::arg("beta"), py::arg("moving_mean"), py::arg("moving_variance"),
      py::arg("axis") = -1, py::arg("momentum") = 0.99, py::arg("epsilon") = 1e-3f,
      "Training forward with batch statistics; updates the moving statistics in place. Returns (y, mean, inv_std).");
  m.def(
      "batch_norm_inference",
      [](const Tensor& x, std::optional<Tensor> gamma, std::optional<Tensor> beta, const Tensor& moving_mean,
         const Tensor& moving_variance, int64_t axis, float epsilon) {
        py::gil_scoped_release release;
        return ops::batch_norm_inference(x, ptr(gamma), ptr(beta), moving_mean, moving_variance, axis, epsilon);
      },
      py::arg("x"), py::arg("gamma"), py::arg("beta"), py::arg("moving_mean"), py::arg("moving_variance"),
      py::arg("axis") = -1, py::arg("epsilon") = 1e-3f, "Inference forward with the moving statistics.");
  m.def(
      "batch_norm_backward",
      [](const Tensor& dy, const Tensor& x, const Tensor& mean, const Tensor& inv_std, std::optional<Tensor> gamma,
         int64_t axis, bool batch_statistics, bool need_dx, bool need_dgamma, bool need_dbeta) {
        ops::BatchNormGrads g;
        {
          py::gil_scoped_release release;
          g = ops::batch_norm_backward(dy, x, mean, inv_std, ptr(gamma), axis, batch_statistics, need_dx,
                                       need_dgamma, need_dbeta);
        }
        auto or_none = [](const Tensor& t) { return t.defined() ? py::cast(t) : py::none(); };
        return py::make_tuple(or_none(g.dx), or_none(g.dgamma), or_none(g.dbeta));
      },
      py::arg("dy"), py::arg("x"), py::arg("mean"), py::arg("inv_std"), py::arg("gamma"), py::arg("axis"),
      py::arg("batch_statistics"), py::arg("need_dx"), py::arg("need_dgamma"), py::arg("need_dbeta"),
      "Returns (dx, dgamma, dbeta), None where not asked for.");
}

}  // namespace ironnet::bindings
