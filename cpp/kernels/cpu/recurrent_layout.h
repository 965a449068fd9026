// Where the recurrent kernels keep things: the training workspace's arrays, and how the hidden units
// are cut into slices, one per thread, for the step loops.
#pragma once
#include <algorithm>
#include <cstdint>

#include "ironnet/recurrent.h"

namespace ironnet::cpu::rnn_detail {

// Blocks of H values saved per (b, t) for backward:
//   LSTM: i, f, c~, o (activated), act(c_t)      GRU reset_after: z, r, h~, h U_h + rb_h
//   GRU reset-before: z, r, h~                   simple RNN: h_t (activated)
inline int64_t saved_blocks(RnnCell cell) {
  switch (cell) {
    case RnnCell::Lstm: return 5;
    case RnnCell::GruResetAfter: return 4;
    case RnnCell::GruResetBefore: return 3;
    case RnnCell::Simple: return 1;
  }
  return 0;
}

// The training workspace, every array (B, T, .) indexed by input position t (so its rows line up
// with x's and dy's and the weight-gradient GEMMs run over all B*T rows at once). Offsets in floats;
// -1 where a cell has no such array.
struct WorkspaceLayout {
  int64_t gates = 0;      // (B, T, saved_blocks * H)
  int64_t h_in = 0;       // (B, T, H): the state entering step t
  int64_t a_in = 0;       // (B, T, H): h_in * recurrent_mask, the recurrent GEMM's operand (== h_in without a mask)
  int64_t c_in = -1;      // (B, T, H): LSTM's cell state entering step t
  int64_t rh = -1;        // (B, T, H): GRU reset-before's r * a_in, the candidate GEMM's operand
  int64_t total = 0;
};

inline WorkspaceLayout workspace_layout(const RnnShape& s) {
  const int64_t plane = s.batch * s.steps * s.units;
  WorkspaceLayout w;
  int64_t next = saved_blocks(s.cell) * plane;
  w.h_in = next;
  next += plane;
  w.a_in = w.h_in;
  if (s.has_recurrent_mask) {
    w.a_in = next;
    next += plane;
  }
  if (s.cell == RnnCell::Lstm) {
    w.c_in = next;
    next += plane;
  }
  if (s.cell == RnnCell::GruResetBefore) {
    w.rh = next;
    next += plane;
  }
  w.total = next;
  return w;
}

// Thread slices of the H hidden units: multiples of 16 (whole vectors in the pointwise kernels).
struct UnitSlices {
  int count = 1;
  int64_t width = 0;  // units per slice (the last may be narrower)
  int64_t begin(int s, int64_t units) const { return std::min<int64_t>(units, s * width); }
  int64_t end(int s, int64_t units) const { return std::min<int64_t>(units, (s + 1) * width); }
};

// The input position of the step-th step run.
inline int64_t position(int64_t step, const RnnShape& s) { return s.reverse ? s.steps - 1 - step : step; }

// A thread joins the step loop only with at least this many multiply-adds of the per-step recurrent
// GEMM to do (~5 us): below it the barrier that ends every step costs more than the thread saves, and
// on a busy machine a step can wait a whole scheduler slice for a descheduled partner (measured 10-17x
// slower for B=128, H=32 GRUs at 2 threads under load).
constexpr int64_t kMinStepMacsPerThread = int64_t{1} << 19;

inline UnitSlices unit_slices(const RnnShape& shape, int threads) {
  const int64_t units = shape.units;
  const int64_t step_macs = shape.batch * units * rnn_gate_count(shape.cell) * units;
  while (threads > 1 && step_macs / threads < kMinStepMacsPerThread) --threads;
  UnitSlices s;
  const int64_t per = (units + threads - 1) / threads;
  s.width = std::max<int64_t>(16, (per + 15) / 16 * 16);
  s.count = static_cast<int>((units + s.width - 1) / s.width);
  if (s.count < 1) s.count = 1;
  return s;
}

}  // namespace ironnet::cpu::rnn_detail
