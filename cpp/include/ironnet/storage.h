// A block of memory on one device, shared by every tensor that views it.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>

#include "ironnet/dtype.h"

namespace ironnet {

constexpr size_t kCpuAlignment = 64;  // one cache line; what every SIMD load wants

class Storage {
 public:
  // Memory allocated by ironnet: 64-byte aligned on the CPU, device memory on CUDA.
  static std::shared_ptr<Storage> allocate(size_t nbytes, Device device);
  // Page-locked host memory (a CPU storage the GPU copies from asynchronously); DeviceError in a
  // build without CUDA or on a machine without a GPU.
  static std::shared_ptr<Storage> allocate_pinned(size_t nbytes);
  // Memory owned by someone else (a NumPy array, a DLPack producer); `release` runs when the last
  // tensor viewing it goes away.
  static std::shared_ptr<Storage> borrow(void* data, size_t nbytes, Device device,
                                         std::function<void()> release);

  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  bool pinned() const { return pinned_; }

 private:
  Storage(void* data, size_t nbytes, Device device, std::function<void()> release, bool pinned = false)
      : data_(data), nbytes_(nbytes), device_(device), pinned_(pinned), release_(std::move(release)) {}

  void* data_;
  size_t nbytes_;
  Device device_;
  bool pinned_;
  std::function<void()> release_;
};

// 64-byte aligned host memory (nbytes may be 0). Used for tensors and kernel workspaces.
void* aligned_host_alloc(size_t nbytes);
void aligned_host_free(void* ptr);

}  // namespace ironnet
