// Direct convolution kernels and the field gather compiled for the baseline target (SSE2 vectors on x86-64).
#include "kernels/cpu/conv2d_direct_kernels.h"

namespace ironnet::cpu::conv2d_detail {

// 16 xmm registers: 12 forward accumulators, 12 weight-gradient ones.
const IsaConvKernels& portable_conv_kernels() { return DirectConv<4, 6, 6>::table(); }

}  // namespace ironnet::cpu::conv2d_detail
