// The CUDA runtime seen from C++ code that must not include CUDA headers: device queries, memory
// and copies. Implemented in cuda/ (runtime.cu, allocator.cu, pinned.cu) when the build compiles it,
// and by cpp/core/cuda_unavailable.cpp otherwise (every call that needs a device then throws
// DeviceError saying the build has no CUDA). The kernels' launchers are declared per op family in
// ironnet/cuda/<family>.h; op entries reach them only in CUDA builds (see cpp/ops/device.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace ironnet::cuda {

bool compiled();          // true when this build contains the CUDA backend
int device_count();       // 0 when there is no driver or no device (never throws)
bool is_available();      // device_count() > 0
std::string device_name(int index);
std::string runtime_version();

// Device memory from the caching allocator (cuda/allocator.cu): freed blocks are kept for reuse, so
// a training step does not call cudaMalloc. DeviceError when the device does not exist or is out of
// memory (after the cached blocks were given back and the allocation retried).
void* device_alloc(size_t nbytes, int device);
void device_free(void* ptr, int device) noexcept;

struct MemoryStats {
  size_t allocated = 0;       // bytes in blocks held by tensors (sizes rounded as the allocator does)
  size_t reserved = 0;        // bytes held from cudaMalloc: allocated plus the cached free blocks
  size_t peak_allocated = 0;  // the most `allocated` has been since the process started
};
// ValueError when the device does not exist.
MemoryStats memory_stats(int device);
// Gives every cached free block of every device back to the driver (cudaFree).
void empty_cache();

// Page-locked host memory (cuda/pinned.cu), cached like device memory. A block freed while copies
// from it are still queued is reused only after they end: record_pinned_use tells the cache which
// devices' streams copy from a block. DeviceError when there is no GPU or no page-locked memory left.
void* pinned_alloc(size_t nbytes);
void pinned_free(void* block) noexcept;
void record_pinned_use(void* block, int device);

// Copies queued on the device's stream, in order with its kernels.
// Host -> device: from pageable memory the call returns once src has been staged (the caller may
// then reuse it); from page-locked memory it returns at once and the copy runs on, so the caller
// keeps src intact until the stream has passed it (record_pinned_use, or synchronize).
void copy_host_to_device(void* dst, const void* src, size_t nbytes, int device);
// Device -> host: returns when dst holds the bytes (waits for the kernels queued before).
void copy_device_to_host(void* dst, const void* src, size_t nbytes, int device);
void copy_device_to_device(void* dst, const void* src, size_t nbytes, int device);
// Between two devices: returns when the copy has finished (both devices' queued work included).
void copy_between_devices(void* dst, int dst_device, const void* src, int src_device, size_t nbytes);
void memset_zero(void* ptr, size_t nbytes, int device);
void synchronize(int device);

}  // namespace ironnet::cuda
