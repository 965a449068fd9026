// Activation kernels compiled for -mavx512f -mavx512dq -mavx512vl -mavx512bw (CMakeLists.txt); called only when CPUID says so.
#include "kernels/cpu/activations_kernels.h"

namespace ironnet::cpu::activations_detail {

const ActivationTable& avx512_table() {
  static const ActivationTable table = make_table();
  return table;
}

}  // namespace ironnet::cpu::activations_detail
