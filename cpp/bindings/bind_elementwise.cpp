// Elementwise ops: convert, release the GIL, call the op entry point.
#include "bindings/common.h"
#include "ops/elementwise.h"

namespace ironnet::bindings {

void bind_elementwise(py::module_& m) {
  m.def("axpy_", &ops::axpy_, py::arg("y"), py::arg("x"), py::arg("alpha") = 1.0f,
        py::call_guard<py::gil_scoped_release>(), "y += alpha * x in place");
}

}  // namespace ironnet::bindings
