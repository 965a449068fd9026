// Helpers shared by the binding files: device strings and dtype conversions at the Python boundary.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "ironnet/tensor.h"

namespace ironnet::bindings {

namespace py = pybind11;

// "cpu", "cuda" or "cuda:N"; throws ValueError for anything else.
Device parse_device(const std::string& text);

// NumPy dtype <-> ironnet dtype; TypeError names `what` and the unsupported dtype.
DType dtype_from_numpy(const py::dtype& dt, const char* what);
py::dtype numpy_dtype(DType dtype);

void bind_tensor(py::module_& m);
void bind_dlpack(py::module_& m);
void bind_runtime(py::module_& m);
void bind_block_cache(py::module_& m);
void bind_gemm(py::module_& m);
void bind_elementwise(py::module_& m);
void bind_optimizers(py::module_& m);
void bind_dropout(py::module_& m);
void bind_embedding(py::module_& m);
void bind_activations(py::module_& m);
void bind_losses(py::module_& m);
void bind_image(py::module_& m);
void bind_batchnorm(py::module_& m);
void bind_pooling(py::module_& m);
void bind_conv2d(py::module_& m);
void bind_recurrent(py::module_& m);

}  // namespace ironnet::bindings
