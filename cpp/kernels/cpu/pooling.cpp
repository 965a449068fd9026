// The public pooling kernels (ironnet/pooling.h): each forwards to the table of the active CPU ISA
// (AVX-512, AVX2+FMA or portable; see pooling_kernels.h for the code itself).
#include "ironnet/pooling.h"

#include "ironnet/cpu_features.h"
#include "kernels/cpu/pooling_table.h"

namespace ironnet::cpu {
namespace {
const pooling_detail::PoolingTable& table() {
#if defined(IRONNET_HAVE_X86_KERNELS)
  const CpuIsa isa = active_isa();
  if (isa == CpuIsa::Avx512) return pooling_detail::avx512_table();
  if (isa == CpuIsa::Avx2) return pooling_detail::avx2_table();
#endif
  return pooling_detail::portable_table();
}
}  // namespace

void max_pool2d_forward(const Pool2dGeometry& g, const float* x, float* y, int32_t* argmax, int num_threads) {
  table().max_forward(g, x, y, argmax, num_threads);
}
void max_pool2d_backward(const Pool2dGeometry& g, const float* dy, const int32_t* argmax, float* dx,
                         int num_threads) {
  table().max_backward(g, dy, argmax, dx, num_threads);
}
void avg_pool2d_forward(const Pool2dGeometry& g, const float* x, float* y, int num_threads) {
  table().avg_forward(g, x, y, num_threads);
}
void avg_pool2d_backward(const Pool2dGeometry& g, const float* dy, float* dx, int num_threads) {
  table().avg_backward(g, dy, dx, num_threads);
}

}  // namespace ironnet::cpu
