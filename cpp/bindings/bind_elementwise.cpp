// Elementwise ops, reductions and concatenate: convert, release the GIL, call the op entry point.
#include <pybind11/stl.h>

#include "bindings/common.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"
#include "ops/shape.h"

namespace ironnet::bindings {

void bind_elementwise(py::module_& m) {
  using cpu::BinaryOp;
  m.def("axpy_", &ops::axpy_, py::arg("y"), py::arg("x"), py::arg("alpha") = 1.0f,
        py::call_guard<py::gil_scoped_release>(), "y += alpha * x in place");
  m.def("add", [](const Tensor& a, const Tensor& b) { return ops::binary(BinaryOp::Add, a, b); }, py::arg("a"),
        py::arg("b"), py::call_guard<py::gil_scoped_release>(), "a + b with NumPy broadcasting (a new tensor)");
  m.def("sub", [](const Tensor& a, const Tensor& b) { return ops::binary(BinaryOp::Sub, a, b); }, py::arg("a"),
        py::arg("b"), py::call_guard<py::gil_scoped_release>(), "a - b with NumPy broadcasting (a new tensor)");
  m.def("mul", [](const Tensor& a, const Tensor& b) { return ops::binary(BinaryOp::Mul, a, b); }, py::arg("a"),
        py::arg("b"), py::call_guard<py::gil_scoped_release>(), "a * b with NumPy broadcasting (a new tensor)");
  m.def("div", [](const Tensor& a, const Tensor& b) { return ops::binary(BinaryOp::Div, a, b); }, py::arg("a"),
        py::arg("b"), py::call_guard<py::gil_scoped_release>(), "a / b with NumPy broadcasting (a new tensor)");
  m.def("sum", &ops::sum, py::arg("x"), py::arg("axes") = py::none(), py::arg("keepdims") = false,
        py::call_guard<py::gil_scoped_release>(), "Sum over axes (all when None), accumulated in double");
  m.def("mean", &ops::mean, py::arg("x"), py::arg("axes") = py::none(), py::arg("keepdims") = false,
        py::call_guard<py::gil_scoped_release>(), "Mean over axes (all when None), accumulated in double");
  m.def("sum_to_shape", &ops::sum_to_shape, py::arg("x"), py::arg("shape"), py::arg("scale") = 1.0f,
        py::call_guard<py::gil_scoped_release>(),
        "scale * x summed over the dimensions it was broadcast along from shape");
  m.def("concatenate", &ops::concatenate, py::arg("tensors"), py::arg("axis") = 0,
        py::call_guard<py::gil_scoped_release>(), "The tensors joined along axis (a new contiguous tensor)");
}

}  // namespace ironnet::bindings
