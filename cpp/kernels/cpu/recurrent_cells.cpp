// Sizes of the recurrent kernels' operands, and the pointwise cell table of each CPU ISA.
#include "ironnet/recurrent.h"
#include "kernels/cpu/recurrent_cells_table.h"
#include "kernels/cpu/recurrent_layout.h"

namespace ironnet::cpu {

int64_t rnn_gate_count(RnnCell cell) {
  switch (cell) {
    case RnnCell::Lstm: return 4;
    case RnnCell::GruResetAfter:
    case RnnCell::GruResetBefore: return 3;
    case RnnCell::Simple: return 1;
  }
  return 0;
}

int64_t rnn_workspace_floats(const RnnShape& s) { return rnn_detail::workspace_layout(s).total; }

namespace rnn_detail {
const CellTable& cells_for(CpuIsa isa) {
#if defined(IRONNET_HAVE_X86_KERNELS)
  if (isa == CpuIsa::Avx512) return avx512_cells();
  if (isa == CpuIsa::Avx2) return avx2_cells();
#endif
  (void)isa;
  return portable_cells();
}
}  // namespace rnn_detail

}  // namespace ironnet::cpu
