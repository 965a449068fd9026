// Optimizer kernels compiled for the baseline ISA (any x86-64, or aarch64).
#include "kernels/cpu/optimizers_kernels.h"

namespace ironnet::cpu::optimizers_detail {

const OptimizerTable& portable_table() {
  static const OptimizerTable table = make_table();
  return table;
}

}  // namespace ironnet::cpu::optimizers_detail
