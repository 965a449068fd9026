// Winograd F(2x2, 3x3): a 3x3, stride-1, undilated convolution in 16 multiplies per 2x2 output tile
// and (C_in, C_out) pair instead of 36. For each 2x2 output tile, with d its 4x4 input patch:
//   y = A^T [ (G g G^T) .* (B^T d B) ] A
// elementwise over the 4x4 transformed positions xi, summed over input channels. Summed over
// channels, position xi is a matrix product: M_xi (tiles x C_out) = V_xi (tiles x C_in) @ U_xi
// (C_in x C_out), with U = G g G^T the transformed kernel (once per call, packed once for the GEMM)
// and V = B^T d B the transformed patches. Tiles are cut into chunks whose V and M stay in L2; each
// thread runs whole chunks: input transform, 16 single-threaded GEMMs, output transform (+ bias, relu).
#include <omp.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "ironnet/gemm.h"
#include "kernels/cpu/conv2d_paths.h"
#include "kernels/cpu/threads.h"
#include "kernels/cpu/workspace.h"

namespace ironnet::cpu::conv2d_detail {
namespace {

constexpr int kPositions = 16;  // 4x4 transformed positions per tile
// Floats of V and M per chunk (512 KiB: a quarter of the dev machine's 2 MiB L2 per core, so the
// packed U_xi and y's rows stay there too). Measured on 1 thread, AVX-512: 42-84 tiles per chunk
// (this gives 84 for 32 -> 64 channels, 42 for 64 -> 64) beat 168 by 5-10% and 512+ by 20%.
constexpr int64_t kChunkFloats = 1 << 17;
// Tiles per chunk are a multiple of 42: the GEMM's tile heights (AVX-512 14, AVX2 6, portable 4 or 6)
// divide it, so few micro-tiles run short.
constexpr int64_t kTileQuantum = 42;

int64_t chunk_tiles(const Conv2dShape& s) {
  const int64_t tiles = kChunkFloats / (kPositions * (s.c_in + s.c_out));
  return std::max(kTileQuantum, tiles / kTileQuantum * kTileQuantum);
}

// U_xi = (G g G^T)[xi] for every (c_in, c_out) pair of the kernel (3, 3, c_in, c_out), as 16
// row-major c_in x c_out matrices.   G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
std::vector<float> transformed_kernel(const Conv2dShape& s, const float* kernel) {
  const int64_t pairs = s.c_in * s.c_out;
  std::vector<float> u(static_cast<size_t>(kPositions * pairs));
  const float* g[9];
  for (int k = 0; k < 9; ++k) g[k] = kernel + k * pairs;
  float* out = u.data();
#pragma omp simd
  for (int64_t p = 0; p < pairs; ++p) {
    float t[4][3];  // G g: combinations of the kernel's rows
    for (int j = 0; j < 3; ++j) {
      const float g0 = g[j][p], g1 = g[3 + j][p], g2 = g[6 + j][p];
      t[0][j] = g0;
      t[1][j] = 0.5f * (g0 + g1 + g2);
      t[2][j] = 0.5f * (g0 - g1 + g2);
      t[3][j] = g2;
    }
    for (int i = 0; i < 4; ++i) {  // (G g) G^T: the same combinations of its columns
      out[(4 * i + 0) * pairs + p] = t[i][0];
      out[(4 * i + 1) * pairs + p] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
      out[(4 * i + 2) * pairs + p] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
      out[(4 * i + 3) * pairs + p] = t[i][2];
    }
  }
  return u;
}

// Tiles [t0, t1), chunk by chunk, on the calling thread.
void forward_tiles(const Conv2dShape& s, const float* x, const std::vector<std::unique_ptr<PackedB>>& u,
                   const float* bias, bool relu, float* y, int64_t t0, int64_t t1) {
  const IsaConvKernels& isa = active_conv_kernels();
  const int64_t step = chunk_tiles(s), ci = s.c_in, co = s.c_out;
  const int64_t v_stride = step * ci, m_stride = step * co;
  // Per OpenMP thread: V, M, zeros (a padding pixel, and the bias when there is none) and a discarded
  // output pixel.
  const int64_t zero_floats = std::max(ci, co);
  thread_local Workspace workspace;
  float* v = workspace.reserve(static_cast<size_t>(kPositions * (v_stride + m_stride) + zero_floats + co));
  float* m = v + kPositions * v_stride;
  float* zeros = m + kPositions * m_stride;
  float* discard = zeros + zero_floats;
  std::fill(zeros, zeros + zero_floats, 0.0f);
  if (!bias) bias = zeros;
  for (int64_t c0 = t0; c0 < t1; c0 += step) {
    const int64_t tiles = std::min(step, t1 - c0);
    isa.winograd_input(s, x, c0, tiles, zeros, v, v_stride);
    for (int xi = 0; xi < kPositions; ++xi) {
      GemmArgs args;
      args.m = tiles;
      args.n = co;
      args.k = ci;
      args.a = v + xi * v_stride;
      args.a_row_stride = ci;
      args.c = m + xi * m_stride;
      args.ldc = co;
      gemm(args, *u[xi], 1);
    }
    isa.winograd_output(s, m, m_stride, c0, tiles, bias, relu, discard, y);
  }
}

}  // namespace

int64_t winograd_tiles(const Conv2dShape& s) { return s.n * ((s.ho + 1) / 2) * ((s.wo + 1) / 2); }

bool winograd_applies(const Conv2dShape& s) {
  const Conv2dGeometry& g = s.g;
  return s.kh == 3 && s.kw == 3 && g.stride_h == 1 && g.stride_w == 1 && g.dilation_h == 1 && g.dilation_w == 1;
}

void winograd_forward(const Conv2dShape& s, const float* x, const float* kernel, const float* bias, bool relu,
                      float* y, int threads) {
  const std::vector<float> transformed = transformed_kernel(s, kernel);
  // Packing U streams 16 C_in x C_out matrices through memory: on a few hundred tiles it is a
  // noticeable share of the call, so the threads share it.
  std::vector<std::unique_ptr<PackedB>> u(kPositions);
  const CpuIsa isa = active_isa();
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int xi = 0; xi < kPositions; ++xi)
    u[xi] = std::make_unique<PackedB>(transformed.data() + xi * s.c_in * s.c_out, s.c_out, 1, s.c_in, s.c_out, isa);
  const int64_t tiles = winograd_tiles(s);
  // Every worker gets at least a quantum of tiles (one short chunk); with fewer, the others would idle.
  const int workers = static_cast<int>(std::clamp<int64_t>(tiles / kTileQuantum, 1, threads));
  if (workers == 1) {
    forward_tiles(s, x, u, bias, relu, y, 0, tiles);
    return;
  }
#pragma omp parallel num_threads(workers)
  {
    int64_t t0, t1;
    block_of(tiles, omp_get_thread_num(), omp_get_num_threads(), t0, t1);
    forward_tiles(s, x, u, bias, relu, y, t0, t1);
  }
}

}  // namespace ironnet::cpu::conv2d_detail
