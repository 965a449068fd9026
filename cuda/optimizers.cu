// Optimizer updates on the GPU: the CPU kernels' per-element formulas (cpp/kernels/cpu/
// optimizers_kernels.h) as device functions, in the same float32 order.
//
// SGD and RMSprop: one grid-stride launch per weight. Adam: multi-tensor launches; the table of up to
// kAdamTensorsPerLaunch tensors is passed by value in the kernel's parameters (about 2 KiB of the
// 4 KiB limit). Each tensor is cut into chunks of kChunk elements and every block updates one chunk:
// block b belongs to the last tensor whose first_block <= b, and its threads stride over the chunk
// (consecutive threads, consecutive floats: coalesced).
#include <algorithm>
#include <cmath>

#include "block_reduce.cuh"
#include "common.cuh"
#include "ironnet/cuda/optimizers.h"

namespace ironnet::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kChunk = kThreads * 8;

// The gradient after scaling and value clipping (clip <= 0: none).
__device__ float transformed(float g, float scale, float clip) {
  g *= scale;
  if (clip > 0.0f) g = g > clip ? clip : (g < -clip ? -clip : g);
  return g;
}

__device__ int64_t global_thread() { return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ int64_t grid_threads() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// Without velocity w -= lr g; with it v = momentum v - lr g, then w += v (or, nesterov,
// w += momentum v - lr g); look_ahead and extra_grad encode the two.
__global__ void sgd_kernel(cpu::UpdateCommon u, float* velocity, float momentum, float look_ahead, float extra_grad) {
  const float decay = u.lr * u.weight_decay;
  for (int64_t i = global_thread(); i < u.n; i += grid_threads()) {
    const float g = transformed(u.g[i], u.grad_scale, u.clip_value);
    if (velocity == nullptr) {
      u.w[i] = u.w[i] - decay * u.w[i] - u.lr * g;
    } else {
      const float v = momentum * velocity[i] - u.lr * g;
      velocity[i] = v;
      u.w[i] = u.w[i] - decay * u.w[i] + look_ahead * v - extra_grad * g;
    }
  }
}

__global__ void rmsprop_kernel(cpu::UpdateCommon u, float* mean_square, float* momentum_buf, float rho, float momentum,
                               float epsilon) {
  const float decay = u.lr * u.weight_decay;
  for (int64_t i = global_thread(); i < u.n; i += grid_threads()) {
    const float g = transformed(u.g[i], u.grad_scale, u.clip_value);
    const float s = rho * mean_square[i] + (1.0f - rho) * g * g;
    mean_square[i] = s;
    const float step = u.lr * g / sqrtf(s + epsilon);  // Keras: epsilon inside the root
    if (momentum_buf == nullptr) {
      u.w[i] = u.w[i] - decay * u.w[i] - step;
    } else {
      const float m = momentum * momentum_buf[i] + step;
      momentum_buf[i] = m;
      u.w[i] = u.w[i] - decay * u.w[i] - m;
    }
  }
}

struct AdamSlot {
  float* w;
  const float* g;
  float* m;
  float* v;
  int64_t n;
  int64_t first_block;  // this tensor's chunks are blocks [first_block, next slot's first_block)
  float alpha;          // lr * sqrt(1 - beta2^t) / (1 - beta1^t)
  float decay;          // lr * weight_decay
  float grad_scale, clip_value;
};

struct AdamTable {
  AdamSlot slot[kAdamTensorsPerLaunch];
  int count;
};

// __grid_constant__: the table is read in place from parameter memory (no per-thread copy).
__global__ void adam_kernel(const __grid_constant__ AdamTable table, float beta1, float beta2, float epsilon) {
  const int64_t block = blockIdx.x;
  int s = 0;
  for (int k = 1; k < table.count; ++k)
    if (table.slot[k].first_block <= block) s = k;
  const AdamSlot& t = table.slot[s];
  const int64_t begin = (block - t.first_block) * kChunk;
  const int64_t end = begin + kChunk < t.n ? begin + kChunk : t.n;
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    const float g = transformed(t.g[i], t.grad_scale, t.clip_value);
    const float mi = beta1 * t.m[i] + (1.0f - beta1) * g;
    const float vi = beta2 * t.v[i] + (1.0f - beta2) * g * g;
    t.m[i] = mi;
    t.v[i] = vi;
    t.w[i] = t.w[i] - t.decay * t.w[i] - t.alpha * mi / (sqrtf(vi) + epsilon);
  }
}

