// DLPack both ways: TensorImpl.__dlpack__ / __dlpack_device__ export without copying, and
// from_dlpack_capsule imports a producer's capsule (legacy or versioned) without copying.
#include <pybind11/stl.h>

#include <cstring>
#include <optional>

#include "bindings/common.h"
#include "bindings/dlpack.h"
#include "ironnet/cuda_api.h"
#include "ironnet/errors.h"

namespace ironnet::bindings {
namespace {

constexpr const char* kLegacyName = "dltensor";
constexpr const char* kVersionedName = "dltensor_versioned";

dlpack::DataType dl_dtype(DType dtype) {
  switch (dtype) {
    case DType::Float32: return {dlpack::kFloat, 32, 1};
    case DType::Int32: return {dlpack::kInt, 32, 1};
    case DType::Int64: return {dlpack::kInt, 64, 1};
  }
  return {dlpack::kFloat, 32, 1};
}

DType dtype_from_dl(const dlpack::DataType& t) {
  if (t.lanes == 1 && t.code == dlpack::kFloat && t.bits == 32) return DType::Float32;
  if (t.lanes == 1 && t.code == dlpack::kInt && t.bits == 32) return DType::Int32;
  if (t.lanes == 1 && t.code == dlpack::kInt && t.bits == 64) return DType::Int64;
  fail<TypeError>("from_dlpack: unsupported dtype (code ", int(t.code), ", ", int(t.bits), " bits, ", t.lanes,
                  " lanes); ironnet tensors are float32, int32 or int64");
}

dlpack::Device dl_device(Device d) {
  return {d.is_cpu() ? dlpack::kCPU : dlpack::kCUDA, d.is_cpu() ? 0 : d.index};
}

// What an exported capsule owns: a reference to the tensor (so its storage lives) and the shape and
// stride arrays the DLTensor points into.
template <class Managed>
struct ExportContext {
  Tensor tensor;
  Shape shape, strides;
  Managed managed{};
};

template <class Managed>
void delete_export(Managed* self) {
  delete static_cast<ExportContext<Managed>*>(self->manager_ctx);
}

template <class Managed>
Managed* make_export(const Tensor& t) {
  auto* ctx = new ExportContext<Managed>{t, t.shape(), t.strides()};
  dlpack::DLTensor& dl = ctx->managed.dl_tensor;
  dl.data = t.raw_data();
  dl.device = dl_device(t.device());
  dl.ndim = static_cast<int32_t>(t.dim());
  dl.dtype = dl_dtype(t.dtype());
  dl.shape = ctx->shape.data();
  dl.strides = ctx->strides.data();
  dl.byte_offset = 0;
  ctx->managed.manager_ctx = ctx;
  ctx->managed.deleter = &delete_export<Managed>;
  return &ctx->managed;
}

// A capsule nobody consumed still owns its tensor: free it when the capsule dies.
template <class Managed>
void capsule_destructor(PyObject* capsule, const char* name) {
  if (!PyCapsule_IsValid(capsule, name)) return;  // renamed "used_...": the consumer owns it now
  auto* managed = static_cast<Managed*>(PyCapsule_GetPointer(capsule, name));
  if (managed && managed->deleter) managed->deleter(managed);
}

py::capsule export_tensor(const Tensor& tensor, const py::object& stream, const py::object& max_version,
                          const py::object& dl_device_arg, const py::object& copy) {
  Tensor t = tensor;
  if (!dl_device_arg.is_none()) {
    const auto want = py::cast<std::pair<int, int>>(dl_device_arg);
    const dlpack::Device have = dl_device(t.device());
    if (want.first != have.device_type || want.second != have.device_id)
      throw py::buffer_error("__dlpack__: cannot export a tensor on " + t.device().str() + " to DLPack device (" +
                             std::to_string(want.first) + ", " + std::to_string(want.second) + ")");
  }
  const bool copied = !copy.is_none() && py::cast<bool>(copy);
  if (copied) t = Tensor::empty(t.shape(), t.dtype(), t.device()), t.copy_from(tensor);
  // Our kernels run on the legacy default stream; finishing them makes the data safe on any stream.
  if (t.device().is_cuda() && !stream.is_none()) cuda::synchronize(t.device().index);

  const bool versioned = !max_version.is_none() && py::cast<std::pair<int, int>>(max_version).first >= 1;
  if (versioned) {
    auto* managed = make_export<dlpack::ManagedTensorVersioned>(t);
    managed->version = {1, 0};
    managed->flags = copied ? dlpack::kFlagIsCopied : 0;
    return py::capsule(managed, kVersionedName, [](PyObject* cap) {
      capsule_destructor<dlpack::ManagedTensorVersioned>(cap, kVersionedName);
    });
  }
  return py::capsule(make_export<dlpack::ManagedTensor>(t), kLegacyName,
                     [](PyObject* cap) { capsule_destructor<dlpack::ManagedTensor>(cap, kLegacyName); });
}

Device device_from_dl(const dlpack::Device& d) {
  switch (d.device_type) {
    case dlpack::kCPU:
    case dlpack::kCUDAHost: return Device{DeviceType::CPU, 0};
    case dlpack::kCUDA:
      if (!cuda::compiled()) fail<DeviceError>("from_dlpack: a CUDA tensor needs ironnet built with CUDA");
      return Device{DeviceType::CUDA, d.device_id};
    default: fail<ValueError>("from_dlpack: unsupported DLPack device type ", d.device_type);
  }
}

// Wraps the producer's memory; `release` hands it back when the last view goes away (or at once when
// the tensor is refused).
Tensor import_dl(const dlpack::DLTensor& dl, bool read_only, const std::function<void()>& release) {
  DType dtype;
  Device device;
  Shape shape, strides;
  try {
    dtype = dtype_from_dl(dl.dtype);
    device = device_from_dl(dl.device);
    shape.assign(dl.shape, dl.shape + dl.ndim);
    strides = dl.strides ? Shape(dl.strides, dl.strides + dl.ndim) : contiguous_strides(shape);
    for (int64_t s : strides)
      if (s < 0) fail<ValueError>("from_dlpack: negative strides ", shape_str(strides), " are not supported");
  } catch (...) {
    release();
    throw;
  }
  const size_t nbytes = static_cast<size_t>(span_elements(shape, strides)) * itemsize(dtype);
  void* data = static_cast<char*>(dl.data) + dl.byte_offset;
  Tensor view(Storage::borrow(data, nbytes, device, release), 0, shape, strides, dtype);
  // ironnet may write into tensors (in-place ops); never into memory the producer marked read-only.
  if (read_only) {
    Tensor owned = Tensor::empty(shape, dtype, device);
    owned.copy_from(view);
    return owned;
  }
  return view;
}

Tensor import_capsule(const py::capsule& capsule) {
  PyObject* cap = capsule.ptr();
  if (PyCapsule_IsValid(cap, kVersionedName)) {
    auto* managed = static_cast<dlpack::ManagedTensorVersioned*>(PyCapsule_GetPointer(cap, kVersionedName));
    if (managed->version.major > 1) fail<ValueError>("from_dlpack: DLPack version ", managed->version.major, " is newer than 1");
    PyCapsule_SetName(cap, "used_dltensor_versioned");
    return import_dl(managed->dl_tensor, managed->flags & dlpack::kFlagReadOnly,
                     [managed] { if (managed->deleter) managed->deleter(managed); });
  }
  if (PyCapsule_IsValid(cap, kLegacyName)) {
    auto* managed = static_cast<dlpack::ManagedTensor*>(PyCapsule_GetPointer(cap, kLegacyName));
    PyCapsule_SetName(cap, "used_dltensor");
    return import_dl(managed->dl_tensor, false, [managed] { if (managed->deleter) managed->deleter(managed); });
  }
  fail<ValueError>("from_dlpack: the capsule is not an unconsumed DLPack tensor (was it used already?)");
}

}  // namespace

void bind_dlpack(py::module_& m) {
  auto tensor_cls = py::reinterpret_borrow<py::class_<Tensor>>(m.attr("TensorImpl"));
  tensor_cls.def("__dlpack__", &export_tensor, py::kw_only(), py::arg("stream") = py::none(),
                 py::arg("max_version") = py::none(), py::arg("dl_device") = py::none(), py::arg("copy") = py::none());
  tensor_cls.def("__dlpack_device__", [](const Tensor& t) {
    const dlpack::Device d = dl_device(t.device());
    return py::make_tuple(d.device_type, d.device_id);
  });
  m.def("from_dlpack_capsule", &import_capsule, py::arg("capsule"),
        "Takes ownership of a DLPack capsule (legacy or versioned) and views its memory without copying.");
}

}  // namespace ironnet::bindings
