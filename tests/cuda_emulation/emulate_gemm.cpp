// Runs the three GEMM kernels of cuda/ (SIMT 64 x 64, SIMT 128 x 128, TF32) on the host and compares
// every element of C, and every element around it, with a double reference. Inputs are small
// integers, so every sum is exact whatever the order and the comparison is exact too. Covers every
// operand layout the launcher distinguishes (float4 along K, float4 along the rows, element by
// element), misaligned starts, padded rows, broadcast batches, alpha/beta and the bias/relu epilogue.
// Built and run by tests/test_cuda_gemm_emulated.py; prints one line per case, exits 1 on a mismatch.
#define IRONNET_GEMM_HOST_EMULATION 1
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>
#include <tuple>
#include <vector>

#include "cuda_runtime.h"
#include "ironnet/cuda/gemm.h"

// The two PTX helpers of gemm_tf32.cuh, on the host.
inline float round_to_tf32(float x) { return __uint_as_float((__float_as_uint(x) + 0x1000u) & 0xFFFFE000u); }

// mma.m16n8k8 for one warp: each lane deposits its fragments (layout as written in gemm_tf32.cuh,
// from the PTX ISA), the block waits, each lane computes its four C elements. Every thread of the
// block calls this the same number of times, so the block barrier serves as the warp's.
struct WarpFragments {
  uint32_t a[32][4], b[32][2];
  float c[32][4];
};
inline WarpFragments emulated_warps[8];
inline void mma_m16n8k8_tf32(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  const int lane = threadIdx.x % 32;
  WarpFragments& w = emulated_warps[threadIdx.x / 32];
  for (int i = 0; i < 4; ++i) w.a[lane][i] = a[i], w.c[lane][i] = d[i];
  for (int i = 0; i < 2; ++i) w.b[lane][i] = b[i];
  __syncthreads();
  float A[16][8], B[8][8], C[16][8];
  for (int l = 0; l < 32; ++l) {
    const int g = l / 4, t = l % 4;
    A[g][t] = __uint_as_float(w.a[l][0]), A[g + 8][t] = __uint_as_float(w.a[l][1]);
    A[g][t + 4] = __uint_as_float(w.a[l][2]), A[g + 8][t + 4] = __uint_as_float(w.a[l][3]);
    B[t][g] = __uint_as_float(w.b[l][0]), B[t + 4][g] = __uint_as_float(w.b[l][1]);
    C[g][2 * t] = w.c[l][0], C[g][2 * t + 1] = w.c[l][1], C[g + 8][2 * t] = w.c[l][2], C[g + 8][2 * t + 1] = w.c[l][3];
  }
  __syncthreads();
  const int g = lane / 4, t = lane % 4;
  for (int e = 0; e < 4; ++e) {
    const int row = g + 8 * (e / 2), col = 2 * t + e % 2;
    float sum = C[row][col];
    for (int k = 0; k < 8; ++k) sum += A[row][k] * B[k][col];
    d[e] = sum;
  }
}

#include "gemm_kernel.cuh"
#include "gemm_simt.cuh"
#include "gemm_tf32.cuh"

namespace {

using namespace ironnet::cuda;
using namespace ironnet::cuda::gemm_detail;

enum Kernel { kSimt64, kSimt128, kTf32 };

// The grid's blocks one after another, on one team of 256 threads that meets at a barrier between
// blocks (so no block touches the shared tiles while the previous one may still read them).
template <class Math>
void launch(const GemmProblem& pr, int64_t batch) {
  const int64_t tiles = ((pr.m + Math::kBlockM - 1) / Math::kBlockM) * ((pr.n + Math::kBlockN - 1) / Math::kBlockN);
  std::barrier<> barrier(kThreads);
  emulated_block_barrier = &barrier;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      threadIdx = {static_cast<unsigned>(i), 0, 0};
      for (int64_t z = 0; z < batch; ++z)
        for (int64_t tile = 0; tile < tiles; ++tile) {
          blockIdx = {static_cast<unsigned>(tile), 0, static_cast<unsigned>(z)};
          gemm_kernel<Math>(pr);
          barrier.arrive_and_wait();
        }
    });
  for (auto& t : threads) t.join();
}

