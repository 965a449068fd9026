// The recurrent kernel packed once per sequence, one piece per (unit slice, gate group), for the
// per-thread GEMMs of the step loops (recurrent_layout.h's UnitSlices).
#pragma once
#include <memory>
#include <vector>

#include "ironnet/gemm.h"
#include "ironnet/recurrent.h"
#include "kernels/cpu/recurrent_layout.h"

namespace ironnet::cpu::rnn_detail {

// Gate groups, each multiplied by its own GEMM in a step. GRU's candidate block is a group of its
// own where its operand differs from the z, r blocks': GRU reset-before's forward (r * h, known only
// after the [z, r] GEMM) and both GRU forms' backward (reset-before: dG_h, needed before dG_r;
// reset_after: dG_h * r, while z and r take dG as it is). Every other case has one group.
inline bool candidate_apart(RnnCell cell, bool backward) {
  return cell == RnnCell::GruResetBefore || (backward && cell == RnnCell::GruResetAfter);
}
inline int gate_groups(RnnCell cell, bool backward) { return candidate_apart(cell, backward) ? 2 : 1; }
inline int group_begin(RnnCell cell, bool backward, int group) {
  return candidate_apart(cell, backward) && group == 1 ? 2 : 0;
}
inline int group_end(RnnCell cell, bool backward, int group) {
  return candidate_apart(cell, backward) ? (group == 0 ? 2 : 3) : static_cast<int>(rnn_gate_count(cell));
}

struct RecurrentPacks {
  int groups = 1;
  std::vector<std::unique_ptr<PackedB>> pieces;  // slice-major
  const PackedB& at(int slice, int group) const { return *pieces[static_cast<size_t>(slice * groups + group)]; }
};

// Forward (transposed = false), piece (slice, group) = the columns of the slice's units in the
// group's gate blocks of U (H, kH), gate-major: (H, blocks * nu), for h @ piece. Backward
// (transposed = true), piece = U^T's columns of the slice's units restricted to the group's gate rows:
// (blocks * H, nu), for dG_group @ piece = the slice's units of dh_{t-1}. Packed by `threads` threads.
RecurrentPacks pack_recurrent_slices(const RnnShape& s, const float* recurrent_kernel, const UnitSlices& slices,
                                     bool transposed, CpuIsa isa, int threads);

}  // namespace ironnet::cpu::rnn_detail
