// The fused conv2d(relu) -> max_pool2d weight gradient compiled for -mavx2 -mfma (CMakeLists.txt);
// called only when CPUID says so. 16 ymm registers: wide 8 accumulators + 6 + 1, narrow 9 + 3 + 1.
#include "kernels/cpu/conv2d_relu_maxpool_kernels.h"

namespace ironnet::cpu::conv2d_pool_detail {

const PooledWeightGrads& avx2_pooled_weight_grads() {
  return pooled_weight_grads<PooledConvGrad<8, 2, 4>, PooledConvGrad<8, 1, 9>, ArgmaxGrad<8, 8>>();
}

}  // namespace ironnet::cpu::conv2d_pool_detail
