// Optimizer updates on the GPU: the CPU kernels' per-element formulas (cpp/kernels/cpu/
// optimizers_kernels.h) as device functors, in the same float32 order, applied by one multi-tensor
// kernel.
//
// Multi-tensor launch: a table of up to kTensorsPerLaunch tensors is passed by value in the kernel's
// parameters (about 2.3 KiB of the 4 KiB limit). Each tensor is cut into chunks of kChunk elements
// and every block updates one chunk: block b belongs to the last tensor whose first_block <= b, and
// its 256 threads stride over the chunk (consecutive threads, consecutive floats: coalesced).
#include <algorithm>
#include <cmath>

#include "block_reduce.cuh"
#include "common.cuh"
#include "ironnet/cuda/optimizers.h"

namespace ironnet::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kChunk = kThreads * 8;

struct Slot {
  float* w;
  const float* g;
  float* s1;  // the rule's first state buffer (velocity, mean_square, m)
  float* s2;  // its second (RMSprop's momentum buffer, Adam's v); may be null
  int64_t n;
  int64_t first_block;  // this tensor's chunks are blocks [first_block, next slot's first_block)
  float lr, decay;      // decay = lr * weight_decay
  float grad_scale, clip_value;
  float alpha;  // Adam's bias-corrected step size; unused by the others
};

struct Table {
  Slot slot[kTensorsPerLaunch];
  int count;
};

// The gradient after scaling and value clipping (clip <= 0: none).
__device__ float transformed(float g, float scale, float clip) {
  g *= scale;
  if (clip > 0.0f) g = g > clip ? clip : (g < -clip ? -clip : g);
  return g;
}

// Without velocity w -= lr g; with it v = momentum v - lr g, then w += v (or, nesterov,
// w += momentum v - lr g).
struct SgdRule {
  float momentum;
  bool nesterov;
  float alpha(float) const { return 0.0f; }
  __device__ void operator()(const Slot& t, int64_t i) const {
    const float g = transformed(t.g[i], t.grad_scale, t.clip_value);
    if (t.s1 == nullptr) {
      t.w[i] = t.w[i] - t.decay * t.w[i] - t.lr * g;
      return;
    }
    const float look_ahead = nesterov ? momentum : 1.0f, extra_grad = nesterov ? t.lr : 0.0f;
    const float v = momentum * t.s1[i] - t.lr * g;
    t.s1[i] = v;
    t.w[i] = t.w[i] - t.decay * t.w[i] + look_ahead * v - extra_grad * g;
  }
};

// s = rho s + (1 - rho) g^2; step = lr g / sqrt(s + eps); w -= step, or with momentum
// m = momentum m + step, w -= m.
struct RmspropRule {
  float rho, momentum, epsilon;
  float alpha(float) const { return 0.0f; }
  __device__ void operator()(const Slot& t, int64_t i) const {
    const float g = transformed(t.g[i], t.grad_scale, t.clip_value);
    const float s = rho * t.s1[i] + (1.0f - rho) * g * g;
    t.s1[i] = s;
    const float step = t.lr * g / sqrtf(s + epsilon);  // Keras: epsilon inside the root
    if (t.s2 == nullptr) {
      t.w[i] = t.w[i] - t.decay * t.w[i] - step;
      return;
    }
    const float m = momentum * t.s2[i] + step;
    t.s2[i] = m;
    t.w[i] = t.w[i] - t.decay * t.w[i] - m;
  }
};

// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; w -= alpha m / (sqrt(v) + eps).
struct AdamRule {
  float beta1, beta2, epsilon;
  int64_t step;
  // The bias corrections fold into one step size, computed in double exactly as the CPU kernel does.
  float alpha(float lr) const {
    const double t = static_cast<double>(step);
    return static_cast<float>(lr * std::sqrt(1.0 - std::pow(beta2, t)) / (1.0 - std::pow(beta1, t)));
  }
  __device__ void operator()(const Slot& t, int64_t i) const {
    const float g = transformed(t.g[i], t.grad_scale, t.clip_value);
    const float mi = beta1 * t.s1[i] + (1.0f - beta1) * g;
    const float vi = beta2 * t.s2[i] + (1.0f - beta2) * g * g;
    t.s1[i] = mi;
    t.s2[i] = vi;
    t.w[i] = t.w[i] - t.decay * t.w[i] - t.alpha * mi / (sqrtf(vi) + epsilon);
  }
};

