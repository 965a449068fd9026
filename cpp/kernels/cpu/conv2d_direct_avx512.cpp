// Direct convolution kernels and the field gather compiled for -mavx512f and friends (CMakeLists.txt); called only when CPUID says so.
#include "kernels/cpu/conv2d_direct_kernels.h"

namespace ironnet::cpu::conv2d_detail {

// 32 zmm registers: 12 forward accumulators, 24 weight-gradient ones (a 3x3 single-channel kernel's 9 taps in one block).
const IsaConvKernels& avx512_conv_kernels() { return DirectConv<16, 6, 12>::table(); }

}  // namespace ironnet::cpu::conv2d_detail
