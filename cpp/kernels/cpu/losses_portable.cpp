// The loss kernels for any x86-64 (SSE2) or other CPU: the package's baseline flags.
#include "kernels/cpu/losses_kernels.h"

namespace ironnet::cpu::loss_detail {

const LossKernels& portable_kernels() {
  static const LossKernels kernels = make_kernels();
  return kernels;
}

}  // namespace ironnet::cpu::loss_detail
