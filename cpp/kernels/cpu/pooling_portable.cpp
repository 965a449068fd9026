// Pooling kernels compiled for the baseline x86-64/other target (SSE2 vectors on x86-64).
#include "kernels/cpu/pooling_kernels.h"

namespace ironnet::cpu::pooling_detail {

const PoolingTable& portable_table() {
  static const PoolingTable table = make_table();
  return table;
}

}  // namespace ironnet::cpu::pooling_detail
