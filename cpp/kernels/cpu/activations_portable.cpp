// Activation kernels compiled for the baseline x86-64/other target (SSE2 vectors on x86-64).
#include "kernels/cpu/activations_kernels.h"

namespace ironnet::cpu::activations_detail {

const ActivationTable& portable_table() {
  static const ActivationTable table = make_table();
  return table;
}

}  // namespace ironnet::cpu::activations_detail
