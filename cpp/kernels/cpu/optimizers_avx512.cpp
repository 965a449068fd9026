// Optimizer kernels compiled for -mavx512f -mavx512dq -mavx512vl -mavx512bw (CMakeLists.txt); called only when CPUID says so.
#include "kernels/cpu/optimizers_kernels.h"

namespace ironnet::cpu::optimizers_detail {

const OptimizerTable& avx512_table() {
  static const OptimizerTable table = make_table();
  return table;
}

}  // namespace ironnet::cpu::optimizers_detail
