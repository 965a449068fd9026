// Image warps: convert, release the GIL, call the op entry point.
#include <pybind11/stl.h>

#include "bindings/common.h"
#include "ops/image.h"

namespace ironnet::bindings {

void bind_image(py::module_& m) {
  using py::arg;
  const auto nogil = py::call_guard<py::gil_scoped_release>();
  m.def("affine_warp", &ops::affine_warp, arg("x"), arg("transforms"), arg("interpolation"), arg("fill_mode"),
        arg("fill_value"), nogil, "x (N, H, W, C) resampled through per-image output->input affine transforms (N, 6)");
  m.def("affine_warp_backward", &ops::affine_warp_backward, arg("dy"), arg("transforms"), arg("input_shape"),
        arg("interpolation"), arg("fill_mode"), nogil, "the transpose of affine_warp applied to dy");
  m.def("flip", &ops::flip, arg("x"), arg("horizontal"), arg("vertical"), nogil,
        "x (N, H, W, C) mirrored per image: left-right where horizontal[n], upside-down where vertical[n]");
}

}  // namespace ironnet::bindings
