// Error checking shared by every CUDA file: each runtime call and launch is checked, and a failure
// becomes a DeviceError (RuntimeError in Python) naming the operation.
#pragma once
#include <cuda_runtime.h>

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

}  // namespace ironnet::cuda
