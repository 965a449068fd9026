// TF32 tensor-core math for gemm_kernel (used only when ironnet::allow_tf32() is set): the 8 warps
// of a block tile its 128 x 128 C tile as 2 (along M) x 4 (along N) warp tiles of 64 x 32, and each
// warp covers its tile with 4 x 4 mma.sync.m16n8k8 (TF32 inputs, float32 accumulators) per 8-deep
// step of K. Operands are rounded to TF32 (round to nearest, ties away) once, when they are written
// to shared memory.
//
// Fragment ownership of m16n8k8 (PTX ISA, "matrix fragments for mma.m16n8k8" with .tf32), lane l of
// the warp, g = l / 4, t = l % 4:
//   A (16 x 8, row): a0 (g, t)  a1 (g + 8, t)  a2 (g, t + 4)  a3 (g + 8, t + 4)
//   B (8 x 8, col):  b0 (k = t, n = g)  b1 (k = t + 4, n = g)
//   C (16 x 8):      c0 (g, 2t)  c1 (g, 2t + 1)  c2 (g + 8, 2t)  c3 (g + 8, 2t + 1)
// In the K-major shared tiles a lane reads smem[k0 + t (+4)][base + g (+8)]; with rows of 136 floats
// (136 % 32 == 8) the 32 lanes hit banks 8 t + g: all different, no conflicts.
#pragma once
#include <cstdint>
#include <cstring>

#include "gemm_kernel.cuh"

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
#error "the TF32 GEMM needs sm_80 or newer (mma.sync with .tf32); build for CMAKE_CUDA_ARCHITECTURES >= 80"
#endif

namespace ironnet::cuda::gemm_detail {

#ifndef IRONNET_CUDA_EMULATION
// x rounded to TF32 (10 mantissa bits, to nearest, ties away from zero), as a float.
__device__ __forceinline__ float round_to_tf32(float x) {
  uint32_t bits;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(bits) : "f"(x));
  return __uint_as_float(bits);
}

// d += A (16 x 8, fragments a) @ B (8 x 8, fragments b) for the warp, layouts as above.
__device__ __forceinline__ void mma_m16n8k8_tf32(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
#else  // host versions for IRONNET_CUDA=EMULATE builds (cuda/emulation), same contracts
__device__ inline float round_to_tf32(float x) { return __uint_as_float((__float_as_uint(x) + 0x1000u) & 0xFFFFE000u); }

// The warp's 32 lanes exchange their fragments at a rendezvous; each lane then reads the A row and
// B column of its four D elements from the lanes that hold them (ownership as written above:
// A(r, k) is register r / 8 + 2 (k / 4) of lane 4 (r % 8) + k % 4, B(k, n) register k / 4 of lane
// 4 n + k % 4).
__device__ inline void mma_m16n8k8_tf32(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  struct Fragments {
    uint32_t a[4], b[2];
  } mine{{a[0], a[1], a[2], a[3]}, {b[0], b[1]}};
  unsigned lanes = 0;
  const unsigned char* slots = ironnet_emulation::warp_exchange(0xffffffffu, &mine, sizeof mine, &lanes);
  if (lanes != 0xffffffffu) ironnet_emulation::fault("mma.sync needs all 32 lanes of the warp");
  auto lane_fragments = [slots](int lane) {
    Fragments f;
    std::memcpy(&f, slots + lane * ironnet_emulation::kSlotBytes, sizeof f);
    return f;
  };
  const int lane = static_cast<int>(ironnet_emulation::lane_id()), g = lane / 4, t = lane % 4;
  for (int e = 0; e < 4; ++e) {
    const int row = g + 8 * (e / 2), col = 2 * t + e % 2;
    float sum = d[e];
    for (int k = 0; k < 8; ++k)
      sum += __uint_as_float(lane_fragments(4 * (row % 8) + k % 4).a[row / 8 + 2 * (k / 4)]) *
             __uint_as_float(lane_fragments(4 * col + k % 4).b[k / 4]);
    d[e] = sum;
  }
}
#endif

struct Tf32Math {
  static constexpr int kBlockM = 128, kBlockN = 128, kDepth = 16;
  static constexpr int kLdA = kBlockM + 8, kLdB = kBlockN + 8;
  static constexpr int kWarpM = 64, kWarpN = 32;                        // a warp's tile of C
  static constexpr int kTilesM = kWarpM / 16, kTilesN = kWarpN / 8;      // its mma tiles
  static_assert((kBlockM / kWarpM) * (kBlockN / kWarpN) * 32 == kThreads, "one warp per warp tile");

  struct Round {
    __device__ float operator()(float x) const { return round_to_tf32(x); }
  };
  struct Accumulators {
    float v[kTilesM][kTilesN][4];
  };

  __device__ static void zero(Accumulators& acc) {
#pragma unroll
    for (int i = 0; i < kTilesM; ++i)
#pragma unroll
      for (int j = 0; j < kTilesN; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e) acc.v[i][j][e] = 0.0f;
  }

  // The warp tile's corner within the block tile.
  __device__ static int warp_row() { return (threadIdx.x / 32) / (kBlockN / kWarpN) * kWarpM; }
  __device__ static int warp_col() { return (threadIdx.x / 32) % (kBlockN / kWarpN) * kWarpN; }

  __device__ static void multiply(const float (*a_smem)[kLdA], const float (*b_smem)[kLdB], Accumulators& acc) {
    const int lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
    const int wr = warp_row(), wc = warp_col();
#pragma unroll
    for (int k0 = 0; k0 < kDepth; k0 += 8) {
      uint32_t a[kTilesM][4], b[kTilesN][2];
#pragma unroll
      for (int i = 0; i < kTilesM; ++i) {
        const int r = wr + 16 * i + g;
        a[i][0] = __float_as_uint(a_smem[k0 + t][r]);
        a[i][1] = __float_as_uint(a_smem[k0 + t][r + 8]);
        a[i][2] = __float_as_uint(a_smem[k0 + t + 4][r]);
        a[i][3] = __float_as_uint(a_smem[k0 + t + 4][r + 8]);
      }
#pragma unroll
      for (int j = 0; j < kTilesN; ++j) {
        const int col = wc + 8 * j + g;
        b[j][0] = __float_as_uint(b_smem[k0 + t][col]);
        b[j][1] = __float_as_uint(b_smem[k0 + t + 4][col]);
      }
#pragma unroll
      for (int i = 0; i < kTilesM; ++i)
#pragma unroll
        for (int j = 0; j < kTilesN; ++j) mma_m16n8k8_tf32(acc.v[i][j], a[i], b[j]);
    }
  }

  __device__ static void store(const GemmProblem& pr, float* c, int64_t row0, int64_t col0, const Accumulators& acc) {
    const int lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
    const int64_t wr = row0 + warp_row(), wc = col0 + warp_col();
#pragma unroll
    for (int i = 0; i < kTilesM; ++i)
#pragma unroll
      for (int j = 0; j < kTilesN; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int64_t row = wr + 16 * i + g + 8 * (e / 2), col = wc + 8 * j + 2 * t + e % 2;
          if (row < pr.m && col < pr.n) store_result(pr, c, row, col, acc.v[i][j][e]);
        }
  }
};

}  // namespace ironnet::cuda::gemm_detail
