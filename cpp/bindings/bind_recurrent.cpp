// The fused recurrent sequence ops and their backward: convert, release the GIL, call the op entry point.
#include <pybind11/stl.h>

#include <array>
#include <optional>
#include <string>

#include "bindings/common.h"
#include "ops/recurrent.h"

namespace ironnet::bindings {
namespace {

using Opt = std::optional<Tensor>;

const Tensor* or_null(const Opt& t) { return t ? &*t : nullptr; }
py::object or_none(const Tensor& t) { return t.defined() ? py::cast(t) : py::none(); }

ops::RecurrentInputs inputs(const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel, const Opt& bias,
                            const Opt& h0, const Opt& c0, const Opt& mask, const Opt& recurrent_mask) {
  ops::RecurrentInputs in;
  in.x = x, in.kernel = kernel, in.recurrent_kernel = recurrent_kernel;
  in.bias = or_null(bias), in.h0 = or_null(h0), in.c0 = or_null(c0);
  in.mask = or_null(mask), in.recurrent_mask = or_null(recurrent_mask);
  return in;
}

ops::RecurrentConfig config(const std::string& cell, bool reverse, bool reset_after, const std::string& activation,
                            const std::string& recurrent_activation) {
  return ops::RecurrentConfig{cell, reverse, reset_after, activation, recurrent_activation};
}

}  // namespace

void bind_recurrent(py::module_& m) {
  m.def(
      "recurrent_forward",
      [](const std::string& cell, const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel,
         const Opt& bias, const Opt& h0, const Opt& c0, const Opt& mask, const Opt& recurrent_mask, bool reverse,
         bool reset_after, const std::string& activation, const std::string& recurrent_activation, bool training) {
        ops::RecurrentOutputs out;
        {
          py::gil_scoped_release release;
          out = ops::recurrent_forward(inputs(x, kernel, recurrent_kernel, bias, h0, c0, mask, recurrent_mask),
                                       config(cell, reverse, reset_after, activation, recurrent_activation),
                                       training);
        }
        return py::make_tuple(out.y, out.h_last, or_none(out.c_last), or_none(out.workspace));
      },
      py::arg("cell"), py::arg("x"), py::arg("kernel"), py::arg("recurrent_kernel"), py::arg("bias"), py::arg("h0"),
      py::arg("c0"), py::arg("mask"), py::arg("recurrent_mask"), py::arg("reverse"), py::arg("reset_after"),
      py::arg("activation"), py::arg("recurrent_activation"), py::arg("training"),
      "A whole LSTM/GRU/simple RNN sequence; returns (y, h_last, c_last or None, workspace or None)");
  m.def(
      "recurrent_backward",
      [](const std::string& cell, const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel,
         const Opt& bias, const Opt& h0, const Opt& c0, const Opt& mask, const Opt& recurrent_mask, bool reverse,
         bool reset_after, const std::string& activation, const std::string& recurrent_activation,
         const Tensor& workspace, const Tensor& dy, const Opt& dh_last, const Opt& dc_last,
         const std::array<bool, 6>& need) {
        ops::RecurrentGrads g;
        {
          py::gil_scoped_release release;
          g = ops::recurrent_backward(inputs(x, kernel, recurrent_kernel, bias, h0, c0, mask, recurrent_mask),
                                      config(cell, reverse, reset_after, activation, recurrent_activation),
                                      workspace, dy, or_null(dh_last), or_null(dc_last), need.data());
        }
        return py::make_tuple(or_none(g.dx), or_none(g.dkernel), or_none(g.drecurrent_kernel), or_none(g.dbias),
                              or_none(g.dh0), or_none(g.dc0));
      },
      py::arg("cell"), py::arg("x"), py::arg("kernel"), py::arg("recurrent_kernel"), py::arg("bias"), py::arg("h0"),
      py::arg("c0"), py::arg("mask"), py::arg("recurrent_mask"), py::arg("reverse"), py::arg("reset_after"),
      py::arg("activation"), py::arg("recurrent_activation"), py::arg("workspace"), py::arg("dy"),
      py::arg("dh_last"), py::arg("dc_last"), py::arg("need"),
      "Backward through time; need = which of (x, kernel, recurrent_kernel, bias, h0, c0) to return");
}

}  // namespace ironnet::bindings
