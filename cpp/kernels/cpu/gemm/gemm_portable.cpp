// Portable GEMM: plain C++ microkernel (4 x 16) that any compiler vectorizes for the baseline ISA
// (SSE2 on x86-64, NEON on aarch64). Always present; also the reference the tuned paths are tested
// against alongside NumPy.
#include "kernels/cpu/gemm/blocked.h"

namespace ironnet::cpu::gemm_detail {
namespace {

struct PortableMicro {
  static constexpr int MR = 4, NR = 16;
  static constexpr int64_t KC = 256, MC = MR * 32, NC = 2048, AS = KC + 16;

  template <int ROWS>
  static void tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, float beta,
                   int cols) {
    float acc[ROWS][NR] = {};
    for (int64_t p = 0; p < kc; ++p, b += NR)
      for (int i = 0; i < ROWS; ++i)
        for (int j = 0; j < NR; ++j) acc[i][j] += a[i * AS + p] * b[j];
    for (int i = 0; i < ROWS; ++i)
      for (int j = 0; j < cols; ++j) {
        const float v = alpha * acc[i][j];
        c[i * ldc + j] = beta == 0.0f ? v : v + beta * c[i * ldc + j];
      }
  }
};

}  // namespace

const GemmKernel& portable_kernel() {
  static const GemmKernel kernel = make_kernel<PortableMicro>(CpuIsa::Portable);
  return kernel;
}

}  // namespace ironnet::cpu::gemm_detail
