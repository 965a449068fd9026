// Float32 GEMM on the GPU: the launchers. They describe the problem (strides, which operand reads
// can be float4s), pick one of three instantiations of gemm_kernel (gemm_kernel.cuh) and launch it
// on the device's stream:
//   - TF32 tensor cores, 128 x 128 tiles, when the user opted in (ironnet::allow_tf32());
//   - float32 SIMT, 128 x 128 tiles, 8 x 8 per thread, when the problem has at least one such tile
//     per SM (the larger tile does twice the FMAs per shared-memory read);
//   - float32 SIMT, 64 x 64 tiles, 4 x 4 per thread, otherwise (4x more blocks to fill the SMs).
// Operands are strided views (the convention of ironnet::GemmArgs), so transposes cost nothing:
// a slice whose elements are adjacent along K or along the rows is read as aligned float4s, any
// other layout (or a misaligned one) element by element.
#include "common.cuh"
#include "gemm_kernel.cuh"
#include "gemm_simt.cuh"
#include "gemm_tf32.cuh"
#include "ironnet/cuda/gemm.h"
#include "ironnet/matmul_precision.h"

namespace ironnet::cuda {
namespace {

using gemm_detail::GemmProblem;

int multiprocessors(int device) {
  int count = 0;
  check(cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device), "gemm on cuda (SM count)");
  return count;
}

template <class Math>
void launch(const GemmProblem& pr, int64_t batch, cudaStream_t stream) {
  const int64_t tiles = ((pr.m + Math::kBlockM - 1) / Math::kBlockM) * ((pr.n + Math::kBlockN - 1) / Math::kBlockN);
  if (tiles > 0x7fffffff)
    fail<ValueError>("gemm on cuda: ", pr.m, " x ", pr.n, " is too large for one launch (", tiles, " tiles)");
  const dim3 grid(static_cast<unsigned>(tiles), 1, static_cast<unsigned>(batch));
  launch_kernel(gemm_detail::gemm_kernel<Math>, grid, gemm_detail::kThreads, 0, stream, pr);
}

}  // namespace

void gemm_batched(int64_t batch, int64_t m, int64_t n, int64_t k, const GemmOperand& a, const GemmOperand& b,
                  float* c, int64_t ldc, int64_t c_batch_stride, const GemmEpilogue& epilogue, int device) {
  if (batch == 0 || m == 0 || n == 0) return;
  DeviceGuard guard(device);
  const GemmProblem pr = gemm_detail::describe_problem(batch, m, n, k, a, b, c, ldc, c_batch_stride, epilogue);

  constexpr int64_t kMaxBatchPerLaunch = 65535;  // gridDim.z
  const bool tf32 = allow_tf32();
  const int64_t big_tiles = ((m + 127) / 128) * ((n + 127) / 128) * batch;  // SimtMath<2>'s tiles
  const bool big = !tf32 && big_tiles >= multiprocessors(device);
  for (int64_t z0 = 0; z0 < batch; z0 += kMaxBatchPerLaunch) {
    const int64_t count = batch - z0 < kMaxBatchPerLaunch ? batch - z0 : kMaxBatchPerLaunch;
    GemmProblem chunk = pr;
    chunk.a.x += z0 * pr.a.batch_stride;
    chunk.b.x += z0 * pr.b.batch_stride;
    chunk.c += z0 * pr.c_batch_stride;
    if (tf32)
      launch<gemm_detail::Tf32Math>(chunk, count, stream(device));
    else if (big)
      launch<gemm_detail::SimtMath<2>>(chunk, count, stream(device));
    else
      launch<gemm_detail::SimtMath<1>>(chunk, count, stream(device));
    check_launch("gemm on cuda");
  }
}

void gemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t b_rs,
          int64_t b_cs, float* c, int64_t ldc, float alpha, float beta, int device) {
  GemmEpilogue epilogue;
  epilogue.alpha = alpha, epilogue.beta = beta;
  gemm_batched(1, m, n, k, GemmOperand{a, a_rs, a_cs, 0}, GemmOperand{b, b_rs, b_cs, 0}, c, ldc, 0, epilogue, device);
}

}  // namespace ironnet::cuda
