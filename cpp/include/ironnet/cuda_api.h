// The CUDA backend seen from C++ code that must not include CUDA headers. Implemented in cuda/
// when the build compiles it, and by cpp/core/cuda_unavailable.cpp otherwise (every call that needs
// a device then throws DeviceError saying the build has no CUDA).
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

// y[i] += alpha * x[i] for i < n, device memory.
void axpy(int64_t n, float alpha, const float* x, float* y, int device);

// C (m x n, row-major, row stride ldc) = alpha * op(A) * op(B) + beta * C, all in device memory,
// with the same stride convention as ironnet::GemmArgs.
void gemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t a_rs, int64_t a_cs,
          const float* b, int64_t b_rs, int64_t b_cs, float* c, int64_t ldc, float alpha,
          float beta, int device);

}  // namespace ironnet::cuda
