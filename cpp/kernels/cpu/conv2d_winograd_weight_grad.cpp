// The weight gradient of a 3x3, stride-1, undilated convolution by Winograd F(2x2, 3x3)
// (conv2d_winograd.cpp has the forward). Per 2x2 output tile, with d its 4x4 input patch:
//   y = A^T [ U .* V ] A,   U = G g G^T,   V = B^T d B
// is linear in U, so dL/dU = (A dy A^T) .* V per tile, and dL/dg = G^T (dL/dU) G. Summed over tiles,
// position xi of the transformed 4x4 is one matrix product:
//   dU_xi (C_in x C_out) += V_xi^T (C_in x tiles) @ dM_xi (tiles x C_out),   dM = A dy A^T
// 16 instead of 36 multiplies per tile and channel pair. V is exactly the forward's input transform;
// dM's transform also applies the relu's mask and sums dy for the bias, so dy is read once and never
// copied. Both V and dM run over tiles in their rows, so the GEMM would have to transpose one of them
// element by element while packing it (measured: 20% of the time); the products run instead on a
// register-blocked kernel of outer products that reads both in place (add_transposed_product,
// conv2d_direct_kernels.h): 1.09x -> 1.37x the GEMM path on the small CNN's 32 -> 64 layer, 1 thread.
// Tiles are cut into chunks whose V and dM stay in L2; each thread runs whole chunks into its own dU,
// and the threads' dU are added at the end, while transforming back to (3, 3, C_in, C_out).
#include <omp.h>

#include <algorithm>
#include <memory>

#include "kernels/cpu/conv2d_patch.h"
#include "kernels/cpu/conv2d_paths.h"
#include "kernels/cpu/threads.h"
#include "kernels/cpu/workspace.h"

