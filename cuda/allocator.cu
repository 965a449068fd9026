// The caching device allocator behind device_alloc / device_free: cudaMalloc is slow (and cudaFree
// waits for the whole device), so freed blocks are kept and handed to the next allocation that fits.
// Two pools per device, as PyTorch's allocator has: requests up to 1 MiB are carved from shared 2 MiB
// segments, larger ones from segments rounded up to 2 MiB, so small tensors never fragment the
// segments that large ones need. Sizes round up to 512 bytes.
//
// Reusing a freed block needs no event: every ironnet kernel and copy on a device is queued on that
// device's one stream (stream() in common.cuh), so whatever the new holder queues runs after all the
// work queued while the old holder was alive. Copies between devices return only when they are done
// (copy_between_devices), so no other device's stream still reads or writes a freed block. The one
// exception is memory lent through DLPack: a consumer that drops it while work on its own stream still
// uses it must synchronize first (PyTorch's record_stream solves the same problem for its own blocks).
#include <algorithm>
#include <iomanip>
#include <memory>
#include <mutex>
#include <sstream>
#include <vector>

#include "common.cuh"
#include "core/block_cache.h"
#include "ironnet/cuda_api.h"

namespace ironnet::cuda {
namespace {

constexpr size_t kSmallRequest = size_t{1} << 20;
constexpr size_t kSegmentGranule = size_t{2} << 20;

BlockCache::Policy small_pool_policy() {
  BlockCache::Policy p;
  p.granule = 512;
  p.segment_granule = p.min_segment = kSegmentGranule;
  p.split = true;
  p.min_split_bytes = 512;
  return p;
}

BlockCache::Policy large_pool_policy() {
  BlockCache::Policy p;
  p.granule = 512;
  p.segment_granule = kSegmentGranule;
  p.split = true;
  p.min_split_bytes = kSmallRequest;  // smaller leftovers stay with the block (small requests never use them)
  return p;
}

void* cuda_malloc(size_t nbytes, int device) {
  DeviceGuard guard(device);
  void* ptr = nullptr;
  const cudaError_t status = cudaMalloc(&ptr, nbytes);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear it: running out is reported by the caller, after a retry
    return nullptr;
  }
  check(status, "cuda allocation (cudaMalloc)");
  return ptr;
}

void cuda_free(void* ptr, int device) {
  DeviceGuard guard(device);
  check(cudaFree(ptr), "cuda allocation (cudaFree)");
}

std::string format_bytes(size_t nbytes) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << static_cast<double>(nbytes) / double(1 << 20) << " MiB";
  return out.str();
}

class DeviceMemory {
 public:
  explicit DeviceMemory(int device)
      : device_(device),
        small_(small_pool_policy(), [device](size_t n) { return cuda_malloc(n, device); },
               [device](void* p) { cuda_free(p, device); }),
        large_(large_pool_policy(), [device](size_t n) { return cuda_malloc(n, device); },
               [device](void* p) { cuda_free(p, device); }) {}

  void* allocate(size_t nbytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    BlockCache& pool = nbytes <= kSmallRequest ? small_ : large_;
    void* ptr = pool.acquire(nbytes);
    if (ptr == nullptr) {  // out of memory: give back both pools' cached blocks and try once more
      release_cached_locked();
      ptr = pool.acquire(nbytes);
    }
    if (ptr == nullptr) {
      const MemoryStats now = stats_locked();
      fail<DeviceError>("cuda allocation: out of memory allocating ", nbytes, " bytes on cuda:", device_, " (",
                        format_bytes(now.allocated), " allocated, ", format_bytes(now.reserved), " reserved)");
    }
    peak_allocated_ = std::max(peak_allocated_, small_.stats().allocated + large_.stats().allocated);
    return ptr;
  }

  void free(void* ptr) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
      if (!small_.release(ptr)) large_.release(ptr);  // pools with no idle limit never call cudaFree here
    } catch (...) {
      // Only the free set's insertion can throw (out of host memory): the block is then not reused.
    }
  }

  MemoryStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_locked();
  }

  void release_cached() {
    std::lock_guard<std::mutex> lock(mutex_);
    release_cached_locked();
  }

 private:
  MemoryStats stats_locked() const {
    MemoryStats s;
    s.allocated = small_.stats().allocated + large_.stats().allocated;
    s.reserved = small_.stats().reserved + large_.stats().reserved;
    s.peak_allocated = peak_allocated_;
    return s;
  }

  void release_cached_locked() {
    // A cached block may still be read by kernels queued before its tensor was freed: let them finish.
    {
      DeviceGuard guard(device_);
      check(cudaStreamSynchronize(stream(device_)), "cuda.empty_cache (cudaStreamSynchronize)");
    }
    small_.release_cached();
    large_.release_cached();
  }

  const int device_;
  std::mutex mutex_;  // ops allocate with the GIL released, from any thread
  BlockCache small_, large_;
  size_t peak_allocated_ = 0;
};

// One per device, made on first use and never destroyed (tensors freed at interpreter shutdown still
// come back here). Null when the device does not exist.
DeviceMemory* device_memory(int device) {
  static const std::vector<std::unique_ptr<DeviceMemory>>* const all = [] {
    auto* memories = new std::vector<std::unique_ptr<DeviceMemory>>();
    for (int d = 0; d < device_count(); ++d) memories->push_back(std::make_unique<DeviceMemory>(d));
    return memories;
  }();
  if (device < 0 || device >= static_cast<int>(all->size())) return nullptr;
  return (*all)[static_cast<size_t>(device)].get();
}

}  // namespace

void* device_alloc(size_t nbytes, int device) {
  DeviceMemory* memory = device_memory(device);
  if (memory == nullptr)
    fail<DeviceError>("cuda allocation: device cuda:", device, " is not available (", device_count(),
                      " CUDA devices)");
  return memory->allocate(nbytes);
}

void device_free(void* ptr, int device) noexcept {
  if (DeviceMemory* memory = device_memory(device)) memory->free(ptr);
}

MemoryStats memory_stats(int device) {
  DeviceMemory* memory = device_memory(device);
  if (memory == nullptr)
    fail<ValueError>("cuda memory statistics: device cuda:", device, " does not exist (", device_count(),
                     " CUDA devices)");
  return memory->stats();
}

void empty_cache() {
  for (int d = 0; DeviceMemory* memory = device_memory(d); ++d) memory->release_cached();
}

}  // namespace ironnet::cuda