struct Case {
  Kernel kernel;
  int64_t batch, m, n, k;
  bool trans_a, trans_b;
  int a_pad = 0, b_pad = 0, a_offset = 0, b_offset = 0, c_pad = 0, c_offset = 0;  // in floats
  float alpha = 1.0f, beta = 0.0f;
  bool bias = false, relu = false, a_broadcast = false, b_broadcast = false;
};

// Buffers 64-byte aligned, so that offsets alone decide the alignment the launcher sees.
float* aligned_floats(size_t n) { return static_cast<float*>(std::aligned_alloc(64, ((n * 4 + 63) / 64) * 64)); }

bool run_case(const Case& cs, std::mt19937& gen) {
  std::uniform_int_distribution<int> small(-4, 4);
  const int64_t a_rows = cs.trans_a ? cs.k : cs.m, a_ld = (cs.trans_a ? cs.m : cs.k) + cs.a_pad;
  const int64_t b_rows = cs.trans_b ? cs.n : cs.k, b_ld = (cs.trans_b ? cs.k : cs.n) + cs.b_pad;
  const int64_t a_bs = cs.a_broadcast ? 0 : a_rows * a_ld, b_bs = cs.b_broadcast ? 0 : b_rows * b_ld;
  const int64_t ldc = cs.n + cs.c_pad, c_bs = cs.m * ldc;
  const size_t a_size = cs.a_offset + (cs.a_broadcast ? 1 : cs.batch) * a_rows * a_ld;
  const size_t b_size = cs.b_offset + (cs.b_broadcast ? 1 : cs.batch) * b_rows * b_ld;
  const size_t c_size = cs.c_offset + cs.batch * c_bs + 8;  // 8 floats of margin after the last row
  float *a_buf = aligned_floats(a_size), *b_buf = aligned_floats(b_size), *c_buf = aligned_floats(c_size);
  std::vector<float> bias(cs.n), c_before(c_size);
  for (size_t i = 0; i < a_size; ++i) a_buf[i] = static_cast<float>(small(gen));
  for (size_t i = 0; i < b_size; ++i) b_buf[i] = static_cast<float>(small(gen));
  for (auto& v : bias) v = static_cast<float>(small(gen));
  const float sentinel = -777.0f;
  auto inside_c = [&](int64_t index, int64_t* z, int64_t* i, int64_t* j) {
    const int64_t rel = index - cs.c_offset;
    if (rel < 0 || rel >= cs.batch * c_bs) return false;
    *z = rel / c_bs, *i = rel % c_bs / ldc, *j = rel % ldc;
    return *j < cs.n;
  };
  for (size_t idx = 0; idx < c_size; ++idx) {
    int64_t z, i, j;
    // beta == 0 must not read C: NaN there would show in the result.
    c_buf[idx] = !inside_c(static_cast<int64_t>(idx), &z, &i, &j) ? sentinel
                 : cs.beta != 0.0f                                 ? static_cast<float>(small(gen))
                                                                   : NAN;
    c_before[idx] = c_buf[idx];
  }
  const GemmOperand a{a_buf + cs.a_offset, cs.trans_a ? 1 : a_ld, cs.trans_a ? a_ld : 1, a_bs};
  const GemmOperand b{b_buf + cs.b_offset, cs.trans_b ? 1 : b_ld, cs.trans_b ? b_ld : 1, b_bs};
  GemmEpilogue epilogue;
  epilogue.alpha = cs.alpha, epilogue.beta = cs.beta, epilogue.relu = cs.relu;
  epilogue.bias = cs.bias ? bias.data() : nullptr;
  const GemmProblem pr =
      describe_problem(cs.batch, cs.m, cs.n, cs.k, a, b, c_buf + cs.c_offset, ldc, c_bs, epilogue);
  if (cs.kernel == kSimt64) launch<SimtMath<1>>(pr, cs.batch);
  if (cs.kernel == kSimt128) launch<SimtMath<2>>(pr, cs.batch);
  if (cs.kernel == kTf32) launch<Tf32Math>(pr, cs.batch);

  int bad = 0;
  for (size_t idx = 0; idx < c_size; ++idx) {
    int64_t z = 0, i = 0, j = 0;
    float expected = c_before[idx];
    if (inside_c(static_cast<int64_t>(idx), &z, &i, &j)) {
      double sum = 0.0;
      for (int64_t p = 0; p < cs.k && cs.alpha != 0.0f; ++p)
        sum += static_cast<double>(a.data[z * a_bs + i * a.row_stride + p * a.col_stride]) *
               b.data[z * b_bs + p * b.row_stride + j * b.col_stride];
      double value = cs.alpha * sum + (cs.beta != 0.0f ? cs.beta * static_cast<double>(c_before[idx]) : 0.0);
      if (cs.bias) value += bias[j];
      if (cs.relu && value < 0) value = 0;
      expected = static_cast<float>(value);
    }
    if (c_buf[idx] != expected && bad++ < 3)
      std::printf("  C(%ld, %ld, %ld) at %zu: %g, expected %g\n", static_cast<long>(z), static_cast<long>(i),
                  static_cast<long>(j), idx, c_buf[idx], expected);
  }
  std::printf("%s kernel %d batch %ld %ldx%ldx%ld trans %d%d float4 a/b/c %d%d%d along K a/b %d%d\n",
              bad ? "FAIL" : "ok  ", cs.kernel, static_cast<long>(cs.batch), static_cast<long>(cs.m),
              static_cast<long>(cs.n), static_cast<long>(cs.k), cs.trans_a, cs.trans_b, pr.a.vec4, pr.b.vec4, pr.c_vec4,
              pr.a.along_k, pr.b.along_k);
  std::free(a_buf), std::free(b_buf), std::free(c_buf);
  return bad == 0;
}

}  // namespace

