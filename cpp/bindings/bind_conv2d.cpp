// conv2d, the fused conv2d(relu) -> max_pool2d, and their backwards: convert, release the GIL, call the
// op entry point.
#include <pybind11/stl.h>

#include <array>
#include <optional>
#include <string>

#include "bindings/common.h"
#include "ops/conv2d.h"
#include "ops/conv2d_pool.h"

namespace ironnet::bindings {
namespace {

using Pair = std::array<int64_t, 2>;

// strides (h, w), dilation (h, w), padding ((top, bottom), (left, right)) as the op's geometry.
Conv2dGeometry geometry(const Pair& strides, const Pair& dilation, const std::array<Pair, 2>& padding) {
  Conv2dGeometry g;
  g.stride_h = strides[0];
  g.stride_w = strides[1];
  g.dilation_h = dilation[0];
  g.dilation_w = dilation[1];
  g.pad_top = padding[0][0];
  g.pad_bottom = padding[0][1];
  g.pad_left = padding[1][0];
  g.pad_right = padding[1][1];
  return g;
}

py::object or_none(const Tensor& t) { return t.defined() ? py::cast(t) : py::none(); }

py::tuple grads_tuple(const ops::Conv2dGrads& g) { return py::make_tuple(or_none(g.dx), or_none(g.dw), or_none(g.db)); }

}  // namespace

void bind_conv2d(py::module_& m) {
  const std::array<Pair, 2> no_padding{Pair{0, 0}, Pair{0, 0}};
  m.def(
      "conv2d",
      [](const Tensor& x, const Tensor& w, std::optional<Tensor> b, const Pair& strides, const Pair& dilation,
         const std::array<Pair, 2>& padding, bool relu) {
        py::gil_scoped_release release;
        return ops::conv2d(x, w, b ? &*b : nullptr, geometry(strides, dilation, padding), relu);
      },
      py::arg("x"), py::arg("w"), py::arg("b") = py::none(), py::arg("strides") = Pair{1, 1},
      py::arg("dilation") = Pair{1, 1}, py::arg("padding") = no_padding, py::arg("relu") = false,
      "NHWC convolution with a (kh, kw, C_in, C_out) kernel, bias and relu fused");
  m.def(
      "conv2d_backward",
      [](const Tensor& dy, const Tensor& x, const Tensor& w, const Pair& strides, const Pair& dilation,
         const std::array<Pair, 2>& padding, bool need_dx, bool need_dw, bool need_db,
         std::optional<Tensor> relu_output) {
        ops::Conv2dGrads g;
        {
          py::gil_scoped_release release;
          g = ops::conv2d_backward(dy, x, w, geometry(strides, dilation, padding), need_dx, need_dw, need_db,
                                   relu_output ? &*relu_output : nullptr);
        }
        return grads_tuple(g);
      },
      py::arg("dy"), py::arg("x"), py::arg("w"), py::arg("strides"), py::arg("dilation"), py::arg("padding"),
      py::arg("need_dx"), py::arg("need_dw"), py::arg("need_db"), py::arg("relu_output") = py::none());
  m.def(
      "conv2d_relu_max_pool2d",
      [](const Tensor& x, const Tensor& w, std::optional<Tensor> b, const Pair& strides, const Pair& dilation,
         const std::array<Pair, 2>& padding, const Pair& pool, const Pair& pool_strides,
         const std::string& pool_padding) {
        py::gil_scoped_release release;
        return ops::conv2d_relu_max_pool2d(x, w, b ? &*b : nullptr, geometry(strides, dilation, padding),
                                           {pool, pool_strides, pool_padding});
      },
      py::arg("x"), py::arg("w"), py::arg("b"), py::arg("strides"), py::arg("dilation"), py::arg("padding"),
      py::arg("pool"), py::arg("pool_strides"), py::arg("pool_padding"),
      "conv2d with relu then max_pool2d in one op; returns (pooled, argmax)");
  m.def(
      "conv2d_relu_max_pool2d_backward",
      [](const Tensor& dpooled, const Tensor& pooled, const Tensor& argmax, const Tensor& x, const Tensor& w,
         const Pair& strides, const Pair& dilation, const std::array<Pair, 2>& padding, const Pair& pool,
         const Pair& pool_strides, const std::string& pool_padding, bool need_dx, bool need_dw, bool need_db) {
        ops::Conv2dGrads g;
        {
          py::gil_scoped_release release;
          g = ops::conv2d_relu_max_pool2d_backward(dpooled, pooled, argmax, x, w, geometry(strides, dilation, padding),
                                                   {pool, pool_strides, pool_padding}, need_dx, need_dw, need_db);
        }
        return grads_tuple(g);
      },
      py::arg("dpooled"), py::arg("pooled"), py::arg("argmax"), py::arg("x"), py::arg("w"), py::arg("strides"),
      py::arg("dilation"), py::arg("padding"), py::arg("pool"), py::arg("pool_strides"), py::arg("pool_padding"),
      py::arg("need_dx"), py::arg("need_dw"), py::arg("need_db"));
}

}  // namespace ironnet::bindings
