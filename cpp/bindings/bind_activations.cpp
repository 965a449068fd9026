// Activation ops: convert, release the GIL, call the op entry point.
#include "bindings/common.h"
#include "ops/activations.h"

namespace ironnet::bindings {

void bind_activations(py::module_& m) {
  using py::arg;
  const auto nogil = py::call_guard<py::gil_scoped_release>();
  m.def("relu", &ops::relu, arg("x"), nogil, "max(x, 0)");
  m.def("relu_backward", &ops::relu_backward, arg("grad"), arg("x"), nogil, "d relu from the input x");
  m.def("leaky_relu", &ops::leaky_relu, arg("x"), arg("negative_slope"), nogil, "x > 0 ? x : negative_slope * x");
  m.def("leaky_relu_backward", &ops::leaky_relu_backward, arg("grad"), arg("x"), arg("negative_slope"), nogil,
        "d leaky_relu from the input x");
  m.def("elu", &ops::elu, arg("x"), arg("alpha"), nogil, "x > 0 ? x : alpha * (exp(x) - 1)");
  m.def("elu_backward", &ops::elu_backward, arg("grad"), arg("x"), arg("alpha"), nogil, "d elu from the input x");
  m.def("gelu", &ops::gelu, arg("x"), arg("approximate"), nogil, "x * Phi(x), or its tanh approximation");
  m.def("gelu_backward", &ops::gelu_backward, arg("grad"), arg("x"), arg("approximate"), nogil,
        "d gelu from the input x");
  m.def("sigmoid", &ops::sigmoid, arg("x"), nogil, "1 / (1 + exp(-x)), stable for any finite x");
  m.def("sigmoid_backward", &ops::sigmoid_backward, arg("grad"), arg("y"), nogil, "d sigmoid from the output y");
  m.def("tanh", &ops::tanh, arg("x"), nogil, "tanh(x)");
  m.def("tanh_backward", &ops::tanh_backward, arg("grad"), arg("y"), nogil, "d tanh from the output y");
  m.def("softmax", &ops::softmax, arg("x"), nogil, "softmax over the last axis");
  m.def("softmax_backward", &ops::softmax_backward, arg("grad"), arg("y"), nogil, "d softmax from the output y");
  m.def("log_softmax", &ops::log_softmax, arg("x"), nogil, "log_softmax over the last axis");
  m.def("log_softmax_backward", &ops::log_softmax_backward, arg("grad"), arg("y"), nogil,
        "d log_softmax from the output y");
}

}  // namespace ironnet::bindings
