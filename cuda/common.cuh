// Error checking shared by every CUDA file: each runtime call and launch is checked, and a failure
// becomes a DeviceError (RuntimeError in Python) naming the operation.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <utility>

#include "ironnet/errors.h"

namespace ironnet::cuda {

inline void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess)
    fail<DeviceError>(what, ": CUDA error ", static_cast<int>(status), " (", cudaGetErrorName(status), "): ",
                      cudaGetErrorString(status));
}

// Makes `device` current for the lifetime of the guard, restoring the previous one after.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device) {
    check(cudaGetDevice(&previous_), "cudaGetDevice");
    if (previous_ != device) check(cudaSetDevice(device), "cudaSetDevice");
  }
  ~DeviceGuard() { cudaSetDevice(previous_); }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = 0;
};

// The stream every ironnet kernel and copy on `device` is queued on (created on first use, one per
// device, non-blocking with respect to the legacy default stream). Work on it runs in the order it was
// queued, so a kernel may read what an earlier one wrote without any synchronization; the host waits
// only where it needs the bytes (a copy to the host) or asks to (cuda.synchronize).
cudaStream_t stream(int device);

// Checks the launch just queued (bad configuration, missing kernel image); the kernel's own faults
// surface at the next synchronizing call, named there.
inline void check_launch(const char* op) { check(cudaGetLastError(), op); }

// Queues kernel<<<grid, block, shared_bytes, stream>>>(args...): every launch goes through here, so
// that IRONNET_CUDA=EMULATE builds (cuda/emulation/cuda_runtime.h) can run it on the host, where
// the triple-chevron syntax does not exist. The arguments are those of the chevrons, in their order;
// a kernel template is named with its template arguments (launch_kernel(kernel<Body>, ...)), which a
// function pointer cannot deduce from the call's arguments.
template <class... Params, class... Args>
void launch_kernel(void (*kernel)(Params...), dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t stream,
                   Args&&... args) {
#ifdef IRONNET_CUDA_EMULATION
  ironnet_emulation::launch(kernel, grid, block, shared_bytes, stream, std::forward<Args>(args)...);
#else
  kernel<<<grid, block, shared_bytes, stream>>>(std::forward<Args>(args)...);
#endif
}

// Declares the kernel's dynamic shared memory (the launch's shared_bytes) as `type* name`; use it
// instead of `extern __shared__ type name[];`, which has no C++ spelling for the emulation.
#ifdef IRONNET_CUDA_EMULATION
#define IRONNET_DYNAMIC_SHARED(type, name) type* name = static_cast<type*>(::ironnet_emulation::dynamic_shared_memory())
#else
#define IRONNET_DYNAMIC_SHARED(type, name) \
  extern __shared__ __align__(16) unsigned char name##_bytes[];  \
  type* name = reinterpret_cast<type*>(name##_bytes)
#endif

// Blocks for a grid-stride loop over n elements: enough to fill the GPU, never over the 1-D limit.
inline unsigned grid_for(int64_t n, int threads_per_block) {
  const int64_t blocks = (n + threads_per_block - 1) / threads_per_block;
  constexpr int64_t kMaxBlocks = 65535L * 8;
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks < kMaxBlocks ? blocks : kMaxBlocks));
}

}  // namespace ironnet::cuda
