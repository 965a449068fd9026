// The tile engine shared by the convolution's three GEMMs (cuda/conv2d.cu): C (rows x cols) =
// A (rows x depth) * B (depth x cols), where A and B are never materialized. They are operands that
// gather each element on the fly (an im2col patch, a dy field, a transposed kernel), so the same
// engine serves the forward, dx and dkernel.
//
// Tile/thread mapping: one block of 256 threads (a 16 x 16 grid) computes a kRows x kCols (128 x 64)
// tile of C, rows from row0 = blockIdx.x * 128 and columns from col0 = blockIdx.y * 64 (rows on x:
// grid.x allows 2^31 - 1 blocks, enough for N * Ho * Wo output pixels). The reduction runs over depth
// slices of kDepth (16) staged in shared memory:
//   A slice a[p][i] = A(row0 + i, k0 + p): thread t loads column p = t % 16 for rows i = t / 16 + 16 q
//     (q = 0..7), so a warp reads 16 consecutive depth indices (consecutive channels in NHWC) of two
//     rows, and each thread decodes its depth index once per slice and its 8 rows once per block;
//   B slice b[p][j] = B(k0 + p, col0 + j): thread t loads column j = t % 64 for depths p = t / 64 + 4 q
//     (q = 0..3), consecutive threads reading consecutive columns (contiguous in row-major operands).
// Thread t accumulates the 8 x 4 elements C(row0 + 8 (t / 16) + i, col0 + 4 (t % 16) + j) in registers,
// reading each depth's 8 A values as two float4 (a warp's two distinct addresses are broadcast) and its 4
// B values as one float4 (16 threads, 256 contiguous bytes): 3 shared loads per 32 multiply-adds.
// Out-of-range rows, columns and depths read as 0 and are not stored.
// Each slice's global loads are issued into registers before the multiply-adds of the previous slice,
// so their latency hides behind the arithmetic (one shared buffer, two barriers per slice).
//
// Split reduction: block z of the grid (blockIdx.z) reduces only depths [z * split_depth,
// (z + 1) * split_depth) and hands `split` = z to the epilogue, which writes its own slice of a
// workspace; a separate pass adds the slices in order, so results never depend on scheduling.
//
// Operand interface (all __host__ __device__, cheap to copy: passed to the kernel by value):
//   A: types Row and Step; Row row(int64_t r) decodes a row, Step step(int64_t k) a depth index,
//      float load(const Row&, const Step&) reads A(r, k) (0 where it falls in padding).
//   B: float load(int64_t k, int64_t col).
//   Out: void store(int64_t split, int64_t row, int64_t col, float value).
#pragma once
#include <cstdint>

#include "common.cuh"

