// Direct convolution kernels and the field gather compiled for -mavx512f and friends (CMakeLists.txt); called only when CPUID says so.
#include "kernels/cpu/conv2d_direct_kernels.h"

namespace ironnet::cpu::conv2d_detail {

// 32 zmm registers: 12 forward accumulators (6 pixels x 2 vectors), 24 weight-gradient ones (a 3x3
// single-channel kernel's 9 taps in one block); narrow: 8 pixels, 16 taps.
const IsaConvKernels& avx512_conv_kernels() { return isa_conv_kernels<DirectConv<16, 2, 6, 12>, DirectConv<16, 1, 8, 16>>(); }

}  // namespace ironnet::cpu::conv2d_detail
