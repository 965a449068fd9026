// TensorImpl: the native tensor as Python sees it (the Python class ironnet.Tensor wraps one).
#include <pybind11/stl.h>

#include <cstring>

#include "bindings/common.h"
#include "ironnet/cuda_api.h"
#include "ironnet/errors.h"

namespace ironnet::bindings {
namespace {

py::tuple to_tuple(const Shape& values) {
  py::tuple out(values.size());
  for (size_t i = 0; i < values.size(); ++i) out[i] = values[i];
  return out;
}

Shape to_shape(const py::iterable& dims, const char* what) {
  Shape shape;
  for (py::handle d : dims) {
    const int64_t v = py::cast<int64_t>(d);
    if (v < 0) fail<ValueError>(what, ": negative dimension ", v);
    shape.push_back(v);
  }
  return shape;
}

// Shares the array's memory when it is writable and its strides are whole, non-negative elements;
// copies into ironnet-owned memory otherwise (or when copy is true).
Tensor from_numpy(const py::array& array, bool copy) {
  const DType dtype = dtype_from_numpy(array.dtype(), "from_numpy");
  const int64_t item = static_cast<int64_t>(itemsize(dtype));
  Shape shape(array.shape(), array.shape() + array.ndim());
  Shape strides(static_cast<size_t>(array.ndim()));
  bool shareable = !copy && array.writeable();
  for (py::ssize_t d = 0; d < array.ndim(); ++d) {
    const int64_t s = array.strides()[d];
    if (s < 0 || s % item != 0) shareable = false;
    strides[static_cast<size_t>(d)] = s / item;
  }
  if (shareable) {
    const size_t nbytes = static_cast<size_t>(span_elements(shape, strides) * item);
    auto* owner = new py::object(array);  // keeps the array alive while any tensor views it
    auto storage = Storage::borrow(const_cast<void*>(array.data()), nbytes, Device{}, [owner] {
      py::gil_scoped_acquire gil;
      delete owner;
    });
    return Tensor(storage, 0, shape, strides, dtype);
  }
  // Copy into memory we own, C-contiguous (NumPy does the gather when the array is strided).
  const py::array dense = py::module_::import("numpy").attr("ascontiguousarray")(array);
  Tensor out = Tensor::empty(shape, dtype, Device{});
  std::memcpy(out.raw_data(), dense.data(), static_cast<size_t>(out.numel()) * static_cast<size_t>(item));
  return out;
}

std::string buffer_format(DType dtype) {
  switch (dtype) {
    case DType::Float32: return py::format_descriptor<float>::format();
    case DType::Int32: return py::format_descriptor<int32_t>::format();
    case DType::Int64: return py::format_descriptor<int64_t>::format();
  }
  return "";
}

py::buffer_info buffer_of(const Tensor& t) {
  if (!t.device().is_cpu())
    fail<TypeError>("Tensor on ", t.device().str(), " cannot be viewed as a NumPy array; call .cpu() first");
  const int64_t item = static_cast<int64_t>(t.itemsize());
  std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end()), strides;
  for (int64_t s : t.strides()) strides.push_back(s * item);
  return py::buffer_info(t.raw_data(), static_cast<py::ssize_t>(item),
                         buffer_format(t.dtype()), t.dim(), shape, strides);
}

}  // namespace

void bind_tensor(py::module_& m) {
  py::enum_<DType>(m, "DType", "Element type of a tensor")
      .value("float32", DType::Float32)
      .value("int32", DType::Int32)
      .value("int64", DType::Int64);

  py::class_<Tensor>(m, "TensorImpl", py::buffer_protocol(), "Native strided tensor on the CPU or a CUDA device")
      .def_buffer(&buffer_of)
      .def_static(
          "empty",
          [](const py::iterable& shape, DType dtype, const std::string& device) {
            return Tensor::empty(to_shape(shape, "empty"), dtype, parse_device(device));
          },
          py::arg("shape"), py::arg("dtype"), py::arg("device") = "cpu")
      .def_static(
          "zeros",
          [](const py::iterable& shape, DType dtype, const std::string& device) {
            return Tensor::zeros(to_shape(shape, "zeros"), dtype, parse_device(device));
          },
          py::arg("shape"), py::arg("dtype"), py::arg("device") = "cpu")
      .def_static("from_numpy", &from_numpy, py::arg("array"), py::arg("copy") = false)
      .def_property_readonly("shape", [](const Tensor& t) { return to_tuple(t.shape()); })
      .def_property_readonly("strides", [](const Tensor& t) { return to_tuple(t.strides()); })
      .def_property_readonly("dtype", &Tensor::dtype)
      .def_property_readonly("device", [](const Tensor& t) { return t.device().str(); })
      .def_property_readonly("ndim", &Tensor::dim)
      .def_property_readonly("itemsize", &Tensor::itemsize)
      .def_property_readonly("data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.raw_data()); })
      .def("numel", &Tensor::numel)
      .def("is_contiguous", &Tensor::is_contiguous)
      .def("shares_memory_with", [](const Tensor& a, const Tensor& b) { return a.storage() == b.storage(); })
      .def("contiguous", &Tensor::contiguous, py::call_guard<py::gil_scoped_release>())
      .def("transpose", &Tensor::transpose, py::arg("dim0"), py::arg("dim1"))
      .def("select", &Tensor::select, py::arg("dim"), py::arg("index"))
      .def(
          "reshape", [](const Tensor& t, const std::vector<int64_t>& shape) {
            py::gil_scoped_release release;
            return t.reshape(shape);
          },
          py::arg("shape"), "A view with another shape when contiguous, else a contiguous copy; one -1 allowed")
      .def(
          "expand", [](const Tensor& t, const std::vector<int64_t>& shape) { return t.expand(shape); },
          py::arg("shape"), "A broadcast view (stride 0 on stretched dimensions)")
      .def("narrow", &Tensor::narrow, py::arg("dim"), py::arg("start"), py::arg("length"))
      .def(
          "clone", [](const Tensor& t) {
            py::gil_scoped_release release;
            Tensor out = Tensor::empty(t.shape(), t.dtype(), t.device());
            out.copy_from(t);
            return out;
          },
          "A contiguous copy on the same device")
      .def(
          "to", [](const Tensor& t, const std::string& device, bool non_blocking) {
            const Device target = parse_device(device);
            py::gil_scoped_release release;
            return t.to(target, non_blocking);
          },
          py::arg("device"), py::arg("non_blocking") = false)
      .def("pin_memory", &Tensor::pin_memory, py::call_guard<py::gil_scoped_release>(),
           "A contiguous copy in page-locked host memory (itself when already pinned)")
      .def("is_pinned", &Tensor::is_pinned)
      .def(
          "copy_from", [](Tensor& t, const Tensor& src, bool non_blocking) {
            py::gil_scoped_release release;
            t.copy_from(src, non_blocking);
          },
          py::arg("src"), py::arg("non_blocking") = false);
}

}  // namespace ironnet::bindings
