// Direct convolution kernels and the field gather compiled for the baseline target (SSE2 vectors on x86-64).
#include "kernels/cpu/conv2d_direct_kernels.h"

namespace ironnet::cpu::conv2d_detail {

// 16 xmm registers: 12 accumulators (6 pixels or taps x 2 vectors; 8 or 12 x 1 narrow).
const IsaConvKernels& portable_conv_kernels() { return isa_conv_kernels<DirectConv<4, 2, 6, 6>, DirectConv<4, 1, 8, 12>>(); }

}  // namespace ironnet::cpu::conv2d_detail
