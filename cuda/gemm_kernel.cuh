// The GEMM kernel skeleton shared by the float32 SIMT and the TF32 tensor-core paths: tile
// scheduling, global -> register -> shared-memory staging of both operands (double-buffered), and
// the epilogue. What differs between the paths (how a thread multiplies the tiles held in shared
// memory, and which C elements it owns) is a `Math` policy: see gemm_simt.cuh and gemm_tf32.cuh.
//
// A block computes a kBlockM x kBlockN tile of C for one matrix of the batch (blockIdx.z), walking K
// in slices of kDepth. Per slice, each operand tile sits in shared memory K-major ("transposed"):
//   a_smem[p][i] = A(row0 + i, p0 + p),   b_smem[p][j] = B(p0 + p, col0 + j)
// so that a thread's A values for one p are consecutive (float4 reads) just like its B values.
//
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <cstdlib>

#include "ironnet/cuda/gemm.h"

namespace ironnet::cuda::gemm_detail {

constexpr int kThreads = 256;  // every GEMM kernel runs 256 threads (8 warps) per block

// One operand seen as X(r, p) = x[r * row_stride + p * k_stride]: r runs along M for A and along N
// for B (so B is A with its strides swapped), p runs along K.
struct OperandView {
  const float* x;
  int64_t row_stride, k_stride, batch_stride;
  int64_t rows;
  // Each thread reads 4 consecutive elements: along K (true) or along r (false); chosen so that
  // they are adjacent in memory when one of the two strides is 1.
  bool along_k;
  // The 4 elements are one aligned float4 that is either wholly inside the operand or wholly out.
  bool vec4;
};

struct GemmProblem {
  int64_t m, n, k;
  OperandView a, b;
  float* c;
  int64_t ldc, c_batch_stride;
  bool c_vec4;  // 4 consecutive C elements of a row starting at a multiple of 4 form an aligned float4
  GemmEpilogue epilogue;
};

inline bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// X(r, p) = x[z * batch_stride + r * row_stride + p * k_stride], rows x k, z < batch.
inline OperandView describe_operand(const float* x, int64_t row_stride, int64_t k_stride, int64_t batch_stride,
                                    int64_t rows, int64_t k, int64_t batch) {
  OperandView v{x, row_stride, k_stride, batch_stride, rows, true, false};
  v.along_k = k_stride == 1 || (row_stride != 1 && std::llabs(k_stride) <= std::llabs(row_stride));
  // A float4 along the walk needs unit stride there, an extent that is a multiple of 4 (so a vector
  // is wholly in or wholly out), and 16-byte alignment of every vector's start: the base, the other
  // stride and the batch stride all multiples of 4 floats.
  const bool batch_ok = batch == 1 || batch_stride % 4 == 0;
  if (v.along_k)
    v.vec4 = k_stride == 1 && k % 4 == 0 && row_stride % 4 == 0 && batch_ok && aligned16(x);
  else
    v.vec4 = row_stride == 1 && rows % 4 == 0 && k_stride % 4 == 0 && batch_ok && aligned16(x);
  return v;
}

// The kernel's view of cuda::gemm_batched's arguments. alpha == 0 reads neither A nor B (as in
// BLAS): k becomes 0, and the kernel applies the epilogue to zero sums.
inline GemmProblem describe_problem(int64_t batch, int64_t m, int64_t n, int64_t k, const GemmOperand& a,
                                    const GemmOperand& b, float* c, int64_t ldc, int64_t c_batch_stride,
                                    const GemmEpilogue& epilogue) {
  if (epilogue.alpha == 0.0f) k = 0;
  GemmProblem pr;
  pr.m = m, pr.n = n, pr.k = k;
  pr.a = describe_operand(a.data, a.row_stride, a.col_stride, a.batch_stride, m, k, batch);
  pr.b = describe_operand(b.data, b.col_stride, b.row_stride, b.batch_stride, n, k, batch);  // B seen along N
  pr.c = c, pr.ldc = ldc, pr.c_batch_stride = c_batch_stride;
  pr.c_vec4 = ldc % 4 == 0 && (batch == 1 || c_batch_stride % 4 == 0) && aligned16(c);
  pr.epilogue = epilogue;
  return pr;
}

// Register staging of one kRows x kDepth operand tile: the block's 256 threads each read kVectors
// groups of 4 consecutive elements from global memory (load), then write them into the K-major
// shared tile (store). Vector v = threadIdx.x + q * 256 covers
//   along K: r = v / (kDepth / 4), p = 4 * (v % (kDepth / 4)) .. + 3
//   along r: p = v / (kRows / 4),  r = 4 * (v % (kRows / 4))  .. + 3
template <int kRows, int kDepth>
struct OperandStage {
  static constexpr int kVectors = kRows * kDepth / (4 * kThreads);
  static_assert(kVectors >= 1 && kRows * kDepth == 4 * kThreads * kVectors, "tile must split into float4s");
  float4 v[kVectors];

