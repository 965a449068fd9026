// Loss ops: convert, release the GIL, call the op entry point. Forward: 0-d float32 loss; backward:
// d(loss)/d(y_pred) scaled by the upstream gradient `grad`.
#include "bindings/common.h"
#include "ops/losses.h"

namespace ironnet::bindings {

void bind_losses(py::module_& m) {
  using py::arg;
  const auto nogil = py::call_guard<py::gil_scoped_release>();
  m.def("mean_squared_error", &ops::mean_squared_error, arg("y_true"), arg("y_pred"), nogil,
        "mean((y_pred - y_true)^2) as a 0-d tensor");
  m.def("mean_squared_error_backward", &ops::mean_squared_error_backward, arg("y_true"), arg("y_pred"),
        arg("grad") = 1.0f, nogil, "grad * d(mean_squared_error)/d(y_pred)");
  m.def("mean_absolute_error", &ops::mean_absolute_error, arg("y_true"), arg("y_pred"), nogil,
        "mean(|y_pred - y_true|) as a 0-d tensor");
  m.def("mean_absolute_error_backward", &ops::mean_absolute_error_backward, arg("y_true"), arg("y_pred"),
        arg("grad") = 1.0f, nogil, "grad * d(mean_absolute_error)/d(y_pred) (0 where y_pred == y_true)");
  m.def("huber", &ops::huber, arg("y_true"), arg("y_pred"), arg("delta") = 1.0f, nogil,
        "mean Huber loss (quadratic within delta, linear beyond) as a 0-d tensor");
  m.def("huber_backward", &ops::huber_backward, arg("y_true"), arg("y_pred"), arg("delta") = 1.0f,
        arg("grad") = 1.0f, nogil, "grad * d(huber)/d(y_pred)");
  m.def("binary_crossentropy", &ops::binary_crossentropy, arg("y_true"), arg("y_pred"), arg("from_logits") = false,
        nogil, "mean binary crossentropy (probabilities clipped to [1e-7, 1 - 1e-7], or logits) as a 0-d tensor");
  m.def("binary_crossentropy_backward", &ops::binary_crossentropy_backward, arg("y_true"), arg("y_pred"),
        arg("from_logits") = false, arg("grad") = 1.0f, nogil, "grad * d(binary_crossentropy)/d(y_pred)");
  m.def("categorical_crossentropy", &ops::categorical_crossentropy, arg("y_true"), arg("y_pred"),
        arg("from_logits") = false, nogil, "categorical crossentropy over the last axis, mean over rows (0-d)");
  m.def("categorical_crossentropy_backward", &ops::categorical_crossentropy_backward, arg("y_true"), arg("y_pred"),
        arg("from_logits") = false, arg("grad") = 1.0f, nogil, "grad * d(categorical_crossentropy)/d(y_pred)");
  m.def("sparse_categorical_crossentropy", &ops::sparse_categorical_crossentropy, arg("labels"), arg("y_pred"),
        arg("from_logits") = false, nogil, "crossentropy against int32/int64 class labels, mean over rows (0-d)");
  m.def("sparse_categorical_crossentropy_backward", &ops::sparse_categorical_crossentropy_backward, arg("labels"),
        arg("y_pred"), arg("from_logits") = false, arg("grad") = 1.0f, nogil,
        "grad * d(sparse_categorical_crossentropy)/d(y_pred)");
}

}  // namespace ironnet::bindings
