// Recurrent cell kernels, portable build (no ISA flags): the fallback on any CPU.
#include "kernels/cpu/recurrent_cells_kernels.h"

namespace ironnet::cpu::rnn_detail {

const CellTable& portable_cells() {
  static const CellTable table = make_table();
  return table;
}

}  // namespace ironnet::cpu::rnn_detail
