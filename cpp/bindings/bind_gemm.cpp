// gemm and matmul: convert, release the GIL, call the op entry point.
#include <pybind11/stl.h>

#include <optional>
#include "bindings/common.h"
#include "ops/gemm.h"

namespace ironnet::bindings {

void bind_gemm(py::module_& m) {
  m.def(
      "gemm",
      [](const Tensor& a, const Tensor& b, std::optional<Tensor> c, bool trans_a, bool trans_b, float alpha,
         float beta) {
        py::gil_scoped_release release;
        return ops::gemm(a, b, c ? &*c : nullptr, trans_a, trans_b, alpha, beta);
      },
      py::arg("a"), py::arg("b"), py::arg("c") = py::none(), py::arg("trans_a") = false, py::arg("trans_b") = false,
      py::arg("alpha") = 1.0f, py::arg("beta") = 0.0f);
  m.def("matmul", &ops::matmul, py::arg("a"), py::arg("b"), py::call_guard<py::gil_scoped_release>());
}

}  // namespace ironnet::bindings
