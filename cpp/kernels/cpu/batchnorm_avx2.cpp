// Batch-norm kernels compiled for -mavx2 -mfma (CMakeLists.txt); called only when CPUID says so.
#include "kernels/cpu/batchnorm_kernels.h"

namespace ironnet::cpu::batchnorm_detail {

const BatchNormTable& avx2_table() {
  static const BatchNormTable table = make_table();
  return table;
}

}  // namespace ironnet::cpu::batchnorm_detail
