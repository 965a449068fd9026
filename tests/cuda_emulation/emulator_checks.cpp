// Checks of the host emulation of CUDA itself (cuda/emulation): that it runs kernels with CUDA's
// semantics (barriers, shared memory, warp shuffles and votes, atomics, built-in indices) and that it
// reports what a GPU would fault or hang on (divergent barriers, deadlocks, shuffles from lanes
// outside the mask, bad launch configurations). Built and run by tests/test_cuda_emulation.py;
// prints one line per check and exits 1 when one fails.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common.cuh"

using ironnet::cuda::launch_kernel;

namespace {

int failures = 0;

void expect(bool ok, const char* what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  failures += ok ? 0 : 1;
}

// The launch's error: its name and the emulator's detail.
std::string launch_error() {
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? "" : std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

template <class T>
std::vector<T> to_host(const T* device, size_t n) {
  std::vector<T> host(n);
  cudaMemcpy(host.data(), device, n * sizeof(T), cudaMemcpyDeviceToHost);
  return host;
}

template <class T>
T* device_array(size_t n) {
  void* p = nullptr;
  cudaMalloc(&p, n * sizeof(T));
  return static_cast<T*>(p);
}

// Block b writes its 256 inputs reversed: thread t reads what thread 255 - t wrote to shared memory.
__global__ void reverse_each_block(const int* in, int* out) {
  __shared__ int tile[256];
  const int base = blockIdx.x * blockDim.x;
  tile[threadIdx.x] = in[base + threadIdx.x];
  __syncthreads();
  out[base + threadIdx.x] = tile[blockDim.x - 1 - threadIdx.x];
}

// The same without the barrier: a race, which the emulation's one-thread-at-a-time order exposes
// (thread t runs to its end before thread t + 1 writes, or after, on alternate blocks).
__global__ void reverse_each_block_racy(const int* in, int* out) {
  __shared__ int tile[256];
  const int base = blockIdx.x * blockDim.x;
  tile[threadIdx.x] = in[base + threadIdx.x];
  out[base + threadIdx.x] = tile[blockDim.x - 1 - threadIdx.x];
}

// Per lane: [0] xor-butterfly sum of the warp, [1] shfl_down by 3 in segments of 16, [2] shfl_up by 5,
// [3] lane 7's value, [4] ballot of odd values, [5] any(value == 40), [6] all(value < 64).
__global__ void warp_intrinsics(const int* in, int* out) {
  const int v = in[threadIdx.x];
  int sum = v;
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  int* o = out + 7 * threadIdx.x;
  o[0] = sum;
  o[1] = __shfl_down_sync(0xffffffffu, v, 3, 16);
  o[2] = __shfl_up_sync(0xffffffffu, v, 5);
  o[3] = __shfl_sync(0xffffffffu, v, 7);
  o[4] = static_cast<int>(__ballot_sync(0xffffffffu, v % 2 == 1));
  o[5] = __any_sync(0xffffffffu, v == 40);
  o[6] = __all_sync(0xffffffffu, v < 64);
}

// threadIdx, blockIdx, blockDim and gridDim of a 3-D launch, one record per thread.
__global__ void indices(int* out) {
  const int thread = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  const int block = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  int* o = out + 6 * (block * blockDim.x * blockDim.y * blockDim.z + thread);
  o[0] = threadIdx.x, o[1] = threadIdx.y, o[2] = threadIdx.z, o[3] = blockIdx.x, o[4] = blockIdx.y, o[5] = blockIdx.z;
}

__global__ void count_with_atomics(int* counter, float* total) {
  __shared__ int block_count;
  if (threadIdx.x == 0) block_count = 0;
  __syncthreads();
  atomicAdd(&block_count, 1);
  __syncthreads();
  if (threadIdx.x == 0) atomicAdd(counter, block_count);
  atomicAdd(total, 0.5);  // a double argument on a float*, as CUDA's overloads allow
}

// Threads past n return before the barrier the others wait at: exited threads count as arrived.
__global__ void early_exit_then_barrier(int n, int* out) {
  __shared__ int tile[64];
  if (static_cast<int>(threadIdx.x) >= n) return;
  tile[threadIdx.x] = static_cast<int>(threadIdx.x);
  __syncthreads();
  out[threadIdx.x] = tile[n - 1 - threadIdx.x];
}

__global__ void dynamic_shared(float* out) {
  IRONNET_DYNAMIC_SHARED(float, buffer);
  if (threadIdx.x == 0) buffer[0] = 1.0f;
  __syncthreads();
  out[threadIdx.x] = buffer[threadIdx.x];
}

__global__ void divergent_barrier(int* out) {
  if (threadIdx.x < 5) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  out[threadIdx.x] = 1;
}

// Lanes 0-15 wait at a full-warp shuffle for lanes 16-31, which wait at __syncthreads.
__global__ void warp_and_block_deadlock(int* out) {
  if (threadIdx.x < 16)
    out[threadIdx.x] = __shfl_sync(0xffffffffu, 1, 0);
  else
    __syncthreads();
}

// A 48-thread block: the second warp has 16 lanes, and lane 15 reads lane 16, which does not exist.
__global__ void shuffle_from_missing_lane(int* out) {
  out[threadIdx.x] = __shfl_down_sync(0xffffffffu, static_cast<int>(threadIdx.x), 1);
}

__global__ void nothing(int*) {}

}  // namespace

int main() {
  int* in = device_array<int>(1024);
  int* out = device_array<int>(8192);
  std::vector<int> host(1024);
  for (int i = 0; i < 1024; ++i) host[i] = i * 7 % 1024;
  cudaMemcpy(in, host.data(), sizeof(int) * 1024, cudaMemcpyHostToDevice);

  {  // 4 blocks: threads run in increasing order on blocks 0 and 2, decreasing on 1 and 3
    launch_kernel(reverse_each_block, 4, 256, 0, nullptr, in, out);
    const bool launched = launch_error().empty();
    const std::vector<int> result = to_host(out, 1024);
    bool ok = launched;
    for (int i = 0; i < 1024; ++i) ok = ok && result[i] == host[i / 256 * 256 + 255 - i % 256];
    expect(ok, "shared memory and __syncthreads: every block reversed");
    launch_kernel(reverse_each_block_racy, 4, 256, 0, nullptr, in, out);
    const std::vector<int> racy = to_host(out, 1024);
    int wrong_blocks = 0;
    for (int b = 0; b < 4; ++b) {
      bool block_ok = true;
      for (int i = 256 * b; i < 256 * (b + 1); ++i) block_ok = block_ok && racy[i] == host[i / 256 * 256 + 255 - i % 256];
      wrong_blocks += block_ok ? 0 : 1;
    }
    expect(launch_error().empty() && wrong_blocks == 4, "without the barrier every block reads unwritten shared memory");
  }
  {
    std::vector<int> values(32);
    for (int i = 0; i < 32; ++i) values[i] = 2 * i + (i == 9 || i == 20 ? 1 : 0);  // two odd values
    values[12] = 40;
    cudaMemcpy(in, values.data(), sizeof(int) * 32, cudaMemcpyHostToDevice);
    launch_kernel(warp_intrinsics, 1, 32, 0, nullptr, in, out);
    const bool launched = launch_error().empty();
    const std::vector<int> r = to_host(out, 7 * 32);
    int sum = 0;
    for (int v : values) sum += v;
    bool ok = launched;
    for (int lane = 0; lane < 32; ++lane) {
      const int* o = &r[7 * lane];
      const int down = lane % 16 + 3 < 16 ? values[lane + 3] : values[lane];
      const int up = lane >= 5 ? values[lane - 5] : values[lane];
      ok = ok && o[0] == sum && o[1] == down && o[2] == up && o[3] == values[7] &&
           static_cast<unsigned>(o[4]) == ((1u << 9) | (1u << 20)) && o[5] == 1 && o[6] == 1;
    }
    expect(ok, "warp shuffles (xor, down in segments of 16, up, broadcast) and votes");
  }
  {
    launch_kernel(indices, dim3(3, 2, 2), dim3(4, 3, 2), 0, nullptr, out);
    const bool launched = launch_error().empty();
    const std::vector<int> r = to_host(out, 6 * 12 * 24);
    bool ok = launched;
    for (int b = 0; b < 12; ++b)
      for (int t = 0; t < 24; ++t) {
        const int* o = &r[6 * (b * 24 + t)];
        ok = ok && o[0] == t % 4 && o[1] == t / 4 % 3 && o[2] == t / 12 && o[3] == b % 3 && o[4] == b / 3 % 2 &&
             o[5] == b / 6;
      }
    expect(ok, "threadIdx and blockIdx of a 3-D grid of 3-D blocks");
  }
  {
    int* counter = device_array<int>(1);
    float* total = device_array<float>(1);
    cudaMemset(counter, 0, sizeof(int));
    cudaMemset(total, 0, sizeof(float));
    launch_kernel(count_with_atomics, 3, 100, 0, nullptr, counter, total);
    const bool launched = launch_error().empty();
    expect(launched && to_host(counter, 1)[0] == 300 && to_host(total, 1)[0] == 150.0f, "atomicAdd on shared and global memory");
  }
  {
    launch_kernel(early_exit_then_barrier, 1, 64, 0, nullptr, 40, out);
    const bool launched = launch_error().empty();
    const std::vector<int> r = to_host(out, 40);
    bool ok = launched;
    for (int i = 0; i < 40; ++i) ok = ok && r[i] == 39 - i;
    expect(ok, "threads that returned count as arrived at a later __syncthreads");
  }
  {
    float* floats = device_array<float>(4);
    const std::vector<float> fresh = to_host(floats, 4);
    expect(std::isnan(fresh[0]) && std::isnan(fresh[3]), "cudaMalloc'd memory starts as NaN bytes");
    launch_kernel(dynamic_shared, 1, 4, 16, nullptr, floats);
    const bool launched = launch_error().empty();
    const std::vector<float> r = to_host(floats, 4);
    expect(launched && r[0] == 1.0f && std::isnan(r[1]) && std::isnan(r[3]), "dynamic shared memory starts as NaN bytes");
  }
  {
    launch_kernel(divergent_barrier, 2, 64, 0, nullptr, out);
    const std::string e = launch_error();
    expect(contains(e, "cudaErrorLaunchFailure") && contains(e, "divergent __syncthreads") &&
               contains(e, "emulator_checks.cpp:"),
           "a divergent __syncthreads is a launch failure naming both lines");
    expect(launch_error().empty(), "cudaGetLastError clears the error");
  }
  {
    launch_kernel(warp_and_block_deadlock, 1, 64, 0, nullptr, out);
    expect(contains(launch_error(), "deadlock"), "a warp waiting on lanes that wait at __syncthreads is a deadlock");
  }
  {
    launch_kernel(shuffle_from_missing_lane, 1, 48, 0, nullptr, out);
    expect(contains(launch_error(), "reads a lane that is not in its mask"), "a shuffle from a lane that does not exist");
  }
  {
    launch_kernel(nothing, 1, 1025, 0, nullptr, out);
    const std::string threads = launch_error();
    launch_kernel(nothing, dim3(1, 65536), 32, 0, nullptr, out);
    const std::string grid = launch_error();
    launch_kernel(nothing, 1, 32, 48 * 1024 + 1, nullptr, out);
    const std::string shared = launch_error();
    launch_kernel(nothing, dim3(0), 32, 0, nullptr, out);
    const std::string empty = launch_error();
    expect(contains(threads, "cudaErrorInvalidConfiguration") && contains(threads, "1024 threads") &&
               contains(grid, "65535") && contains(shared, "48 KiB") && contains(empty, "is 0"),
           "launch configurations a GPU refuses are refused");
  }
  std::printf("%d failures\n", failures);
  return failures == 0 ? 0 : 1;
}
