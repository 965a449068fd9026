// The one tensor type: an n-dimensional strided view of a Storage, on the CPU or a CUDA device.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "ironnet/dtype.h"
#include "ironnet/storage.h"

namespace ironnet {

using Shape = std::vector<int64_t>;

class Tensor {
 public:
  Tensor() = default;
  // A view: element idx lives at storage bytes + (offset + sum idx[d] * strides[d]) * itemsize.
  // Strides are in elements and may be zero (broadcast) but never negative.
  Tensor(std::shared_ptr<Storage> storage, int64_t offset, Shape shape, Shape strides, DType dtype);

  // Fresh, row-major (C-contiguous) tensors.
  static Tensor empty(const Shape& shape, DType dtype, Device device);
  static Tensor zeros(const Shape& shape, DType dtype, Device device);

  int64_t dim() const { return static_cast<int64_t>(shape_.size()); }
  int64_t numel() const;
  const Shape& shape() const { return shape_; }
  const Shape& strides() const { return strides_; }
  int64_t size(int64_t d) const { return shape_[static_cast<size_t>(d)]; }
  int64_t stride(int64_t d) const { return strides_[static_cast<size_t>(d)]; }
  int64_t offset() const { return offset_; }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_->device(); }
  size_t itemsize() const { return ironnet::itemsize(dtype_); }
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  bool defined() const { return storage_ != nullptr; }

  void* raw_data() const {
    return static_cast<char*>(storage_->data()) + offset_ * static_cast<int64_t>(itemsize());
  }
  // Typed pointer to the first element; throws TypeError when T does not match dtype().
  template <class T>
  T* data() const;

  bool is_contiguous() const;
  // This tensor if it is already contiguous, else a contiguous copy on the same device.
  Tensor contiguous() const;
  // A copy on `device` (this tensor itself when it is already there). non_blocking: a copy from
  // pinned host memory to a GPU may still be running on return (queued on the device's stream, in
  // order with its kernels); from pageable memory, and in every other direction, it is ignored.
  Tensor to(Device device, bool non_blocking = false) const;
  // A contiguous copy of this CPU tensor in page-locked memory (itself when already pinned).
  // ValueError for a CUDA tensor; DeviceError without CUDA or a GPU.
  Tensor pin_memory() const;
  bool is_pinned() const { return storage_->pinned(); }
  // Swap two dimensions (a view; no copy).
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  // The slice at `index` along `dim`, that dimension dropped (a view; no copy).
  Tensor select(int64_t dim, int64_t index) const;
  // The same elements in row-major order with another shape: a view when this tensor is contiguous,
  // else a contiguous copy. One dimension may be -1 (inferred); ValueError when the sizes differ.
  Tensor reshape(const Shape& shape) const;
  // A view stretched to `shape` by NumPy broadcasting (stride 0 on stretched dimensions); ValueError
  // when this shape does not broadcast to it.
  Tensor expand(const Shape& shape) const;
  // Elements [start, start + length) along `dim` (a view; no copy).
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  // Writes `src` (same shape and dtype, any device) into this tensor; non_blocking as for to().
  // ValueError when this is a CUDA view that repeats elements (a stride-0 dimension).
  void copy_from(const Tensor& src, bool non_blocking = false);

 private:
  std::shared_ptr<Storage> storage_;
  int64_t offset_ = 0;
  Shape shape_;
  Shape strides_;
  DType dtype_ = DType::Float32;
};

Shape contiguous_strides(const Shape& shape);
int64_t shape_numel(const Shape& shape);
// Elements from a view's first element to one past its last (0 when empty): the memory it touches.
int64_t span_elements(const Shape& shape, const Shape& strides);

}  // namespace ironnet