__global__ void squares_partials(int64_t n, const float* x, double* partials) {
  double acc = 0.0;
  for (int64_t i = global_thread(); i < n; i += grid_threads()) acc += static_cast<double>(x[i]) * x[i];
  acc = block_sum(acc);
  if (threadIdx.x == 0) partials[blockIdx.x] = acc;
}

__global__ void sum_partials(const double* partials, int count, double* out) {
  double acc = 0.0;
  for (int i = threadIdx.x; i < count; i += blockDim.x) acc += partials[i];
  acc = block_sum(acc);
  if (threadIdx.x == 0) *out = acc;
}

void launch_adam(const AdamTable& table, int64_t blocks, float beta1, float beta2, float epsilon, int device) {
  if (blocks == 0) return;
  if (blocks > 0x7fffffffLL) fail<ValueError>("adam update on cuda: ", blocks, " blocks exceed one launch");
  adam_kernel<<<static_cast<unsigned>(blocks), kThreads, 0, stream(device)>>>(table, beta1, beta2, epsilon);
  check_launch("adam update on cuda");
}

}  // namespace

void sgd_update(const cpu::UpdateCommon& u, float* velocity, float momentum, bool nesterov, int device) {
  if (u.n == 0) return;
  DeviceGuard guard(device);
  const float look_ahead = nesterov ? momentum : 1.0f;  // w += momentum v - lr g, or w += v
  const float extra_grad = nesterov ? u.lr : 0.0f;
  sgd_kernel<<<grid_for(u.n, kThreads), kThreads, 0, stream(device)>>>(u, velocity, momentum, look_ahead, extra_grad);
  check_launch("sgd update on cuda");
}

void rmsprop_update(const cpu::UpdateCommon& u, float* mean_square, float* momentum_buf, float rho, float momentum,
                    float epsilon, int device) {
  if (u.n == 0) return;
  DeviceGuard guard(device);
  rmsprop_kernel<<<grid_for(u.n, kThreads), kThreads, 0, stream(device)>>>(u, mean_square, momentum_buf, rho,
                                                                            momentum, epsilon);
  check_launch("rmsprop update on cuda");
}

void adam_update_multi(const cpu::UpdateCommon* updates, float* const* m, float* const* v, size_t count, float beta1,
                       float beta2, float epsilon, int64_t step, int device) {
  DeviceGuard guard(device);
  const double t = static_cast<double>(step);
  AdamTable table{};
  int64_t blocks = 0;
  for (size_t i = 0; i < count; ++i) {
    const cpu::UpdateCommon& u = updates[i];
    if (u.n == 0) continue;
    // The bias corrections fold into one step size, computed in double exactly as the CPU kernel does.
    const float alpha = static_cast<float>(u.lr * std::sqrt(1.0 - std::pow(beta2, t)) / (1.0 - std::pow(beta1, t)));
    table.slot[table.count++] =
        AdamSlot{u.w, u.g, m[i], v[i], u.n, blocks, alpha, u.lr * u.weight_decay, u.grad_scale, u.clip_value};
    blocks += (u.n + kChunk - 1) / kChunk;
    if (table.count == kAdamTensorsPerLaunch) {
      launch_adam(table, blocks, beta1, beta2, epsilon, device);
      table = AdamTable{};
      blocks = 0;
    }
  }
  launch_adam(table, blocks, beta1, beta2, epsilon, device);
}

void sum_of_squares(int64_t n, const float* x, double* partials, double* out, int device) {
  DeviceGuard guard(device);
  const unsigned blocks = std::min<unsigned>(grid_for(n, kThreads), static_cast<unsigned>(kSquaresPartials));
  squares_partials<<<blocks, kThreads, 0, stream(device)>>>(n, x, partials);
  check_launch("sum_of_squares on cuda");
  sum_partials<<<1, kThreads, 0, stream(device)>>>(partials, static_cast<int>(blocks), out);
  check_launch("sum_of_squares on cuda");
}

}  // namespace ironnet::cuda
