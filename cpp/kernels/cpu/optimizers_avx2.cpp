// Optimizer kernels compiled for -mavx2 -mfma (CMakeLists.txt); called only when CPUID says so.
#include "kernels/cpu/optimizers_kernels.h"

namespace ironnet::cpu::optimizers_detail {

const OptimizerTable& avx2_table() {
  static const OptimizerTable table = make_table();
  return table;
}

}  // namespace ironnet::cpu::optimizers_detail
