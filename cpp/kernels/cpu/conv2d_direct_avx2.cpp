// Direct convolution kernels and the field gather compiled for -mavx2 -mfma (CMakeLists.txt); called only when CPUID says so.
#include "kernels/cpu/conv2d_direct_kernels.h"

namespace ironnet::cpu::conv2d_detail {

// 16 ymm registers: 12 forward accumulators, 12 weight-gradient ones.
const IsaConvKernels& avx2_conv_kernels() { return DirectConv<8, 6, 6>::table(); }

}  // namespace ironnet::cpu::conv2d_detail
