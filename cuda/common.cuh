// Error checking shared by every CUDA file: each runtime call and launch is checked, and a failure
// becomes a DeviceError (RuntimeError in Python) naming the operation.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

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

// Blocks for a grid-stride loop over n elements: enough to fill the GPU, never over the 1-D limit.
inline unsigned grid_for(int64_t n, int threads_per_block) {
  const int64_t blocks = (n + threads_per_block - 1) / threads_per_block;
  constexpr int64_t kMaxBlocks = 65535L * 8;
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks < kMaxBlocks ? blocks : kMaxBlocks));
}

}  // namespace ironnet::cuda