  __device__ static void position(bool along_k, int vector, int* r, int* p) {
    if (along_k) {
      *r = vector / (kDepth / 4), *p = 4 * (vector % (kDepth / 4));
    } else {
      *p = vector / (kRows / 4), *r = 4 * (vector % (kRows / 4));
    }
  }

  // Reads the tile whose corner is X(row0, p0) of the matrix at x; zeros outside rows x k.
  __device__ void load(const OperandView& op, const float* x, int64_t k, int64_t row0, int64_t p0) {
#pragma unroll
    for (int q = 0; q < kVectors; ++q) {
      int r, p;
      position(op.along_k, threadIdx.x + q * kThreads, &r, &p);
      const int64_t gr = row0 + r, gp = p0 + p;
      if (op.vec4) {
        // The launcher set vec4 only when the walked extent is a multiple of 4, so the first
        // element decides for all four.
        v[q] = (gr < op.rows && gp < k) ? *reinterpret_cast<const float4*>(x + gr * op.row_stride + gp * op.k_stride)
                                        : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
      } else {
        float e[4];
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          const int64_t er = op.along_k ? gr : gr + i, ep = op.along_k ? gp + i : gp;
          e[i] = (er < op.rows && ep < k) ? x[er * op.row_stride + ep * op.k_stride] : 0.0f;
        }
        v[q] = make_float4(e[0], e[1], e[2], e[3]);
      }
    }
  }

  // Writes the staged tile to smem[p][r] (row length kLd, a multiple of 4), passing each value
  // through Round (identity, or the TF32 rounding).
  template <class Round, int kLd>
  __device__ void store(bool along_k, float (*smem)[kLd]) const {
    const Round round{};
    static_assert(kLd % 4 == 0, "float4 stores need rows of a multiple of 4 floats");
#pragma unroll
    for (int q = 0; q < kVectors; ++q) {
      int r, p;
      position(along_k, threadIdx.x + q * kThreads, &r, &p);
      const float4 x = make_float4(round(v[q].x), round(v[q].y), round(v[q].z), round(v[q].w));
      if (along_k) {  // 4 values of one row r: a column of the K-major tile
        smem[p][r] = x.x, smem[p + 1][r] = x.y, smem[p + 2][r] = x.z, smem[p + 3][r] = x.w;
      } else {  // 4 rows at one p: consecutive in the K-major tile
        *reinterpret_cast<float4*>(&smem[p][r]) = x;
      }
    }
  }
};

// Stores one finished sum at C(i, j) through the epilogue; (i, j) must be inside m x n.
__device__ __forceinline__ float epilogue_value(const GemmEpilogue& ep, float sum, const float* c, int64_t j) {
  float value = ep.alpha * sum;
  if (ep.beta != 0.0f) value += ep.beta * *c;  // beta == 0 never reads C
  if (ep.bias != nullptr) value += ep.bias[j];
  return ep.relu ? (value > 0.0f ? value : 0.0f) : value;
}

__device__ __forceinline__ void store_result(const GemmProblem& pr, float* c, int64_t i, int64_t j, float sum) {
  float* out = c + i * pr.ldc + j;
  *out = epilogue_value(pr.epilogue, sum, out, j);
}

