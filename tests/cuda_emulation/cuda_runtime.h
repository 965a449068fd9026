// Host stand-in for <cuda_runtime.h>, just enough to run the GEMM kernels of cuda/gemm_*.cuh on the
// CPU: a kernel call runs one block at a time on 256 std::threads, __syncthreads is a std::barrier
// and __shared__ storage is static (blocks run one after another, so they never share it).
// Only the kernels' indexing is checked this way (tiles, staging, edges, epilogue); speed, memory
// ordering between real warps and the mma fragment layout itself are left to the GPU tests.
#pragma once
#include <algorithm>
#include <barrier>
#include <cstdint>
#include <cstring>

struct EmulatedDim3 {
  unsigned x = 0, y = 0, z = 0;
};
inline thread_local EmulatedDim3 threadIdx, blockIdx;
inline std::barrier<>* emulated_block_barrier = nullptr;

struct float4 {
  float x, y, z, w;
};
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline uint32_t __float_as_uint(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline float __uint_as_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
using std::min;

#define __syncthreads() emulated_block_barrier->arrive_and_wait()
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(threads, blocks)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
#define __restrict__
