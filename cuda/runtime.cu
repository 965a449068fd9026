// Device queries, allocation and copies. Allocation is plain cudaMalloc for now; the CUDA backend
// issue replaces it with a caching allocator behind the same two functions.
#include <string>

#include "common.cuh"
#include "ironnet/cuda_api.h"

namespace ironnet::cuda {

bool compiled() { return true; }

int device_count() {
  int count = 0;
  // No driver or no device both mean "no CUDA here", never an error.
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error state the failed query left behind
    return 0;
  }
  return count;
}

bool is_available() { return device_count() > 0; }

std::string device_name(int index) {
  const int count = device_count();
  if (index < 0 || index >= count)
    fail<ValueError>("cuda.device_name: device ", index, " does not exist (", count, " CUDA devices)");
  cudaDeviceProp prop;
  check(cudaGetDeviceProperties(&prop, index), "cudaGetDeviceProperties");
  return prop.name;
}

std::string runtime_version() {
  int version = 0;
  cudaRuntimeGetVersion(&version);
  return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
}

void* device_alloc(size_t nbytes, int device) {
  const int count = device_count();
  if (device < 0 || device >= count)
    fail<DeviceError>("cuda allocation: device cuda:", device, " is not available (", count, " CUDA devices)");
  DeviceGuard guard(device);
  void* ptr = nullptr;
  check(cudaMalloc(&ptr, nbytes ? nbytes : 1), "cudaMalloc");
  return ptr;
}

void device_free(void* ptr, int device) noexcept {
  int previous = 0;
  if (cudaGetDevice(&previous) != cudaSuccess) return;
  cudaSetDevice(device);
  cudaFree(ptr);
  cudaSetDevice(previous);
}

void copy_host_to_device(void* dst, const void* src, size_t nbytes, int device) {
  DeviceGuard guard(device);
  check(cudaMemcpy(dst, src, nbytes, cudaMemcpyHostToDevice), "copy to cuda (cudaMemcpy)");
}

void copy_device_to_host(void* dst, const void* src, size_t nbytes, int device) {
  DeviceGuard guard(device);
  check(cudaMemcpy(dst, src, nbytes, cudaMemcpyDeviceToHost), "copy from cuda (cudaMemcpy)");
}

void copy_device_to_device(void* dst, const void* src, size_t nbytes, int device) {
  DeviceGuard guard(device);
  check(cudaMemcpy(dst, src, nbytes, cudaMemcpyDeviceToDevice), "cuda copy (cudaMemcpy)");
}

void memset_zero(void* ptr, size_t nbytes, int device) {
  DeviceGuard guard(device);
  check(cudaMemset(ptr, 0, nbytes), "cudaMemset");
}

void synchronize(int device) {
  DeviceGuard guard(device);
  check(cudaDeviceSynchronize(), "cuda.synchronize");
}

}  // namespace ironnet::cuda
