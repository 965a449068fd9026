// Recurrent cell kernels compiled for -mavx2 -mfma (CMakeLists.txt); called only when CPUID says so.
#include "kernels/cpu/recurrent_cells_kernels.h"

namespace ironnet::cpu::rnn_detail {

const CellTable& avx2_cells() {
  static const CellTable table = make_table();
  return table;
}

}  // namespace ironnet::cpu::rnn_detail
