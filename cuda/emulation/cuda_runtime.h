// Host stand-in for <cuda_runtime.h>: with IRONNET_CUDA=EMULATE the files of cuda/ are compiled by the
// C++ compiler against this header, so the whole CUDA backend runs on the CPU. A test and development
// mode (never the default, never shipped): it lets the CUDA test suite run where no GPU is present.
//
// What is emulated:
//   - one device, "host emulation of CUDA (no GPU)", whose memory is host memory (cudaMalloc is an
//     aligned malloc, copies and memsets are memcpy/memset, done at once); streams and events exist
//     and complete at once, because every kernel runs to completion inside its launch;
//   - kernel launches (ironnet::cuda::launch_kernel in cuda/common.cuh): the launch configuration is
//     checked as the GPU checks it (block size, grid limits), then the blocks run one after another
//     on the launching thread; the threads of a block are cooperative fibers (scheduler.cpp), so
//     __syncthreads is a cheap switch, and a thread runs until it reaches a barrier or ends;
//   - __syncthreads (every live thread must reach the same __syncthreads: a divergent barrier or a
//     deadlock is reported as a launch failure naming the source lines), warp intrinsics
//     (__shfl*_sync, __ballot_sync, __any_sync, __all_sync, __syncwarp: lanes exchange values at a
//     warp rendezvous; reading a lane outside the mask is reported), atomics, math intrinsics, vector
//     types, static __shared__ variables (one copy, used by one block at a time) and dynamic shared
//     memory (IRONNET_DYNAMIC_SHARED in common.cuh; filled with NaN bytes at each block start, so a
//     read of an element the block never wrote shows).
//   - Blocks run in reverse thread order on every other block: a missing barrier between a write and
//     a read by another thread is likely to show in one of the two orders.
//
// What is NOT emulated, so an emulated pass is not a GPU pass:
//   - timing and performance of any kind; occupancy, register or shared-memory limits (only the
//     dynamic shared-memory size is checked);
//   - memory ordering between threads beyond what barriers give: threads of a block run one at a
//     time between barriers, so races the GPU would show (two warps writing one word, a missing
//     __syncwarp between lanes, a missing __threadfence between blocks) mostly pass here;
//   - real warp divergence and independent thread scheduling (lanes only meet at warp intrinsics);
//   - floating-point contraction: nvcc fuses a * b + c into one FMA by default, the emulated build
//     never does (fmaf is fused in both), so results may differ from the GPU's in the last bits;
//   - static __shared__ arrays are not cleared between blocks (they keep the previous block's values);
//   - inline PTX (code must give a host version under IRONNET_CUDA_EMULATION, e.g. gemm_tf32.cuh),
//     textures, cooperative groups, graphs, managed memory, more than one device;
//   - faults: an out-of-bounds access reads or writes host memory, unnoticed unless the build uses
//     AddressSanitizer (the fibers are annotated for it; device allocations are exactly sized), and
//     a misaligned vector access may crash the process.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

#ifndef IRONNET_CUDA_EMULATION
#error "cuda/emulation/cuda_runtime.h is the host stand-in of IRONNET_CUDA=EMULATE builds only"
#endif

// --- qualifiers ---------------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __grid_constant__
#define __constant__
#define __align__(n) __attribute__((aligned(n)))
// Function-local __shared__ arrays become statics: one copy, used by one block at a time.
#define __shared__ static

// --- vector types and built-in variables --------------------------------------------------------
struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct __align__(8) float2 { float x, y; };
struct __align__(16) float4 { float x, y, z, w; };
struct __align__(8) int2 { int x, y; };
struct __align__(16) int4 { int x, y, z, w; };
struct __align__(16) uint4 { unsigned x, y, z, w; };
struct __align__(16) double2 { double x, y; };
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline int2 make_int2(int x, int y) { return {x, y}; }
inline int4 make_int4(int x, int y, int z, int w) { return {x, y, z, w}; }
inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return {x, y, z, w}; }
inline double2 make_double2(double x, double y) { return {x, y}; }

