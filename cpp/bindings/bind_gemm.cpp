// gemm and matmul: convert, release the GIL, call the op entry point.
#include <pybind11/stl.h>

#include <optional>
#include "bindings/common.h"
#include "ops/gemm.h"
#include "ops/linear.h"

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
  py::class_<cpu::PackedB, std::shared_ptr<cpu::PackedB>>(
      m, "PackedB", "A matrix B packed once for repeated gemm(a, B) products (a copy; CPU only)")
      .def_property_readonly("shape", [](const cpu::PackedB& b) { return py::make_tuple(b.k(), b.n()); })
      .def_property_readonly("isa", [](const cpu::PackedB& b) { return std::string(isa_name(b.isa())); })
      .def("__repr__", [](const cpu::PackedB& b) {
        return "PackedB(shape=(" + std::to_string(b.k()) + ", " + std::to_string(b.n()) + "), isa='" +
               isa_name(b.isa()) + "')";
      });
  m.def("pack_b", &ops::pack_b, py::arg("b"), py::arg("trans_b") = false,
        py::call_guard<py::gil_scoped_release>());
  m.def(
      "gemm_packed",
      [](const Tensor& a, const cpu::PackedB& b, std::optional<Tensor> c, bool trans_a, float alpha, float beta) {
        py::gil_scoped_release release;
        return ops::gemm(a, b, c ? &*c : nullptr, trans_a, alpha, beta);
      },
      py::arg("a"), py::arg("b"), py::arg("c") = py::none(), py::arg("trans_a") = false, py::arg("alpha") = 1.0f,
      py::arg("beta") = 0.0f);
  m.def(
      "linear",
      [](const Tensor& x, const Tensor& w, std::optional<Tensor> b, bool relu) {
        py::gil_scoped_release release;
        return ops::linear(x, w, b ? &*b : nullptr, relu);
      },
      py::arg("x"), py::arg("w"), py::arg("b") = py::none(), py::arg("relu") = false,
      "x @ w + b with the bias fused into the GEMM (and relu right after it when asked)");
  m.def(
      "linear_backward",
      [](const Tensor& dy, const Tensor& x, const Tensor& w, bool need_dx, bool need_dw, bool need_db,
         std::optional<Tensor> relu_output) {
        ops::LinearGrads g;
        {
          py::gil_scoped_release release;
          g = ops::linear_backward(dy, x, w, need_dx, need_dw, need_db, relu_output ? &*relu_output : nullptr);
        }
        auto or_none = [](const Tensor& t) { return t.defined() ? py::cast(t) : py::none(); };
        return py::make_tuple(or_none(g.dx), or_none(g.dw), or_none(g.db));
      },
      py::arg("dy"), py::arg("x"), py::arg("w"), py::arg("need_dx"), py::arg("need_dw"), py::arg("need_db"),
      py::arg("relu_output") = py::none());
  m.def("matmul", &ops::matmul, py::arg("a"), py::arg("b"), py::call_guard<py::gil_scoped_release>());
}

}  // namespace ironnet::bindings
