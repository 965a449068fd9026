// The fused conv2d(relu) -> max_pool2d weight gradient of each ISA build (conv2d_relu_maxpool_{portable,
// avx2,avx512}.cpp); conv2d_relu_maxpool.cpp picks one by the active ISA.
#pragma once
#include <cstdint>

#include "ironnet/conv2d_pool.h"

namespace ironnet::cpu::conv2d_pool_detail {

// Same contract as conv2d_relu_max_pool2d_weight_grad (ironnet/conv2d_pool.h), threads resolved (>= 1).
using PooledWeightGrad = void (*)(const Conv2dShape& s, const Pool2dGeometry& p, const float* dpooled,
                                  const float* pooled, const int32_t* argmax, const float* x, float* dkernel,
                                  float* dbias, int threads);

// The two ways of one ISA build (conv2d_relu_maxpool_kernels.h); conv2d_relu_maxpool.cpp has the rule.
struct PooledWeightGrads {
  PooledWeightGrad by_windows;  // every conv pixel of each window, vectors over output channels
  PooledWeightGrad by_argmax;   // each channel's own argmax field, vectors over its taps
};

const PooledWeightGrads& portable_pooled_weight_grads();
#if defined(IRONNET_HAVE_X86_KERNELS)
const PooledWeightGrads& avx2_pooled_weight_grads();    // -mavx2 -mfma
const PooledWeightGrads& avx512_pooled_weight_grads();  // -mavx512f ...
#endif

}  // namespace ironnet::cpu::conv2d_pool_detail