// Stores C(i, j .. j + 3), j a multiple of 4; as one float4 when the row allows it.
__device__ __forceinline__ void store_results4(const GemmProblem& pr, float* c, int64_t i, int64_t j,
                                               const float (&sum)[4]) {
  if (i >= pr.m) return;
  if (pr.c_vec4 && j + 3 < pr.n) {
    float4* out = reinterpret_cast<float4*>(c + i * pr.ldc + j);
    float4 old = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    if (pr.epilogue.beta != 0.0f) old = *out;
    *out = make_float4(epilogue_value(pr.epilogue, sum[0], &old.x, j), epilogue_value(pr.epilogue, sum[1], &old.y, j + 1),
                       epilogue_value(pr.epilogue, sum[2], &old.z, j + 2),
                       epilogue_value(pr.epilogue, sum[3], &old.w, j + 3));
    return;
  }
#pragma unroll
  for (int e = 0; e < 4; ++e)
    if (j + e < pr.n) store_result(pr, c, i, j + e, sum[e]);
}

// The tile of C this block owns. Consecutive blocks walk down a group of kGroup tile rows before
// moving one tile column right, so the A rows and B columns they read are reused from L2 (a
// 4096^2 operand is larger than the L2 cache).
__device__ __forceinline__ void tile_position(int tiles_m, int tiles_n, int* tile_m, int* tile_n) {
  constexpr int kGroup = 8;
  const int64_t tile = blockIdx.x, per_group = static_cast<int64_t>(kGroup) * tiles_n;
  const int first_m = static_cast<int>(tile / per_group) * kGroup;
  const int group_rows = min(tiles_m - first_m, kGroup);
  const int64_t in_group = tile % per_group;
  *tile_m = first_m + static_cast<int>(in_group % group_rows);
  *tile_n = static_cast<int>(in_group / group_rows);
}

// One block: a Math::kBlockM x Math::kBlockN tile of C of matrix blockIdx.z. The K loop is
// double-buffered through registers: while the block multiplies slice t from shared buffer t % 2,
// each thread already holds slice t + 1 in registers (loaded before the multiply, so the global
// reads overlap it) and writes it to the other buffer afterwards. One barrier per slice suffices:
// the buffer written during slice t was last read during slice t - 1, which ended with a barrier.
template <class Math>
__global__ void __launch_bounds__(kThreads, 2) gemm_kernel(GemmProblem pr) {
  constexpr int kBM = Math::kBlockM, kBN = Math::kBlockN, kDepth = Math::kDepth;
  __shared__ __align__(16) float a_smem[2][kDepth][Math::kLdA];
  __shared__ __align__(16) float b_smem[2][kDepth][Math::kLdB];

  const int tiles_m = static_cast<int>((pr.m + kBM - 1) / kBM), tiles_n = static_cast<int>((pr.n + kBN - 1) / kBN);
  int tile_m, tile_n;
  tile_position(tiles_m, tiles_n, &tile_m, &tile_n);
  const int64_t row0 = static_cast<int64_t>(tile_m) * kBM, col0 = static_cast<int64_t>(tile_n) * kBN;
  const int64_t z = blockIdx.z;
  const float* a = pr.a.x + z * pr.a.batch_stride;
  const float* b = pr.b.x + z * pr.b.batch_stride;
  float* c = pr.c + z * pr.c_batch_stride;

  OperandStage<kBM, kDepth> a_stage;
  OperandStage<kBN, kDepth> b_stage;
  typename Math::Accumulators acc;
  Math::zero(acc);
  const int64_t slices = (pr.k + kDepth - 1) / kDepth;
  if (slices > 0) {
    a_stage.load(pr.a, a, pr.k, row0, 0);
    b_stage.load(pr.b, b, pr.k, col0, 0);
    a_stage.template store<typename Math::Round>(pr.a.along_k, a_smem[0]);
    b_stage.template store<typename Math::Round>(pr.b.along_k, b_smem[0]);
    __syncthreads();
  }
  for (int64_t t = 0; t < slices; ++t) {
    const int buf = static_cast<int>(t & 1);
    const bool more = t + 1 < slices;
    if (more) {
      a_stage.load(pr.a, a, pr.k, row0, (t + 1) * kDepth);
      b_stage.load(pr.b, b, pr.k, col0, (t + 1) * kDepth);
    }
    Math::multiply(a_smem[buf], b_smem[buf], acc);
    if (more) {
      a_stage.template store<typename Math::Round>(pr.a.along_k, a_smem[buf ^ 1]);
      b_stage.template store<typename Math::Round>(pr.b.along_k, b_smem[buf ^ 1]);
    }
    __syncthreads();
  }
  Math::store(pr, c, row0, col0, acc);
}

}  // namespace ironnet::cuda::gemm_detail
