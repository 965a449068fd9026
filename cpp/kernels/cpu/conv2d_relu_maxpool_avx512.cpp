// The fused conv2d(relu) -> max_pool2d weight gradient compiled for -mavx512f and friends
// (CMakeLists.txt); called only when CPUID says so. 32 zmm registers: wide 18 accumulators (a 3x3
// single-channel kernel's 9 taps x 2 vectors) + 6 + 1, narrow 18 + 3 + 1.
#include "kernels/cpu/conv2d_relu_maxpool_kernels.h"

namespace ironnet::cpu::conv2d_pool_detail {

const PooledWeightGrads& avx512_pooled_weight_grads() {
  return pooled_weight_grads<PooledConvGrad<16, 2, 9>, PooledConvGrad<16, 1, 18>, ArgmaxGrad<16, 8>>();
}

}  // namespace ironnet::cpu::conv2d_pool_detail
