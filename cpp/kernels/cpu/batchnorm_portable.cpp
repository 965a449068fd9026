// Batch-norm kernels compiled for the baseline ISA (any x86-64, or aarch64).
#include "kernels/cpu/batchnorm_kernels.h"

namespace ironnet::cpu::batchnorm_detail {

const BatchNormTable& portable_table() {
  static const BatchNormTable table = make_table();
  return table;
}

}  // namespace ironnet::cpu::batchnorm_detail
