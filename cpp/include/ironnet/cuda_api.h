// The CUDA runtime seen from C++ code that must not include CUDA headers: device queries, memory
// and copies. Implemented in cuda/runtime.cu when the build compiles it, and by
// cpp/core/cuda_unavailable.cpp otherwise (every call that needs a device then throws DeviceError
// saying the build has no CUDA). The kernels' launchers are declared per op family in
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

void* device_alloc(size_t nbytes, int device);
void device_free(void* ptr, int device) noexcept;
void copy_host_to_device(void* dst, const void* src, size_t nbytes, int device);
void copy_device_to_host(void* dst, const void* src, size_t nbytes, int device);
void copy_device_to_device(void* dst, const void* src, size_t nbytes, int device);
void memset_zero(void* ptr, size_t nbytes, int device);
void synchronize(int device);

}  // namespace ironnet::cuda
