// Device queries, the per-device stream and copies. Device memory comes from allocator.cu, page-locked
// host memory from pinned.cu.
#include <mutex>
#include <string>
#include <vector>

#include "common.cuh"
#include "ironnet/cuda_api.h"

namespace ironnet::cuda {

bool compiled() { return true; }

cudaStream_t stream(int device) {
  // Created once per device and kept for the life of the process (destroying streams at exit races
  // the driver's own teardown).
  static std::mutex mutex;
  static std::vector<cudaStream_t> streams;
  std::lock_guard<std::mutex> lock(mutex);
  if (device < 0) fail<ValueError>("cuda stream: device index ", device, " is negative");
  if (static_cast<size_t>(device) >= streams.size()) streams.resize(static_cast<size_t>(device) + 1, nullptr);
  cudaStream_t& s = streams[static_cast<size_t>(device)];
  if (s == nullptr) {
    DeviceGuard guard(device);
    check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  }
  return s;
}

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
#ifdef IRONNET_CUDA_EMULATION
  return "host emulation";  // IRONNET_CUDA=EMULATE: cuda/emulation stands in for the runtime
#else
  int version = 0;
  check(cudaRuntimeGetVersion(&version), "cudaRuntimeGetVersion");
  return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
#endif
}

void copy_host_to_device(void* dst, const void* src, size_t nbytes, int device) {
  DeviceGuard guard(device);
  // From pageable memory the call returns once `src` has been staged, so the caller may reuse it; from
  // page-locked memory it returns at once (the caller keeps `src` intact: see cuda_api.h).
  check(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyHostToDevice, stream(device)), "copy to cuda (cudaMemcpyAsync)");
}

void copy_device_to_host(void* dst, const void* src, size_t nbytes, int device) {
  DeviceGuard guard(device);
  // The host is about to read dst: wait for this copy and every kernel queued before it.
  check(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToHost, stream(device)), "copy from cuda (cudaMemcpyAsync)");
  check(cudaStreamSynchronize(stream(device)), "copy from cuda (cudaStreamSynchronize)");
}

void copy_device_to_device(void* dst, const void* src, size_t nbytes, int device) {
  DeviceGuard guard(device);
  check(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToDevice, stream(device)), "cuda copy (cudaMemcpyAsync)");
}

void copy_between_devices(void* dst, int dst_device, const void* src, int src_device, size_t nbytes) {
  // The source is final once the kernels queued on its device have run; the host then waits for the
  // copy itself, so that later work on either device (a block reused after its tensor is freed, say)
  // cannot overtake it. Such copies are rare (moving a model between GPUs): simple beats overlapped.
  {
    DeviceGuard guard(src_device);
    check(cudaStreamSynchronize(stream(src_device)), "copy between cuda devices (source stream)");
  }
  DeviceGuard guard(dst_device);
  check(cudaMemcpyPeerAsync(dst, dst_device, src, src_device, nbytes, stream(dst_device)),
        "copy between cuda devices (cudaMemcpyPeerAsync)");
  check(cudaStreamSynchronize(stream(dst_device)), "copy between cuda devices");
}

void memset_zero(void* ptr, size_t nbytes, int device) {
  DeviceGuard guard(device);
  check(cudaMemsetAsync(ptr, 0, nbytes, stream(device)), "cudaMemsetAsync");
}

void synchronize(int device) {
  DeviceGuard guard(device);
  check(cudaStreamSynchronize(stream(device)), "cuda.synchronize");
}

}  // namespace ironnet::cuda