// Set by the block scheduler before it resumes a thread (launches are serialized, see scheduler.cpp).
inline uint3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;
constexpr int warpSize = 32;

// --- runtime API (runtime.cpp) --------------------------------------------------------------------
enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevice = 101,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorNotReady = 600,
  cudaErrorLaunchFailure = 719,
};
using cudaError = cudaError_t;
enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};
enum cudaDeviceAttr {
  cudaDevAttrMaxThreadsPerBlock = 1,
  cudaDevAttrMaxSharedMemoryPerBlock = 8,
  cudaDevAttrWarpSize = 10,
  cudaDevAttrMaxPitch = 11,
  cudaDevAttrMultiProcessorCount = 16,
  cudaDevAttrComputeCapabilityMajor = 75,
  cudaDevAttrComputeCapabilityMinor = 76,
  cudaDevAttrMaxSharedMemoryPerBlockOptin = 97,
};
struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem, sharedMemPerBlock, sharedMemPerBlockOptin, memPitch;
  int warpSize, maxThreadsPerBlock, maxThreadsDim[3], maxGridSize[3], multiProcessorCount, major, minor;
};
struct CUstream_st;
struct CUevent_st;
using cudaStream_t = CUstream_st*;
using cudaEvent_t = CUevent_st*;
constexpr unsigned cudaStreamDefault = 0, cudaStreamNonBlocking = 1;
constexpr unsigned cudaEventDefault = 0, cudaEventBlockingSync = 1, cudaEventDisableTiming = 2;
constexpr unsigned cudaHostAllocDefault = 0, cudaHostAllocPortable = 1;

cudaError_t cudaGetDeviceCount(int* count);
cudaError_t cudaGetDevice(int* device);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device);
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device);
cudaError_t cudaRuntimeGetVersion(int* version);
cudaError_t cudaDriverGetVersion(int* version);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
const char* cudaGetErrorName(cudaError_t error);
const char* cudaGetErrorString(cudaError_t error);

cudaError_t cudaMalloc(void** ptr, size_t bytes);
cudaError_t cudaFree(void* ptr);
cudaError_t cudaMallocHost(void** ptr, size_t bytes);
cudaError_t cudaHostAlloc(void** ptr, size_t bytes, unsigned flags);
cudaError_t cudaFreeHost(void* ptr);
cudaError_t cudaMemGetInfo(size_t* free, size_t* total);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream = nullptr);
cudaError_t cudaMemcpy2DAsync(void* dst, size_t dpitch, const void* src, size_t spitch, size_t width, size_t height,
                              cudaMemcpyKind kind, cudaStream_t stream = nullptr);
cudaError_t cudaMemcpyPeerAsync(void* dst, int dst_device, const void* src, int src_device, size_t bytes,
                                cudaStream_t stream = nullptr);
cudaError_t cudaMemset(void* ptr, int value, size_t bytes);
cudaError_t cudaMemsetAsync(void* ptr, int value, size_t bytes, cudaStream_t stream = nullptr);

cudaError_t cudaStreamCreate(cudaStream_t* stream);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned flags = 0);
cudaError_t cudaEventCreate(cudaEvent_t* event);
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned flags);
cudaError_t cudaEventDestroy(cudaEvent_t event);
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream = nullptr);
cudaError_t cudaEventQuery(cudaEvent_t event);
cudaError_t cudaEventSynchronize(cudaEvent_t event);
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end);

// --- the emulator's interface (scheduler.cpp) ----------------------------------------------------
namespace ironnet_emulation {

// Runs thread_body(context) once for every thread of every block of the grid, as described above.
// A bad configuration or a fault inside the kernel becomes the error cudaGetLastError returns.
void run_grid(dim3 grid, dim3 block, size_t shared_bytes, void (*thread_body)(void*), void* context);

// Emulates kernel<<<grid, block, shared_bytes, stream>>>(args...): the arguments are converted to
// the kernel's parameter types once, and each thread gets its own copy, as on the GPU.
template <class... Params, class... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t,
            Args&&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "kernel launched with the wrong number of arguments");
  using Arguments = std::tuple<std::decay_t<Params>...>;
  static_assert(sizeof(Arguments) <= 32764, "kernel parameters over the 32764 bytes CUDA 12.1+ allows");
  struct Call {
    void (*kernel)(Params...);
    Arguments arguments;
  } call{kernel, Arguments(std::forward<Args>(args)...)};
  run_grid(grid, block, shared_bytes,
           [](void* context) {
             Call& c = *static_cast<Call*>(context);
             std::apply(c.kernel, Arguments(c.arguments));
           },
           &call);
}

