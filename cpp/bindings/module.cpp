// ironnet._C: the native module. Each op family binds itself in its own bind_<family>.cpp.
#include "bindings/common.h"
#include "ironnet/errors.h"

namespace ironnet::bindings {

Device parse_device(const std::string& text) {
  if (text == "cpu") return Device{DeviceType::CPU, 0};
  if (text == "cuda") return Device{DeviceType::CUDA, 0};
  if (text.rfind("cuda:", 0) == 0 && text.size() > 5 && text.find_first_not_of("0123456789", 5) == std::string::npos)
    return Device{DeviceType::CUDA, std::stoi(text.substr(5))};
  fail<ValueError>("unknown device '", text, "': expected 'cpu', 'cuda' or 'cuda:N'");
}

DType dtype_from_numpy(const py::dtype& dt, const char* what) {
  const char kind = dt.kind(), order = dt.byteorder();
  const bool native = order == '=' || order == '|' || (order == '<') == (PY_BIG_ENDIAN == 0);
  if (native && kind == 'f' && dt.itemsize() == 4) return DType::Float32;
  if (native && kind == 'i' && dt.itemsize() == 4) return DType::Int32;
  if (native && kind == 'i' && dt.itemsize() == 8) return DType::Int64;
  fail<TypeError>(what, ": unsupported dtype ", std::string(py::str(dt)),
                  " (ironnet tensors are float32, int32 or int64; convert with .astype first)");
}

py::dtype numpy_dtype(DType dtype) {
  switch (dtype) {
    case DType::Float32: return py::dtype::of<float>();
    case DType::Int32: return py::dtype::of<int32_t>();
    case DType::Int64: return py::dtype::of<int64_t>();
  }
  return py::dtype::of<float>();
}

}  // namespace ironnet::bindings

PYBIND11_MODULE(_C, m) {
  namespace py = pybind11;
  using namespace ironnet;
  m.doc() = "ironnet native core: tensors, CPU (OpenMP + SIMD) and CUDA kernels";

  // Typed C++ errors become the Python exceptions users expect.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ValueError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const TypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const DeviceError& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });

  bindings::bind_tensor(m);
  bindings::bind_dlpack(m);
  bindings::bind_runtime(m);
  bindings::bind_block_cache(m);
  bindings::bind_gemm(m);
  bindings::bind_elementwise(m);
  bindings::bind_optimizers(m);
  bindings::bind_dropout(m);
  bindings::bind_embedding(m);
  bindings::bind_activations(m);
  bindings::bind_losses(m);
  bindings::bind_image(m);
  bindings::bind_batchnorm(m);
  bindings::bind_pooling(m);
  bindings::bind_conv2d(m);
  bindings::bind_recurrent(m);
}
