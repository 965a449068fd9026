// Dropout: convert, release the GIL, call the op entry point.
#include "bindings/common.h"
#include "ops/dropout.h"

namespace ironnet::bindings {

void bind_dropout(py::module_& m) {
  m.def("dropout", &ops::dropout, py::arg("x"), py::arg("rate"), py::arg("seed"),
        py::call_guard<py::gil_scoped_release>());
}

}  // namespace ironnet::bindings