// The calling thread's dynamic shared memory (the launch's shared_bytes, 16-byte aligned).
void* dynamic_shared_memory();
// Reports a misuse the GPU would fault or hang on and ends the launch; never returns to the kernel.
[[noreturn]] void fault(const char* what);
void sync_threads(const char* file, int line);

// Warp rendezvous: every lane of `mask` (still running) deposits `bytes` of `data`; returns the
// deposits of all 32 lanes (kSlotBytes apart) and sets *participants to the lanes that took part.
constexpr size_t kSlotBytes = 64;
const unsigned char* warp_exchange(unsigned mask, const void* data, size_t bytes, unsigned* participants);
unsigned lane_id();

template <class T>
T shuffle_from(unsigned mask, T value, unsigned source) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= kSlotBytes, "shuffles move small plain values");
  unsigned participants = 0;
  const unsigned char* slots = warp_exchange(mask, &value, sizeof value, &participants);
  if ((participants >> source & 1u) == 0) fault("a warp shuffle reads a lane that is not in its mask or has exited");
  T out;
  std::memcpy(&out, slots + source * kSlotBytes, sizeof out);
  return out;
}
unsigned ballot(unsigned mask, bool predicate);

}  // namespace ironnet_emulation

// --- device functions ----------------------------------------------------------------------------
#define __syncthreads() ::ironnet_emulation::sync_threads(__FILE__, __LINE__)
inline void __syncwarp(unsigned mask = 0xffffffffu) { ironnet_emulation::ballot(mask, true); }
inline void __threadfence() {}
inline void __threadfence_block() {}

// Source lanes as the CUDA C++ Programming Guide defines them for each shuffle, within segments of
// `width` lanes; a source outside the segment gives the caller its own value.
template <class T>
T __shfl_sync(unsigned mask, T value, int source, int width = warpSize) {
  const unsigned lane = ironnet_emulation::lane_id(), base = lane & ~static_cast<unsigned>(width - 1);
  return ironnet_emulation::shuffle_from(mask, value, base + (static_cast<unsigned>(source) & (width - 1)));
}
template <class T>
T __shfl_up_sync(unsigned mask, T value, unsigned delta, int width = warpSize) {
  const unsigned lane = ironnet_emulation::lane_id(), in_segment = lane & (width - 1);
  return ironnet_emulation::shuffle_from(mask, value, in_segment >= delta ? lane - delta : lane);
}
template <class T>
T __shfl_down_sync(unsigned mask, T value, unsigned delta, int width = warpSize) {
  const unsigned lane = ironnet_emulation::lane_id(), in_segment = lane & (width - 1);
  return ironnet_emulation::shuffle_from(mask, value, in_segment + delta < static_cast<unsigned>(width) ? lane + delta : lane);
}
template <class T>
T __shfl_xor_sync(unsigned mask, T value, int lane_mask, int width = warpSize) {
  const unsigned lane = ironnet_emulation::lane_id(), base = lane & ~static_cast<unsigned>(width - 1);
  const unsigned source = lane ^ static_cast<unsigned>(lane_mask);
  return ironnet_emulation::shuffle_from(mask, value, source - base < static_cast<unsigned>(width) ? source : lane);
}
inline unsigned __ballot_sync(unsigned mask, int predicate) { return ironnet_emulation::ballot(mask, predicate != 0); }
inline int __any_sync(unsigned mask, int predicate) { return ironnet_emulation::ballot(mask, predicate != 0) != 0; }
inline int __all_sync(unsigned mask, int predicate) {
  return ironnet_emulation::ballot(mask, predicate != 0) == ironnet_emulation::ballot(mask, true);
}