int main() {
  std::mt19937 gen(42);
  int failures = 0;
  for (Kernel kernel : {kSimt64, kSimt128, kTf32}) {
    std::vector<Case> cases;
    for (auto [m, n, k] : std::vector<std::tuple<int, int, int>>{
             {1, 1, 1}, {5, 7, 1}, {13, 17, 31}, {64, 64, 16}, {65, 63, 17}, {129, 131, 40}, {130, 260, 24}, {7, 200, 0}})
      for (int t = 0; t < 4; ++t) cases.push_back(Case{kernel, 1, m, n, k, (t & 1) != 0, (t & 2) != 0});
    Case c{kernel, 1, 37, 70, 45, false, false};  // misaligned starts, padded rows, C a window, epilogue
    c.a_pad = 3, c.b_pad = 1, c.a_offset = 1, c.b_offset = 2, c.c_pad = 7, c.c_offset = 3;
    c.alpha = 0.5f, c.beta = -2.0f, c.bias = c.relu = true;
    cases.push_back(c);
    c.trans_a = c.trans_b = true, c.alpha = 1.0f, c.beta = 1.0f, c.relu = false;
    cases.push_back(c);
    Case v{kernel, 1, 64, 128, 32, false, true};  // float4 everywhere, C rows padded by 4
    v.a_pad = v.b_pad = v.a_offset = v.c_pad = v.c_offset = 4, v.beta = 1.0f, v.bias = v.relu = true;
    cases.push_back(v);
    for (int t = 0; t < 2; ++t) {  // rows padded to a multiple of 4 but K is not: element by element
      Case odd_k{kernel, 1, 33, 70, 13, t == 0, t == 1};
      odd_k.a_pad = odd_k.b_pad = 3, odd_k.c_pad = 2;  // and C's rows allow float4 but N does not
      cases.push_back(odd_k);
    }
    Case zero_alpha{kernel, 1, 9, 21, 30, false, false};
    zero_alpha.alpha = 0.0f, zero_alpha.beta = 2.0f;
    cases.push_back(zero_alpha);
    cases.push_back(Case{kernel, 3, 20, 36, 44, false, false});
    Case batched{kernel, 3, 20, 36, 44, true, true};
    batched.a_broadcast = true;
    cases.push_back(batched);
    batched = Case{kernel, 4, 17, 9, 13, false, false};
    batched.b_broadcast = true;
    cases.push_back(batched);
    batched = Case{kernel, 2, 70, 33, 12, true, false};
    batched.c_pad = 1, batched.bias = batched.relu = true;
    cases.push_back(batched);
    for (const Case& cs : cases) failures += run_case(cs, gen) ? 0 : 1;
  }
  std::printf("%d failures\n", failures);
  return failures == 0 ? 0 : 1;
}
