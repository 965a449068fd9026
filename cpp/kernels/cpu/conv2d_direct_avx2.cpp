// Direct convolution kernels and the field gather compiled for -mavx2 -mfma (CMakeLists.txt); called only when CPUID says so.
#include "kernels/cpu/conv2d_direct_kernels.h"

namespace ironnet::cpu::conv2d_detail {

// 16 ymm registers: 12 accumulators (6 pixels or taps x 2 vectors; 8 or 12 x 1 narrow).
const IsaConvKernels& avx2_conv_kernels() { return isa_conv_kernels<DirectConv<8, 2, 6, 6>, DirectConv<8, 1, 8, 12>>(); }

}  // namespace ironnet::cpu::conv2d_detail
