// The CUDA entry points of a build without the CUDA backend: queries answer "none", and anything
// that needs a device says why it cannot have one.
#include "ironnet/cuda_api.h"
#include "ironnet/errors.h"

namespace ironnet::cuda {
namespace {
[[noreturn]] void no_cuda(const char* what) {
  fail<DeviceError>(what, ": ironnet was built without CUDA (reinstall with IRONNET_CUDA=ON and nvcc on PATH)");
}
}  // namespace

bool compiled() { return false; }
int device_count() { return 0; }
bool is_available() { return false; }
std::string device_name(int) { no_cuda("cuda.device_name"); }
std::string runtime_version() { return "none"; }
void* device_alloc(size_t, int) { no_cuda("cuda allocation"); }
void device_free(void*, int) noexcept {}
MemoryStats memory_stats(int) { no_cuda("cuda memory statistics"); }
void empty_cache() {}  // nothing is ever cached
void* pinned_alloc(size_t) { no_cuda("pin_memory"); }
void pinned_free(void*) noexcept {}
void record_pinned_use(void*, int) {}
void copy_host_to_device(void*, const void*, size_t, int) { no_cuda("copy to cuda"); }
void copy_device_to_host(void*, const void*, size_t, int) { no_cuda("copy from cuda"); }
void copy_device_to_device(void*, const void*, size_t, int) { no_cuda("cuda copy"); }
void copy_between_devices(void*, int, const void*, int, size_t) { no_cuda("copy between cuda devices"); }
void memset_zero(void*, size_t, int) { no_cuda("cuda memset"); }
void synchronize(int) { no_cuda("cuda.synchronize"); }

}  // namespace ironnet::cuda
