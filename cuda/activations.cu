// Activation kernels on the GPU.
//
// Pointwise activations and their backward ops are functors run by the shared grid-stride kernels of
// pointwise.cuh (forward: f(x); backward: f(saved, dy), saved being x or y as in the CPU contract).
// They use CUDA's libdevice math (expf, expm1f, normcdff: a few ulps), so they agree with the CPU's
// polynomial versions to ~1e-6 relative, not bit for bit.
//
// The softmax family works on rows of the last axis; a group of threads owns one row (a warp for
// rows up to kWarpRowMax columns, a whole block of kBlockRowThreads for wider ones, so a 50000-wide
// row is read by 512 threads). Lane j of the group walks columns j, j + group, ... through three
// passes: the row max (numerically stable shift), the sum of exp(x - max) in double like the CPU, and
// the normalization; group_all_reduce combines the lanes in a fixed order (deterministic).
#include <cmath>
#include <cstdint>

#include "block_reduce.cuh"
#include "common.cuh"
#include "ironnet/cuda/activations.h"
#include "pointwise.cuh"

namespace ironnet::cuda {
namespace {

constexpr float kSqrt2OverPi = 0.79788456080286535588f;
constexpr float kInvSqrt2Pi = 0.39894228040143267794f;
constexpr float kGeluCubic = 0.044715f;

// sigmoid(v) and sigmoid(-v) = 1 - sigmoid(v), both without overflow or cancellation.
__device__ inline void sigmoid_pair(float v, float& s_pos, float& s_neg) {
  const float e = expf(-fabsf(v));  // in (0, 1]
  const float s = 1.0f / (1.0f + e);
  const float small = e * s;  // sigmoid(-|v|)
  s_pos = v >= 0.0f ? s : small;
  s_neg = v >= 0.0f ? small : s;
}

struct ReluForward {
  __device__ float operator()(float x) const { return x > 0.0f ? x : 0.0f; }
};
struct ReluBackward {
  __device__ float operator()(float x, float g) const { return x > 0.0f ? g : 0.0f; }
};

struct LeakyReluForward {
  float slope;
  __device__ float operator()(float x) const { return x > 0.0f ? x : slope * x; }
};
struct LeakyReluBackward {
  float slope;
  __device__ float operator()(float x, float g) const { return x > 0.0f ? g : slope * g; }
};

struct EluForward {
  float alpha;
  __device__ float operator()(float x) const { return x > 0.0f ? x : alpha * expm1f(x); }
};
struct EluBackward {
  float alpha;
  __device__ float operator()(float x, float g) const { return x > 0.0f ? g : alpha * expf(x) * g; }
};

// Exact GELU: x * Phi(x);  d/dx = Phi(x) + x phi(x).
struct GeluForward {
  __device__ float operator()(float x) const { return x * normcdff(x); }
};
struct GeluBackward {
  __device__ float operator()(float x, float g) const {
    const float pdf = kInvSqrt2Pi * expf(-0.5f * x * x);
    return g * (normcdff(x) + x * pdf);
  }
};

// Tanh-form GELU as x * sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3);
// d/dx = s(2u) + x s(2u) s(-2u) 2u'(x), u' = sqrt(2/pi) (1 + 3 * 0.044715 x^2).
struct GeluTanhForward {
  __device__ float operator()(float x) const {
    float s, s_neg;
    sigmoid_pair(2.0f * kSqrt2OverPi * (x + kGeluCubic * x * x * x), s, s_neg);
    return x * s;
  }
};
struct GeluTanhBackward {
  __device__ float operator()(float x, float g) const {
    const float du2 = 2.0f * kSqrt2OverPi * (1.0f + 3.0f * kGeluCubic * x * x);
    float s, s_neg;
    sigmoid_pair(2.0f * kSqrt2OverPi * (x + kGeluCubic * x * x * x), s, s_neg);
    return g * (s + x * (s * s_neg) * du2);
  }
};

struct SigmoidForward {
  __device__ float operator()(float x) const {
    float s, s_neg;
    sigmoid_pair(x, s, s_neg);
    return s;
  }
};
struct SigmoidBackward {  // from the output y
  __device__ float operator()(float y, float g) const { return g * y * (1.0f - y); }
};

struct TanhForward {
  __device__ float operator()(float x) const { return tanhf(x); }
};
struct TanhBackward {  // from the output y
  __device__ float operator()(float y, float g) const { return g * (1.0f - y * y); }
};

// --- softmax / log_softmax over the last axis ---------------------------------------------------

constexpr int kRowBlockThreads = 256;  // block size of both row kernels
constexpr int kWideRowThreads = 512;   // one block per row above kWarpRowMax columns
constexpr int64_t kWarpRowMax = 1024;

// Rows handled by a group of kGroup threads (a warp, or the whole block when kGroup is its size):
// calls body(row, lane) for each row of the group; rows are uniform across a group, so a block-wide
// group may synchronize inside body.
template <int kGroup, class Body>
__device__ inline void for_each_row(int64_t rows, Body body) {
  constexpr int kGroupsPerBlock = (kGroup >= kRowBlockThreads ? kGroup : kRowBlockThreads) / kGroup;
  const int lane = threadIdx.x % kGroup;
  for (int64_t row = blockIdx.x * static_cast<int64_t>(kGroupsPerBlock) + threadIdx.x / kGroup; row < rows;
       row += static_cast<int64_t>(gridDim.x) * kGroupsPerBlock)
    body(row, lane);
}

// softmax: y = exp(x - max) / sum;  log_softmax: y = (x - max) - log(sum).
template <int kGroup, bool kLog>
__global__ void softmax_rows(int64_t rows, int64_t cols, const float* __restrict__ x, float* __restrict__ y) {
  for_each_row<kGroup>(rows, [&](int64_t row, int lane) {
    const float* xr = x + row * cols;
    float* yr = y + row * cols;
    float m = -INFINITY;
    for (int64_t j = lane; j < cols; j += kGroup) m = xr[j] > m ? xr[j] : m;
    m = group_all_reduce<kGroup>(m, MaxOp{});
    double sum = 0.0;
    for (int64_t j = lane; j < cols; j += kGroup) {
      const float e = expf(xr[j] - m);
      if constexpr (!kLog) yr[j] = e;
      sum += e;
    }
    sum = group_all_reduce<kGroup>(sum, SumOp{});
    if constexpr (kLog) {
      const float lse = static_cast<float>(log(sum));
      for (int64_t j = lane; j < cols; j += kGroup) yr[j] = (xr[j] - m) - lse;
    } else {
      const float inv = static_cast<float>(1.0 / sum);
      for (int64_t j = lane; j < cols; j += kGroup) yr[j] *= inv;  // the lane's own writes: no race
    }
  });
}

// softmax: dx = y * (dy - sum(dy * y));  log_softmax: dx = dy - exp(y) * sum(dy).
template <int kGroup, bool kLog>
__global__ void softmax_rows_backward(int64_t rows, int64_t cols, const float* __restrict__ y,
                                      const float* __restrict__ dy, float* __restrict__ dx) {
  for_each_row<kGroup>(rows, [&](int64_t row, int lane) {
    const float* yr = y + row * cols;
    const float* gr = dy + row * cols;
    float* dr = dx + row * cols;
    double sum = 0.0;
    for (int64_t j = lane; j < cols; j += kGroup)
      sum += kLog ? static_cast<double>(gr[j]) : static_cast<double>(gr[j]) * yr[j];
    const float total = static_cast<float>(group_all_reduce<kGroup>(sum, SumOp{}));
    for (int64_t j = lane; j < cols; j += kGroup) dr[j] = kLog ? gr[j] - expf(yr[j]) * total : yr[j] * (gr[j] - total);
  });
}

// Picks the group size for the row width and launches kernel<kGroup> over the rows.
template <bool kLog>
void launch_softmax(const char* op, int64_t rows, int64_t cols, const float* x, float* y, int device) {
  if (rows == 0 || cols == 0) return;
  DeviceGuard guard(device);
  if (cols <= kWarpRowMax) {
    launch_kernel(softmax_rows<32, kLog>, grid_for(rows, kRowBlockThreads / 32), kRowBlockThreads, 0, stream(device),
        rows, cols, x, y);
  } else {
    launch_kernel(softmax_rows<kWideRowThreads, kLog>, grid_for(rows, 1), kWideRowThreads, 0, stream(device), rows,
        cols, x, y);
  }
  check_launch(op);
}

template <bool kLog>
void launch_softmax_backward(const char* op, int64_t rows, int64_t cols, const float* y, const float* dy, float* dx,
                             int device) {
  if (rows == 0 || cols == 0) return;
  DeviceGuard guard(device);
  if (cols <= kWarpRowMax) {
    launch_kernel(softmax_rows_backward<32, kLog>, grid_for(rows, kRowBlockThreads / 32), kRowBlockThreads, 0,
        stream(device), rows, cols, y, dy, dx);
  } else {
    launch_kernel(softmax_rows_backward<kWideRowThreads, kLog>, grid_for(rows, 1), kWideRowThreads, 0, stream(device),
        rows, cols, y, dy, dx);
  }
  check_launch(op);
}

}  // namespace

void relu_forward(int64_t n, const float* x, float* y, int device) {
  map_unary("relu on cuda", n, ReluForward{}, x, y, device);
}
void relu_backward(int64_t n, const float* x, const float* dy, float* dx, int device) {
  map_binary("relu_backward on cuda", n, ReluBackward{}, x, dy, dx, device);
}
void leaky_relu_forward(int64_t n, float slope, const float* x, float* y, int device) {
  map_unary("leaky_relu on cuda", n, LeakyReluForward{slope}, x, y, device);
}
void leaky_relu_backward(int64_t n, float slope, const float* x, const float* dy, float* dx, int device) {
  map_binary("leaky_relu_backward on cuda", n, LeakyReluBackward{slope}, x, dy, dx, device);
}
void elu_forward(int64_t n, float alpha, const float* x, float* y, int device) {
  map_unary("elu on cuda", n, EluForward{alpha}, x, y, device);
}
void elu_backward(int64_t n, float alpha, const float* x, const float* dy, float* dx, int device) {
  map_binary("elu_backward on cuda", n, EluBackward{alpha}, x, dy, dx, device);
}
void gelu_forward(int64_t n, bool approximate, const float* x, float* y, int device) {
  if (approximate)
    map_unary("gelu on cuda", n, GeluTanhForward{}, x, y, device);
  else
    map_unary("gelu on cuda", n, GeluForward{}, x, y, device);
}
void gelu_backward(int64_t n, bool approximate, const float* x, const float* dy, float* dx, int device) {
  if (approximate)
    map_binary("gelu_backward on cuda", n, GeluTanhBackward{}, x, dy, dx, device);
  else
    map_binary("gelu_backward on cuda", n, GeluBackward{}, x, dy, dx, device);
}
void sigmoid_forward(int64_t n, const float* x, float* y, int device) {
  map_unary("sigmoid on cuda", n, SigmoidForward{}, x, y, device);
}
void sigmoid_backward(int64_t n, const float* y, const float* dy, float* dx, int device) {
  map_binary("sigmoid_backward on cuda", n, SigmoidBackward{}, y, dy, dx, device);
}
void tanh_forward(int64_t n, const float* x, float* y, int device) {
  map_unary("tanh on cuda", n, TanhForward{}, x, y, device);
}
void tanh_backward(int64_t n, const float* y, const float* dy, float* dx, int device) {
  map_binary("tanh_backward on cuda", n, TanhBackward{}, y, dy, dx, device);
}

void softmax_forward(int64_t rows, int64_t cols, const float* x, float* y, int device) {
  launch_softmax<false>("softmax on cuda", rows, cols, x, y, device);
}
void softmax_backward(int64_t rows, int64_t cols, const float* y, const float* dy, float* dx, int device) {
  launch_softmax_backward<false>("softmax_backward on cuda", rows, cols, y, dy, dx, device);
}
void log_softmax_forward(int64_t rows, int64_t cols, const float* x, float* y, int device) {
  launch_softmax<true>("log_softmax on cuda", rows, cols, x, y, device);
}
void log_softmax_backward(int64_t rows, int64_t cols, const float* y, const float* dy, float* dx, int device) {
  launch_softmax_backward<true>("log_softmax_backward on cuda", rows, cols, y, dy, dx, device);
}

}  // namespace ironnet::cuda
