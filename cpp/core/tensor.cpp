#include "ironnet/tensor.h"

#include <cstring>

#include "ironnet/cuda/copy.h"
#include "ironnet/cuda_api.h"
#include "ironnet/errors.h"
#include "ops/device.h"

namespace ironnet {

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int64_t span_elements(const Shape& shape, const Shape& strides) {
  if (shape_numel(shape) == 0) return 0;
  int64_t last = 0;
  for (size_t d = 0; d < shape.size(); ++d) last += (shape[d] - 1) * strides[d];
  return last + 1;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t running = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = running;
    running *= shape[i] > 0 ? shape[i] : 1;
  }
  return strides;
}

Tensor::Tensor(std::shared_ptr<Storage> storage, int64_t offset, Shape shape, Shape strides, DType dtype)
    : storage_(std::move(storage)), offset_(offset), shape_(std::move(shape)), strides_(std::move(strides)),
      dtype_(dtype) {
  if (shape_.size() != strides_.size())
    fail<ValueError>("Tensor: shape ", shape_str(shape_), " and strides ", shape_str(strides_),
                     " differ in rank");
  for (size_t d = 0; d < shape_.size(); ++d) {
    if (shape_[d] < 0) fail<ValueError>("Tensor: negative dimension in shape ", shape_str(shape_));
    if (strides_[d] < 0) fail<ValueError>("Tensor: negative strides ", shape_str(strides_), " are not supported");
  }
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  for (int64_t d : shape)
    if (d < 0) fail<ValueError>("Tensor.empty: negative dimension in shape ", shape_str(shape));
  const size_t nbytes = static_cast<size_t>(shape_numel(shape)) * ironnet::itemsize(dtype);
  return Tensor(Storage::allocate(nbytes, device), 0, shape, contiguous_strides(shape), dtype);
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  const size_t nbytes = static_cast<size_t>(t.numel()) * t.itemsize();
  if (device.is_cpu())
    std::memset(t.raw_data(), 0, nbytes);
  else
    cuda::memset_zero(t.raw_data(), nbytes, device.index);
  return t;
}

int64_t Tensor::numel() const { return shape_numel(shape_); }

template <class T>
struct DTypeOf;
template <>
struct DTypeOf<float> { static constexpr DType value = DType::Float32; };
template <>
struct DTypeOf<int32_t> { static constexpr DType value = DType::Int32; };
template <>
struct DTypeOf<int64_t> { static constexpr DType value = DType::Int64; };

template <class T>
T* Tensor::data() const {
  if (dtype_ != DTypeOf<T>::value)
    fail<TypeError>("Tensor.data: tensor is ", dtype_name(dtype_), ", not ", dtype_name(DTypeOf<T>::value));
  return static_cast<T*>(raw_data());
}
template float* Tensor::data<float>() const;
template int32_t* Tensor::data<int32_t>() const;
template int64_t* Tensor::data<int64_t>() const;

