// The fused conv2d(relu) -> max_pool2d weight gradient, portable build (SSE2 on x86-64): 16 xmm
// registers, the tile sizes of the AVX2 build.
#include "kernels/cpu/conv2d_relu_maxpool_kernels.h"

namespace ironnet::cpu::conv2d_pool_detail {

const PooledWeightGrads& portable_pooled_weight_grads() {
  return pooled_weight_grads<PooledConvGrad<4, 2, 4>, PooledConvGrad<4, 1, 9>, ArgmaxGrad<4, 8>>();
}

}  // namespace ironnet::cpu::conv2d_pool_detail
