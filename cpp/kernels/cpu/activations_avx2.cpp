// Activation kernels compiled for -mavx2 -mfma (CMakeLists.txt); called only when CPUID says so.
#include "kernels/cpu/activations_kernels.h"

namespace ironnet::cpu::activations_detail {

const ActivationTable& avx2_table() {
  static const ActivationTable table = make_table();
  return table;
}

}  // namespace ironnet::cpu::activations_detail
