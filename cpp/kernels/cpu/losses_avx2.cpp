// The loss kernels compiled with -mavx2 -mfma (CMakeLists.txt): 8-wide float polynomials; chosen at
// run time when the CPU has AVX2 (AVX-512 CPUs use them too).
#include "kernels/cpu/losses_kernels.h"

namespace ironnet::cpu::loss_detail {

const LossKernels& avx2_kernels() {
  static const LossKernels kernels = make_kernels();
  return kernels;
}

}  // namespace ironnet::cpu::loss_detail