// Atomics: the threads of a block run one at a time and never switch inside a function like these,
// so a plain read-modify-write is atomic here. The value's type is not deduced (so atomicAdd(p, 1.0)
// on a float* converts, as CUDA's overloads do).
namespace ironnet_emulation {
template <class T>
using Value = typename std::enable_if<true, T>::type;
}
template <class T>
T atomicAdd(T* address, ironnet_emulation::Value<T> value) { const T old = *address; *address = old + value; return old; }
template <class T>
T atomicSub(T* address, ironnet_emulation::Value<T> value) { const T old = *address; *address = old - value; return old; }
template <class T>
T atomicMax(T* address, ironnet_emulation::Value<T> value) { const T old = *address; *address = old < value ? value : old; return old; }
template <class T>
T atomicMin(T* address, ironnet_emulation::Value<T> value) { const T old = *address; *address = value < old ? value : old; return old; }
template <class T>
T atomicExch(T* address, ironnet_emulation::Value<T> value) { const T old = *address; *address = value; return old; }
template <class T>
T atomicCAS(T* address, ironnet_emulation::Value<T> compare, ironnet_emulation::Value<T> value) { const T old = *address; if (old == compare) *address = value; return old; }
template <class T>
T atomicOr(T* address, ironnet_emulation::Value<T> value) { const T old = *address; *address = old | value; return old; }
template <class T>
T atomicAnd(T* address, ironnet_emulation::Value<T> value) { const T old = *address; *address = old & value; return old; }

template <class T>
T __ldg(const T* address) { return *address; }

// Bit casts and integer intrinsics.
template <class To, class From>
To ironnet_emulation_bit_cast(From from) {
  static_assert(sizeof(To) == sizeof(From), "bit casts keep the size");
  To to;
  std::memcpy(&to, &from, sizeof to);
  return to;
}
inline unsigned __float_as_uint(float x) { return ironnet_emulation_bit_cast<unsigned>(x); }
inline float __uint_as_float(unsigned x) { return ironnet_emulation_bit_cast<float>(x); }
inline int __float_as_int(float x) { return ironnet_emulation_bit_cast<int>(x); }
inline float __int_as_float(int x) { return ironnet_emulation_bit_cast<float>(x); }
inline long long __double_as_longlong(double x) { return ironnet_emulation_bit_cast<long long>(x); }
inline double __longlong_as_double(long long x) { return ironnet_emulation_bit_cast<double>(x); }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(unsigned x) { return x == 0 ? 32 : __builtin_clz(x); }
inline int __ffs(unsigned x) { return __builtin_ffs(static_cast<int>(x)); }

// Fast-math intrinsics: their exact host counterparts (the GPU's are less accurate, so a test that
// passes only with the exact versions would be caught on the GPU, not here).
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __powf(float x, float y) { return powf(x, y); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __tanhf(float x) { return tanhf(x); }
inline float __fdividef(float x, float y) { return x / y; }
inline float __fmul_rn(float x, float y) { return x * y; }  // the build never contracts a * b + c
inline float __fadd_rn(float x, float y) { return x + y; }
inline float __fsub_rn(float x, float y) { return x - y; }
inline float __fmaf_rn(float x, float y, float z) { return fmaf(x, y, z); }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline float __fsqrt_rn(float x) { return sqrtf(x); }
inline float __saturatef(float x) { return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x); }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float normcdff(float x) { return 0.5f * erfcf(-x * 0.70710678118654752f); }
inline double normcdf(double x) { return 0.5 * erfc(-x * 0.70710678118654752); }

// CUDA's min/max accept mixed argument types (the usual arithmetic conversions).
template <class A, class B>
constexpr std::common_type_t<A, B> min(A a, B b) { return b < a ? b : a; }
template <class A, class B>
constexpr std::common_type_t<A, B> max(A a, B b) { return a < b ? b : a; }
