// Embedding: convert, release the GIL, call the op entry points.
#include "bindings/common.h"
#include "ops/embedding.h"

namespace ironnet::bindings {

void bind_embedding(py::module_& m) {
  m.def("embedding", &ops::embedding, py::arg("ids"), py::arg("table"), py::call_guard<py::gil_scoped_release>());
  m.def("embedding_backward", &ops::embedding_backward, py::arg("ids"), py::arg("dy"), py::arg("vocab"),
        py::call_guard<py::gil_scoped_release>());
}

}  // namespace ironnet::bindings