// __grid_constant__: the table is read in place from parameter memory (no per-thread copy).
template <class Rule>
__global__ void multi_tensor_update(const __grid_constant__ Table table, Rule rule) {
  const int64_t block = blockIdx.x;
  int s = 0;
  for (int k = 1; k < table.count; ++k)
    if (table.slot[k].first_block <= block) s = k;
  const Slot& t = table.slot[s];
  const int64_t begin = (block - t.first_block) * kChunk;
  const int64_t end = begin + kChunk < t.n ? begin + kChunk : t.n;
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) rule(t, i);
}

template <class Rule>
void launch(const Table& table, int64_t blocks, const Rule& rule, int device, const char* op) {
  if (blocks == 0) return;
  if (blocks > 0x7fffffffLL) fail<ValueError>(op, ": ", blocks, " blocks exceed one launch");
  launch_kernel(multi_tensor_update<Rule>, static_cast<unsigned>(blocks), kThreads, 0, stream(device), table, rule);
  check_launch(op);
}

float* entry(float* const* buffers, size_t i) { return buffers ? buffers[i] : nullptr; }

// Fills tables of kTensorsPerLaunch tensors (empty tensors skipped) and launches each.
template <class Rule>
void update_all(const cpu::UpdateCommon* updates, float* const* s1, float* const* s2, size_t count, const Rule& rule,
                int device, const char* op) {
  DeviceGuard guard(device);
  Table table{};
  int64_t blocks = 0;
  for (size_t i = 0; i < count; ++i) {
    const cpu::UpdateCommon& u = updates[i];
    if (u.n == 0) continue;
    Slot& slot = table.slot[table.count++];
    slot.w = u.w;
    slot.g = u.g;
    slot.s1 = entry(s1, i);
    slot.s2 = entry(s2, i);
    slot.n = u.n;
    slot.first_block = blocks;
    slot.lr = u.lr;
    slot.decay = u.lr * u.weight_decay;
    slot.grad_scale = u.grad_scale;
    slot.clip_value = u.clip_value;
    slot.alpha = rule.alpha(u.lr);
    blocks += (u.n + kChunk - 1) / kChunk;
    if (table.count == kTensorsPerLaunch) {
      launch(table, blocks, rule, device, op);
      table = Table{};
      blocks = 0;
    }
  }
  launch(table, blocks, rule, device, op);
}

__device__ int64_t global_thread() { return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ int64_t grid_threads() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

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

}  // namespace

void sgd_update_multi(const cpu::UpdateCommon* updates, float* const* velocity, size_t count, float momentum,
                      bool nesterov, int device) {
  update_all(updates, velocity, nullptr, count, SgdRule{momentum, nesterov}, device, "sgd update on cuda");
}

void rmsprop_update_multi(const cpu::UpdateCommon* updates, float* const* mean_square, float* const* momentum_buf,
                          size_t count, float rho, float momentum, float epsilon, int device) {
  update_all(updates, mean_square, momentum_buf, count, RmspropRule{rho, momentum, epsilon}, device,
             "rmsprop update on cuda");
}

void adam_update_multi(const cpu::UpdateCommon* updates, float* const* m, float* const* v, size_t count, float beta1,
                       float beta2, float epsilon, int64_t step, int device) {
  update_all(updates, m, v, count, AdamRule{beta1, beta2, epsilon, step}, device, "adam update on cuda");
}

void sum_of_squares(int64_t n, const float* x, double* partials, double* out, int device) {
  DeviceGuard guard(device);
  const unsigned blocks = std::min<unsigned>(grid_for(n, kThreads), static_cast<unsigned>(kSquaresPartials));
  launch_kernel(squares_partials, blocks, kThreads, 0, stream(device), n, x, partials);
  check_launch("sum_of_squares on cuda");
  launch_kernel(sum_partials, 1, kThreads, 0, stream(device), partials, static_cast<int>(blocks), out);
  check_launch("sum_of_squares on cuda");
}

}  // namespace ironnet::cuda
