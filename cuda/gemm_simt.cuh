// Float32 SIMT math for gemm_kernel: every thread accumulates a (4 kReps) x (4 kReps) patch of C
// in registers with FMAs. The 256 threads form a 16 x 16 grid (ty = threadIdx.x / 16,
// tx = threadIdx.x % 16); the block tile is 64 kReps square and thread (ty, tx) owns
//   rows    64 rm + 4 ty + (0..3)   for rm < kReps
//   columns 64 rn + 4 tx + (0..3)   for rn < kReps
// Splitting a thread's rows (and columns) into kReps groups of 4 spaced 64 apart makes the float4
// shared-memory reads of a warp cover consecutive addresses: no bank conflicts.
//   kReps = 2: 128 x 128 tile, 8 x 8 per thread, K slices of 8  (large problems)
//   kReps = 1:  64 x 64 tile,  4 x 4 per thread, K slices of 16 (problems too small to give every
//                                                                SM a 128 x 128 tile)
// Both tiles split into exactly one float4 per thread and operand per K slice.
#pragma once
#include "gemm_kernel.cuh"

namespace ironnet::cuda::gemm_detail {

template <int kReps>
struct SimtMath {
  static constexpr int kBlockM = 64 * kReps, kBlockN = 64 * kReps;
  static constexpr int kDepth = kReps == 2 ? 8 : 16;
  // +4 floats per row keeps float4 alignment and spreads the transposed stores of a warp over the
  // banks (row r of column p lands in bank (4 p + r) % 32).
  static constexpr int kLdA = kBlockM + 4, kLdB = kBlockN + 4;
  static constexpr int kPatch = 4 * kReps;

  struct Round {
    __device__ float operator()(float x) const { return x; }
  };
  struct Accumulators {
    float v[kPatch][kPatch];
  };

  __device__ static void zero(Accumulators& acc) {
#pragma unroll
    for (int i = 0; i < kPatch; ++i)
#pragma unroll
      for (int j = 0; j < kPatch; ++j) acc.v[i][j] = 0.0f;
  }

  __device__ static void multiply(const float (*a_smem)[kLdA], const float (*b_smem)[kLdB], Accumulators& acc) {
    const int ty = threadIdx.x / 16, tx = threadIdx.x % 16;
    // Unrolled by 2, not fully: the compiler then loads the next step's fragments during this
    // step's FMAs and the 128 x 128 tile fits in 128 registers (2 blocks per SM; no spills on
    // sm_90, one word on sm_80), where full unrolling spills.
#pragma unroll 2
    for (int p = 0; p < kDepth; ++p) {
      float a[kPatch], b[kPatch];
#pragma unroll
      for (int r = 0; r < kReps; ++r) {
        const float4 av = *reinterpret_cast<const float4*>(&a_smem[p][64 * r + 4 * ty]);
        const float4 bv = *reinterpret_cast<const float4*>(&b_smem[p][64 * r + 4 * tx]);
        a[4 * r] = av.x, a[4 * r + 1] = av.y, a[4 * r + 2] = av.z, a[4 * r + 3] = av.w;
        b[4 * r] = bv.x, b[4 * r + 1] = bv.y, b[4 * r + 2] = bv.z, b[4 * r + 3] = bv.w;
      }
#pragma unroll
      for (int i = 0; i < kPatch; ++i)
#pragma unroll
        for (int j = 0; j < kPatch; ++j) acc.v[i][j] = fmaf(a[i], b[j], acc.v[i][j]);
    }
  }

  __device__ static void store(const GemmProblem& pr, float* c, int64_t row0, int64_t col0, const Accumulators& acc) {
    const int ty = threadIdx.x / 16, tx = threadIdx.x % 16;
#pragma unroll
    for (int i = 0; i < kPatch; ++i) {
      const int64_t row = row0 + 64 * (i / 4) + 4 * ty + i % 4;
#pragma unroll
      for (int rn = 0; rn < kReps; ++rn) {
        const float sums[4] = {acc.v[i][4 * rn], acc.v[i][4 * rn + 1], acc.v[i][4 * rn + 2], acc.v[i][4 * rn + 3]};
        store_results4(pr, c, row, col0 + 64 * rn + 4 * tx, sums);
      }
    }
  }
};

}  // namespace ironnet::cuda::gemm_detail
