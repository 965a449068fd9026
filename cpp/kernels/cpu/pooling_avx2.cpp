// Pooling kernels compiled for -mavx2 -mfma (CMakeLists.txt); called only when CPUID says so.
#include "kernels/cpu/pooling_kernels.h"

namespace ironnet::cpu::pooling_detail {

const PoolingTable& avx2_table() {
  static const PoolingTable table = make_table();
  return table;
}

}  // namespace ironnet::cpu::pooling_detail
