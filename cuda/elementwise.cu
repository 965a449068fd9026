// Elementwise kernels on the GPU: axpy, fill, and the broadcasting binary ops (add, sub, mul, div).
//
// Binary ops take the op entry's coalesced iteration space (out contiguous over `sizes`, each operand
// read at its own strides, 0 on a broadcast dimension) and run one of two grid-stride kernels:
//  - both operands contiguous over the same elements (rank 1, unit strides) and every pointer 16-byte
//    aligned: float4 loads and stores, one vector per thread per step, the < 4 tail elements after;
//  - anything else (broadcasts, transposed or sliced views): thread i computes out[i] from its
//    row-major index turned into each operand's offset (StridedIndex: 32-bit index arithmetic below
//    2^32 elements, 64-bit beyond; int64 offsets).
#include <cstdint>

#include "common.cuh"
#include "ironnet/cuda/elementwise.h"
#include "pointwise.cuh"
#include "strided_index.cuh"

namespace ironnet::cuda {
namespace {

__global__ void axpy_kernel(int64_t n, float alpha, const float* __restrict__ x, float* __restrict__ y) {
  for (int64_t i = first_index(); i < n; i += grid_step()) y[i] += alpha * x[i];
}

__global__ void fill_kernel(int64_t n, float value, float* __restrict__ out) {
  for (int64_t i = first_index(); i < n; i += grid_step()) out[i] = value;
}

struct AddOp { __device__ float operator()(float x, float y) const { return x + y; } };
struct SubOp { __device__ float operator()(float x, float y) const { return x - y; } };
struct MulOp { __device__ float operator()(float x, float y) const { return x * y; } };
struct DivOp { __device__ float operator()(float x, float y) const { return x / y; } };

template <class Op>
__global__ void binary_contiguous(int64_t n, const float* __restrict__ a, const float* __restrict__ b,
                                  float* __restrict__ out) {
  const Op op{};
  const int64_t vectors = n / 4;
  const auto* a4 = reinterpret_cast<const float4*>(a);
  const auto* b4 = reinterpret_cast<const float4*>(b);
  auto* out4 = reinterpret_cast<float4*>(out);
  for (int64_t v = first_index(); v < vectors; v += grid_step()) {
    const float4 x = a4[v], y = b4[v];
    out4[v] = make_float4(op(x.x, y.x), op(x.y, y.y), op(x.z, y.z), op(x.w, y.w));
  }
  for (int64_t i = 4 * vectors + first_index(); i < n; i += grid_step()) out[i] = op(a[i], b[i]);
}

template <class Op, class Index>
__global__ void binary_strided(int64_t n, StridedIndex<2> index, const float* __restrict__ a,
                               const float* __restrict__ b, float* __restrict__ out) {
  const Op op{};
  for (int64_t i = first_index(); i < n; i += grid_step()) {
    int64_t offset[2];
    index.offsets(static_cast<Index>(i), offset);
    out[i] = op(a[offset[0]], b[offset[1]]);
  }
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

template <class Op>
void launch_binary(const char* op, int rank, const int64_t* sizes, const float* a, const int64_t* a_strides,
                   const float* b, const int64_t* b_strides, float* out, int device) {
  int64_t n = 1;
  for (int d = 0; d < rank; ++d) n *= sizes[d];
  if (n == 0) return;
  DeviceGuard guard(device);
  constexpr int kThreads = kPointwiseThreads;
  if (rank == 1 && a_strides[0] == 1 && b_strides[0] == 1 && aligned16(a) && aligned16(b) && aligned16(out)) {
    launch_kernel(binary_contiguous<Op>, grid_for((n + 3) / 4, kThreads), kThreads, 0, stream(device), n, a, b, out);
  } else {
    const int64_t* const strides[2] = {a_strides, b_strides};
    const StridedIndex<2> index = make_strided_index<2>(op, rank, sizes, strides);
    if (fits_uint32(n))
      launch_kernel(binary_strided<Op, uint32_t>, grid_for(n, kThreads), kThreads, 0, stream(device), n, index, a, b,
          out);
    else
      launch_kernel(binary_strided<Op, int64_t>, grid_for(n, kThreads), kThreads, 0, stream(device), n, index, a, b,
          out);
  }
  check_launch(op);
}

}  // namespace

void axpy(int64_t n, float alpha, const float* x, float* y, int device) {
  if (n == 0) return;
  DeviceGuard guard(device);
  launch_kernel(axpy_kernel, grid_for(n, kPointwiseThreads), kPointwiseThreads, 0, stream(device), n, alpha, x, y);
  check_launch("axpy on cuda");
}

void fill(int64_t n, float value, float* out, int device) {
  if (n == 0) return;
  DeviceGuard guard(device);
  launch_kernel(fill_kernel, grid_for(n, kPointwiseThreads), kPointwiseThreads, 0, stream(device), n, value, out);
  check_launch("fill on cuda");
}

void binary(cpu::BinaryOp op, int rank, const int64_t* sizes, const float* a, const int64_t* a_strides,
            const float* b, const int64_t* b_strides, float* out, int device) {
  switch (op) {
    case cpu::BinaryOp::Add:
      return launch_binary<AddOp>("add on cuda", rank, sizes, a, a_strides, b, b_strides, out, device);
    case cpu::BinaryOp::Sub:
      return launch_binary<SubOp>("sub on cuda", rank, sizes, a, a_strides, b, b_strides, out, device);
    case cpu::BinaryOp::Mul:
      return launch_binary<MulOp>("mul on cuda", rank, sizes, a, a_strides, b, b_strides, out, device);
    case cpu::BinaryOp::Div:
      return launch_binary<DivOp>("div on cuda", rank, sizes, a, a_strides, b, b_strides, out, device);
  }
}

}  // namespace ironnet::cuda
