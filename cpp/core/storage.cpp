#include "ironnet/storage.h"

#include <cstdlib>
#include <new>

#include "core/host_block_cache.h"
#include "ironnet/cuda_api.h"
#include "ironnet/errors.h"

namespace ironnet {

void* aligned_host_alloc(size_t nbytes) {
  // aligned_alloc wants a size that is a multiple of the alignment; round up (and never ask for 0).
  const size_t rounded = (nbytes + kCpuAlignment - 1) / kCpuAlignment * kCpuAlignment;
  void* ptr = std::aligned_alloc(kCpuAlignment, rounded ? rounded : kCpuAlignment);
  if (!ptr) throw std::bad_alloc();
  return ptr;
}

void aligned_host_free(void* ptr) { std::free(ptr); }

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, Device device) {
  if (device.is_cpu()) {
    if (nbytes >= host_block_cache::kMinBytes) {
      void* data = host_block_cache::acquire(nbytes);
      return std::shared_ptr<Storage>(
          new Storage(data, nbytes, device, [data, nbytes] { host_block_cache::release(data, nbytes); }));
    }
    void* data = aligned_host_alloc(nbytes);
    return std::shared_ptr<Storage>(new Storage(data, nbytes, device, [data] { aligned_host_free(data); }));
  }
  void* data = cuda::device_alloc(nbytes, device.index);
  const int index = device.index;
  return std::shared_ptr<Storage>(
      new Storage(data, nbytes, device, [data, index] { cuda::device_free(data, index); }));
}

std::shared_ptr<Storage> Storage::borrow(void* data, size_t nbytes, Device device,
                                         std::function<void()> release) {
  return std::shared_ptr<Storage>(new Storage(data, nbytes, device, std::move(release)));
}

Storage::~Storage() {
  if (release_) release_();
}

}  // namespace ironnet
