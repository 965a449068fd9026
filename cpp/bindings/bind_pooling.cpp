// Pooling: convert, release the GIL, call the op entry points. pool/strides arrive as (h, w) tuples.
#include <pybind11/stl.h>

#include "bindings/common.h"
#include "ops/pooling.h"

namespace ironnet::bindings {

void bind_pooling(py::module_& m) {
  auto guard = py::call_guard<py::gil_scoped_release>();
  m.def(
      "pool_output_length",
      [](int64_t length, int64_t pool, int64_t stride, const std::string& padding) {
        return ops::pool_output_length("pool_output_length", length, pool, stride, padding);
      },
      py::arg("length"), py::arg("pool"), py::arg("stride"), py::arg("padding"));
  m.def("max_pool2d", &ops::max_pool2d, py::arg("x"), py::arg("pool"), py::arg("strides"), py::arg("padding"), guard);
  m.def("max_pool2d_backward", &ops::max_pool2d_backward, py::arg("dy"), py::arg("argmax"), py::arg("input_shape"),
        py::arg("pool"), py::arg("strides"), py::arg("padding"), guard);
  m.def("avg_pool2d", &ops::avg_pool2d, py::arg("x"), py::arg("pool"), py::arg("strides"), py::arg("padding"), guard);
  m.def("avg_pool2d_backward", &ops::avg_pool2d_backward, py::arg("dy"), py::arg("input_shape"), py::arg("pool"),
        py::arg("strides"), py::arg("padding"), guard);
  m.def("global_max_pool2d", &ops::global_max_pool2d, py::arg("x"), guard);
  m.def("global_max_pool2d_backward", &ops::global_max_pool2d_backward, py::arg("dy"), py::arg("argmax"),
        py::arg("input_shape"), guard);
  m.def("global_avg_pool2d", &ops::global_avg_pool2d, py::arg("x"), guard);
  m.def("global_avg_pool2d_backward", &ops::global_avg_pool2d_backward, py::arg("dy"), py::arg("input_shape"), guard);
}

}  // namespace ironnet::bindings