namespace ironnet::cpu::conv2d_detail {
namespace {

constexpr int kPositions = 16;  // 4x4 transformed positions per tile
// Floats of V and dM per chunk (512 KiB: a quarter of the dev machine's 2 MiB L2 per core, beside the
// thread's dU). Measured on 1 thread, AVX-512: on the 32 -> 64 layer 1.96 ms here, 2.1 at 2^16 and 2^18,
// 2.67 at 2^15; 64 -> 64 on 32x26x26 within 5% from 2^15 to 2^18.
constexpr int64_t kChunkFloats = 1 << 17;
// Fewer tiles than this per chunk and the products spend more on loading and storing dU than on
// multiply-adds; every worker gets at least this many.
constexpr int64_t kMinChunkTiles = 32;

int64_t chunk_tiles(const Conv2dShape& s) {
  return std::max(kMinChunkTiles, kChunkFloats / (kPositions * (s.c_in + s.c_out)));
}

// Tiles [t0, t1) chunk by chunk on the calling thread: du (16 x c_in x c_out) and bias_sums (c_out)
// accumulate.
void weight_grad_tiles(const Conv2dShape& s, const float* dy, const float* relu_y, const float* x, int64_t t0,
                       int64_t t1, float* du, double* bias_sums) {
  const IsaConvKernels& isa = active_conv_kernels();
  const int64_t step = chunk_tiles(s), ci = s.c_in, co = s.c_out;
  const int64_t v_stride = step * ci, m_stride = step * co, zero_floats = std::max(ci, co);
  thread_local Workspace workspace;  // V, dM and zeros (a pixel in the padding or past the output)
  float* v = workspace.reserve(static_cast<size_t>(kPositions * (v_stride + m_stride) + zero_floats));
  float* m = v + kPositions * v_stride;
  float* zeros = m + kPositions * m_stride;
  std::fill(zeros, zeros + zero_floats, 0.0f);
  for (int64_t c0 = t0; c0 < t1; c0 += step) {
    const int64_t tiles = std::min(step, t1 - c0);
    isa.winograd_input(s, x, c0, tiles, zeros, v, v_stride);
    isa.winograd_output_grad(s, dy, relu_y, c0, tiles, zeros, m, m_stride, bias_sums);
    for (int xi = 0; xi < kPositions; ++xi)  // dU_xi (ci x co) += V_xi^T (ci x tiles) @ dM_xi (tiles x co)
      isa.add_transposed_product(v + xi * v_stride, ci, ci, m + xi * m_stride, co, tiles, du + xi * ci * co);
  }
}

// dkernel (3, 3, ci, co) = G^T dU G per (ci, co) pair, dU the sum of the workers' partials (each
// 16 x co x ci, `part` floats apart), added in a fixed order.
//   G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
void transform_back(const Conv2dShape& s, const float* partials, int64_t part, int workers, float* dkernel,
                    int threads) {
  const int64_t ci = s.c_in, co = s.c_out, pairs = ci * co;
#pragma omp parallel for num_threads(threads_for(kPositions * pairs * workers, threads)) schedule(static)
  for (int64_t c = 0; c < ci; ++c)
    for (int64_t o = 0; o < co; ++o) {
      float u[4][4];
      for (int xi = 0; xi < kPositions; ++xi) {
        const float* at = partials + xi * pairs + c * co + o;
        float sum = at[0];
        for (int w = 1; w < workers; ++w) sum += at[w * part];
        u[xi / 4][xi % 4] = sum;
      }
      float t[3][4];  // G^T dU: combinations of dU's rows
      for (int j = 0; j < 4; ++j) {
        const float half = 0.5f * (u[1][j] + u[2][j]);
        t[0][j] = u[0][j] + half;
        t[1][j] = 0.5f * (u[1][j] - u[2][j]);
        t[2][j] = half + u[3][j];
      }
      for (int i = 0; i < 3; ++i) {  // (G^T dU) G: the same combinations of its columns
        const float half = 0.5f * (t[i][1] + t[i][2]);
        float* out = dkernel + 3 * i * pairs + c * co + o;
        out[0] = t[i][0] + half;
        out[pairs] = 0.5f * (t[i][1] - t[i][2]);
        out[2 * pairs] = half + t[i][3];
      }
    }
}

}  // namespace

void winograd_weight_grad(const Conv2dShape& s, const float* dy, const float* relu_y, const float* x, float* dkernel,
                          float* dbias, int threads) {
  const int64_t co = s.c_out, tiles = winograd_tiles(s);
  const int workers = static_cast<int>(std::clamp<int64_t>(tiles / kMinChunkTiles, 1, threads));
  // Per-worker partial sums on their own cache lines, each zeroed by its worker (value-initialising
  // them here would zero them all on one thread).
  const int64_t du_floats = kPositions * co * s.c_in;
  const int64_t part = padded_stride(du_floats, sizeof(float)), bias_part = padded_stride(co, sizeof(double));
  std::unique_ptr<float[]> partials(new float[static_cast<size_t>(part * workers)]);
  std::unique_ptr<double[]> bias_sums(new double[static_cast<size_t>(bias_part * workers)]);
  int started = 1;  // workers OpenMP actually ran (it may run fewer than asked)
#pragma omp parallel num_threads(workers)
  {
    const int w = omp_get_thread_num(), nt = omp_get_num_threads();
    if (w == 0) started = nt;
    float* du = partials.get() + w * part;
    double* bias = bias_sums.get() + w * bias_part;
    std::fill(du, du + du_floats, 0.0f);
    std::fill(bias, bias + co, 0.0);
    int64_t t0, t1;
    block_of(tiles, w, nt, t0, t1);
    weight_grad_tiles(s, dy, relu_y, x, t0, t1, du, bias);
  }
  transform_back(s, partials.get(), part, started, dkernel, threads);
  if (dbias)
    for (int64_t o = 0; o < co; ++o) {
      double sum = 0.0;
      for (int w = 0; w < started; ++w) sum += bias_sums[w * bias_part + o];
      dbias[o] = static_cast<float>(sum);
    }
}

}  // namespace ironnet::cpu::conv2d_detail