bool Tensor::is_contiguous() const {
  if (numel() == 0) return true;  // no element has an address, so every layout is row-major
  int64_t expected = 1;
  for (size_t i = shape_.size(); i-- > 0;) {
    if (shape_[i] == 1) continue;  // the stride of a size-1 dimension never matters
    if (strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

namespace {

// Copies every element of the strided host view `src` into the strided host view `dst` (same shape).
void copy_strided_host(char* dst, const Shape& dst_strides, const char* src, const Shape& src_strides,
                       const Shape& shape, size_t item) {
  const size_t rank = shape.size();
  if (shape_numel(shape) == 0) return;
  if (rank == 0) {
    std::memcpy(dst, src, item);
    return;
  }
  // Walk all indices of the outer dimensions; the innermost runs as memcpy when both are unit-stride.
  const int64_t inner = shape[rank - 1];
  const int64_t ds = dst_strides[rank - 1], ss = src_strides[rank - 1];
  std::vector<int64_t> idx(rank, 0);
  while (true) {
    int64_t doff = 0, soff = 0;
    for (size_t d = 0; d + 1 < rank; ++d) {
      doff += idx[d] * dst_strides[d];
      soff += idx[d] * src_strides[d];
    }
    char* drow = dst + doff * static_cast<int64_t>(item);
    const char* srow = src + soff * static_cast<int64_t>(item);
    if (ds == 1 && ss == 1) {
      std::memcpy(drow, srow, static_cast<size_t>(inner) * item);
    } else {
      for (int64_t j = 0; j < inner; ++j)
        std::memcpy(drow + j * ds * static_cast<int64_t>(item), srow + j * ss * static_cast<int64_t>(item), item);
    }
    size_t d = rank - 1;
    while (d-- > 0) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
    if (d == static_cast<size_t>(-1)) return;
  }
}

// Same-device copy between two CUDA views (any strides; the destination repeats no element).
void copy_on_device(const Tensor& dst, const Tensor& src) {
  if (dst.is_contiguous() && src.is_contiguous()) {
    cuda::copy_device_to_device(dst.raw_data(), src.raw_data(), static_cast<size_t>(dst.numel()) * dst.itemsize(),
                                dst.device().index);
  } else if constexpr (ops::kCudaBuilt) {
    cuda::strided_copy(dst.raw_data(), dst.strides().data(), src.raw_data(), src.strides().data(),
                       dst.shape().data(), static_cast<int>(dst.dim()), dst.itemsize(), dst.device().index);
  }
}

bool repeats_elements(const Tensor& t) {
  for (int64_t d = 0; d < t.dim(); ++d)
    if (t.stride(d) == 0 && t.size(d) > 1) return true;
  return false;
}

}  // namespace

void Tensor::copy_from(const Tensor& src, bool non_blocking) {
  if (src.shape_ != shape_ || src.dtype_ != dtype_)
    fail<ValueError>("Tensor.copy_from: destination ", shape_str(shape_), " ", dtype_name(dtype_),
                     " but source ", shape_str(src.shape_), " ", dtype_name(src.dtype_));
  const size_t item = itemsize();
  const Device dd = device(), sd = src.device();
  if (dd.is_cpu() && sd.is_cpu()) {
    copy_strided_host(static_cast<char*>(raw_data()), strides_, static_cast<const char*>(src.raw_data()),
                      src.strides_, shape_, item);
    return;
  }
  if (numel() == 0) return;
  // GPU threads writing one element from several sources would race (the host writes them in order).
  if (dd.is_cuda() && repeats_elements(*this))
    fail<ValueError>("Tensor.copy_from: the destination ", shape_str(shape_), " with strides ", shape_str(strides_),
                     " on ", dd.str(), " repeats elements (a stride-0 dimension); copy into a tensor that does not");
  const size_t nbytes = static_cast<size_t>(numel()) * item;
  if (dd == sd) {
    copy_on_device(*this, src);
    return;
  }
  if (dd.is_cpu()) {
    // Device to host: gather on the device, then one copy of just the elements (it waits for them).
    const Tensor packed = src.contiguous();
    const Tensor landing = is_contiguous() ? *this : empty(shape_, dtype_, dd);
    cuda::copy_device_to_host(landing.raw_data(), packed.raw_data(), nbytes, sd.index);
    if (!is_contiguous())
      copy_strided_host(static_cast<char*>(raw_data()), strides_, static_cast<const char*>(landing.raw_data()),
                        landing.strides_, shape_, item);
    return;
  }
  // To a GPU: the bytes land contiguous (in this tensor, or in a buffer scattered into it after).
  const Tensor landing = is_contiguous() ? *this : empty(shape_, dtype_, dd);
  if (sd.is_cuda()) {
    const Tensor packed = src.contiguous();
    cuda::copy_between_devices(landing.raw_data(), dd.index, packed.raw_data(), sd.index, nbytes);
  } else {
    const Tensor packed = src.contiguous();  // a strided pinned view packs into pageable memory
    cuda::copy_host_to_device(landing.raw_data(), packed.raw_data(), nbytes, dd.index);
    if (packed.is_pinned()) {
      // The copy may still run: keep the pinned block from reuse until it ends, or wait for it.
      if (non_blocking)
        cuda::record_pinned_use(packed.storage()->data(), dd.index);
      else
        cuda::synchronize(dd.index);
    }
  }
  if (!is_contiguous()) copy_on_device(*this, landing);
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  Tensor out = empty(shape_, dtype_, device());
  out.copy_from(*this);
  return out;
}

Tensor Tensor::to(Device target, bool non_blocking) const {
  if (target == device()) return *this;
  if (target.is_cuda() && !cuda::compiled())
    fail<DeviceError>("Tensor.to('", target.str(), "'): ironnet was built without CUDA");
  Tensor out = empty(shape_, dtype_, target);
  out.copy_from(*this, non_blocking);
  return out;
}

Tensor Tensor::pin_memory() const {
  if (!device().is_cpu())
    fail<ValueError>("Tensor.pin_memory: only CPU tensors can be pinned, this one is on ", device().str());
  if (is_pinned()) return *this;
  const size_t nbytes = static_cast<size_t>(numel()) * itemsize();
  Tensor out(Storage::allocate_pinned(nbytes), 0, shape_, contiguous_strides(shape_), dtype_);
  out.copy_from(*this);
  return out;
}

Tensor Tensor::select(int64_t dim, int64_t index) const {
  const int64_t rank = this->dim();
  if (dim < 0) dim += rank;
  if (dim < 0 || dim >= rank)
    fail<ValueError>("select: dimension out of range for a tensor of shape ", shape_str(shape_));
  if (index < 0) index += shape_[dim];
  if (index < 0 || index >= shape_[dim])
    fail<ValueError>("select: index out of range for dimension ", dim, " of a tensor of shape ", shape_str(shape_));
  Shape shape = shape_, strides = strides_;
  shape.erase(shape.begin() + dim);
  strides.erase(strides.begin() + dim);
  return Tensor(storage_, offset_ + index * strides_[dim], shape, strides, dtype_);
}

Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  const int64_t rank = dim();
  if (dim0 < 0) dim0 += rank;
  if (dim1 < 0) dim1 += rank;
  if (dim0 < 0 || dim0 >= rank || dim1 < 0 || dim1 >= rank)
    fail<ValueError>("transpose: dimensions out of range for a tensor of shape ", shape_str(shape_));
  Shape shape = shape_, strides = strides_;
  std::swap(shape[dim0], shape[dim1]);
  std::swap(strides[dim0], strides[dim1]);
  return Tensor(storage_, offset_, shape, strides, dtype_);
}

Tensor Tensor::reshape(const Shape& shape) const {
  Shape target = shape;
  int64_t known = 1, inferred = -1;
  for (size_t d = 0; d < target.size(); ++d) {
    if (target[d] == -1) {
      if (inferred >= 0)
        fail<ValueError>("reshape: only one dimension can be -1, got ", shape_str(shape), " for a tensor of shape ",
                         shape_str(shape_));
      inferred = static_cast<int64_t>(d);
    } else if (target[d] < 0) {
      fail<ValueError>("reshape: negative dimension in ", shape_str(shape), " for a tensor of shape ",
                       shape_str(shape_));
    } else {
      known *= target[d];
    }
  }
  const int64_t n = numel();
  if (inferred >= 0) {
    if (known == 0 || n % known != 0)
      fail<ValueError>("reshape: cannot reshape a tensor of shape ", shape_str(shape_), " (", n, " elements) to ",
                       shape_str(shape));
    target[static_cast<size_t>(inferred)] = n / known;
  } else if (known != n) {
    fail<ValueError>("reshape: cannot reshape a tensor of shape ", shape_str(shape_), " (", n, " elements) to ",
                     shape_str(shape));
  }
  const Tensor source = contiguous();
  return Tensor(source.storage_, source.offset_, target, contiguous_strides(target), dtype_);
}

Tensor Tensor::expand(const Shape& shape) const {
  const size_t rank = shape.size(), own = shape_.size();
  bool ok = own <= rank;
  Shape strides(rank, 0);
  for (size_t d = 0; ok && d < own; ++d) {
    const size_t t = rank - own + d;
    if (shape_[d] == shape[t])
      strides[t] = strides_[d];
    else if (shape_[d] != 1)
      ok = false;
  }
  for (int64_t d : shape)
    if (d < 0) ok = false;
  if (!ok) fail<ValueError>("expand: cannot broadcast a tensor of shape ", shape_str(shape_), " to ", shape_str(shape));
  return Tensor(storage_, offset_, shape, strides, dtype_);
}

Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length) const {
  const int64_t rank = this->dim();
  if (dim < 0) dim += rank;
  if (dim < 0 || dim >= rank)
    fail<ValueError>("narrow: dimension out of range for a tensor of shape ", shape_str(shape_));
  if (start < 0 || length < 0 || start + length > shape_[dim])
    fail<ValueError>("narrow: [", start, ", ", start + length, ") out of range for dimension ", dim,
                     " of a tensor of shape ", shape_str(shape_));
  Shape shape = shape_;
  shape[dim] = length;
  return Tensor(storage_, offset_ + (length > 0 ? start * strides_[dim] : 0), shape, strides_, dtype_);
}

}  // namespace ironnet