namespace ironnet::cuda::implicit_gemm {

constexpr int kRows = 128;                       // rows of C per block
constexpr int kCols = 64;                        // columns of C per block
constexpr int kDepth = 16;                       // depth of one shared-memory slice
constexpr int kSide = 16;                        // threads per side of the block's 16 x 16 grid
constexpr int kThreads = kSide * kSide;          // 256
constexpr int kPatchRows = kRows / kSide;        // 8 x 4 accumulators per thread
constexpr int kPatchCols = kCols / kSide;
static_assert(kPatchRows == 8 && kPatchCols == 4, "multiply_slice reads its patch as float4s");
constexpr int kARowStep = kThreads / kDepth;     // 16: rows between one thread's A loads
constexpr int kALoads = kRows / kARowStep;       // 8 A elements per thread per slice
constexpr int kBDepthStep = kThreads / kCols;    // 4: depths between one thread's B loads
constexpr int kBLoads = kDepth / kBDepthStep;    // 4 B elements per thread per slice
static_assert(kALoads * kThreads == kRows * kDepth && kBLoads * kThreads == kCols * kDepth);

// The phases below are separate __host__ __device__ functions, one per stretch between two
// __syncthreads, so each block's schedule reads as a sequence of phases.

// One block's share: C rows [row0, row0 + kRows), columns [col0, col0 + kCols), depths [k_begin, k_end).
struct Tile {
  int64_t row0, col0, k_begin, k_end;
};
__host__ __device__ inline Tile tile_of(int64_t block_x, int64_t block_y, int64_t split, int64_t depth,
                                        int64_t split_depth) {
  const int64_t k_begin = split * split_depth;
  return {block_x * kRows, block_y * kCols, k_begin, k_begin + split_depth < depth ? k_begin + split_depth : depth};
}

// Shared-memory staging of one depth slice, rows 16-byte aligned for the float4 reads. +4: the A stores
// of a warp (16 depths x 2 rows) then meet at most 2 to a bank (without it, all 16 depths would share one).
struct alignas(16) Slice {
  float a[kDepth][kRows + 4];  // a[p][i] = A(row0 + i, k0 + p)
  float b[kDepth][kCols];      // b[p][j] = B(k0 + p, col0 + j)
};

// Thread t's A rows (t / 16 + 16 q), decoded once per block.
template <class A>
struct ARows {
  typename A::Row row[kALoads];
  bool in[kALoads];
};
template <class A>
__host__ __device__ ARows<A> decode_rows(const A& a, const Tile& tile, int64_t rows, int t) {
  ARows<A> out;
  for (int q = 0; q < kALoads; ++q) {
    const int64_t r = tile.row0 + t / kDepth + q * kARowStep;
    out.in[q] = r < rows;
    out.row[q] = a.row(out.in[q] ? r : 0);
  }
  return out;
}

// Thread t's elements of one slice, in registers between their global loads and their shared stores.
struct Fetched {
  float a[kALoads], b[kBLoads];
};

// Thread t's global loads of slice k0: its A column p = t % 16 for its rows, its B column j = t % 64 for
// depths t / 64 + 4 q. Elements outside C or past k_end are 0.
template <class A, class B>
__host__ __device__ Fetched fetch_slice(const A& a, const B& b, const ARows<A>& a_rows, const Tile& tile, int64_t k0,
                                        int64_t cols, int t) {
  Fetched f;
  {
    const int64_t k = k0 + t % kDepth;
    const bool k_in = k < tile.k_end;
    const typename A::Step step = a.step(k_in ? k : tile.k_begin);
#pragma unroll
    for (int q = 0; q < kALoads; ++q) f.a[q] = k_in && a_rows.in[q] ? a.load(a_rows.row[q], step) : 0.0f;
  }
  const int64_t col = tile.col0 + t % kCols;
#pragma unroll
  for (int q = 0; q < kBLoads; ++q) {
    const int64_t k = k0 + t / kCols + q * kBDepthStep;
    f.b[q] = k < tile.k_end && col < cols ? b.load(k, col) : 0.0f;
  }
  return f;
}

// Thread t's shared stores of what it fetched, at the places fetch_slice read them from.
__host__ __device__ inline void put_slice(const Fetched& f, int t, Slice& slice) {
#pragma unroll
  for (int q = 0; q < kALoads; ++q) slice.a[t % kDepth][t / kDepth + q * kARowStep] = f.a[q];
#pragma unroll
  for (int q = 0; q < kBLoads; ++q) slice.b[t / kCols + q * kBDepthStep][t % kCols] = f.b[q];
}

using Patch = float[kPatchRows][kPatchCols];

// Thread t's multiply-adds over a staged slice into its patch acc[i][j] = C(row0 + 8 (t / 16) + i,
// col0 + 4 (t % 16) + j).
__host__ __device__ inline void multiply_slice(const Slice& slice, int t, Patch& acc) {
  const int tr = t / kSide, tc = t % kSide;
#pragma unroll
  for (int p = 0; p < kDepth; ++p) {
    const float4 a0 = *reinterpret_cast<const float4*>(&slice.a[p][tr * kPatchRows]);
    const float4 a1 = *reinterpret_cast<const float4*>(&slice.a[p][tr * kPatchRows + 4]);
    const float4 b0 = *reinterpret_cast<const float4*>(&slice.b[p][tc * kPatchCols]);
    const float av[kPatchRows] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
    const float bv[kPatchCols] = {b0.x, b0.y, b0.z, b0.w};
#pragma unroll
    for (int i = 0; i < kPatchRows; ++i)
#pragma unroll
      for (int j = 0; j < kPatchCols; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
  }
}

// Thread t hands its patch to the epilogue, skipping what lies outside C.
template <class Out>
__host__ __device__ void store_patch(const Out& out, const Tile& tile, int64_t rows, int64_t cols, int64_t split,
                                     int t, const Patch& acc) {
  const int tr = t / kSide, tc = t % kSide;
#pragma unroll
  for (int i = 0; i < kPatchRows; ++i) {
    const int64_t r = tile.row0 + tr * kPatchRows + i;
    if (r >= rows) continue;
#pragma unroll
    for (int j = 0; j < kPatchCols; ++j) {
      const int64_t c = tile.col0 + tc * kPatchCols + j;
      if (c < cols) out.store(split, r, c, acc[i][j]);
    }
  }
}

// Two blocks per SM (<= 128 registers a thread): one block's global loads wait while the other computes.
template <class A, class B, class Out>
__global__ void __launch_bounds__(kThreads, 2)
    gemm_kernel(A a, B b, Out out, int64_t rows, int64_t cols, int64_t depth, int64_t split_depth) {
  __shared__ Slice slice;
  const int t = threadIdx.x;
  const Tile tile = tile_of(blockIdx.x, blockIdx.y, blockIdx.z, depth, split_depth);
  const ARows<A> a_rows = decode_rows(a, tile, rows, t);
  Patch acc = {};
  Fetched next{};
  if (tile.k_begin < tile.k_end) next = fetch_slice(a, b, a_rows, tile, tile.k_begin, cols, t);
  for (int64_t k0 = tile.k_begin; k0 < tile.k_end; k0 += kDepth) {
    put_slice(next, t, slice);
    __syncthreads();
    if (k0 + kDepth < tile.k_end) next = fetch_slice(a, b, a_rows, tile, k0 + kDepth, cols, t);
    multiply_slice(slice, t, acc);
    __syncthreads();  // the slice is consumed before the next one overwrites it
  }
  store_patch(out, tile, rows, cols, blockIdx.z, t, acc);
}

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Queues C = A * B with the depth cut into `splits` slices (blockIdx.z), each a multiple of kDepth
// deep; nothing to do when C is empty. `op` names the launch in errors.
template <class A, class B, class Out>
void launch(const A& a, const B& b, const Out& out, int64_t rows, int64_t cols, int64_t depth, int64_t splits,
            const char* op, int device) {
  if (rows == 0 || cols == 0) return;
  const int64_t split_depth = ceil_div(ceil_div(depth, splits), kDepth) * kDepth;
  const int64_t row_tiles = ceil_div(rows, kRows), col_tiles = ceil_div(cols, kCols);
  if (row_tiles > 0x7fffffff || col_tiles > 65535 || splits > 65535)
    fail<ValueError>(op, ": a ", rows, " x ", cols, " result in ", splits, " slices is too large for one launch");
  const dim3 grid(static_cast<unsigned>(row_tiles), static_cast<unsigned>(col_tiles), static_cast<unsigned>(splits));
  DeviceGuard guard(device);
  launch_kernel(gemm_kernel<A, B, Out>, grid, kThreads, 0, stream(device), a, b, out, rows, cols, depth, split_depth);
  check_launch(op);
}

}  // namespace ironnet::cuda::implicit_gemm
