// The forward step loop of the fused recurrent sequences.
//
// The input projection of every step is one GEMM on all threads. The steps then run inside ONE
// parallel region: each thread owns a slice of the hidden units and a packed copy of only its units'
// columns of the recurrent kernel (all gates of those units side by side), so per step it runs its own
// single-threaded GEMM h_{t-1} @ U_slice and then the pointwise cell for its units while the gate
// values are still in cache; one barrier per step publishes h_t (two for GRU reset-before, whose
// candidate GEMM needs r * h_{t-1} of every unit).
#include <omp.h>

#include <cstring>
#include <memory>
#include <vector>

#include "ironnet/gemm.h"
#include "ironnet/parallel.h"
#include "ironnet/recurrent.h"
#include "kernels/cpu/recurrent_cells_table.h"
#include "kernels/cpu/recurrent_layout.h"
#include "kernels/cpu/recurrent_packing.h"
#include "kernels/cpu/workspace.h"

namespace ironnet::cpu {
namespace {

using namespace rnn_detail;

// Where the state entering and leaving each step lives. Training keeps every step's (the workspace,
// (B, T, H) by position); inference only two slots per row, (B, 2, H), used in turn.
struct StateStore {
  float* base = nullptr;
  int64_t ld = 0;
  bool all_steps = false;
  // The state entering the step-th step run (step T: the final state, never stored here).
  float* slot(int64_t step, const RnnShape& s) const {
    return base + (all_steps ? position(step, s) : (step & 1)) * s.units;
  }
};

// Copies v (B, H), or zeros when v is null, into the store's rows, times mask (B, H) when given.
void fill_rows(const StateStore& st, float* dst, const float* v, const float* mask, int64_t batch, int64_t units) {
  for (int64_t b = 0; b < batch; ++b) {
    float* row = dst + b * st.ld;
    if (!v) {
      std::memset(row, 0, static_cast<size_t>(units) * sizeof(float));
      continue;
    }
    for (int64_t j = 0; j < units; ++j) row[j] = v[b * units + j] * (mask ? mask[b * units + j] : 1.0f);
  }
}

void copy_or_zero(float* dst, const float* src, int64_t n) {
  if (src)
    std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
  else
    std::memset(dst, 0, static_cast<size_t>(n) * sizeof(float));
}

}  // namespace

void rnn_forward(const RnnForwardArgs& a, int num_threads) {
  const RnnShape& s = a.shape;
  const int64_t B = s.batch, T = s.steps, I = s.input, H = s.units;
  const int64_t kH = rnn_gate_count(s.cell) * H, blocks = saved_blocks(s.cell);
  const bool lstm = s.cell == RnnCell::Lstm, reset_before = s.cell == RnnCell::GruResetBefore;
  if (B == 0) return;
  if (T == 0) {  // no step: the final state is the initial one
    copy_or_zero(a.h_last, a.h0, B * H);
    if (lstm) copy_or_zero(a.c_last, a.c0, B * H);
    return;
  }
  const int threads = num_threads > 0 ? num_threads : get_num_threads();
  const CpuIsa isa = active_isa();
  const CellTable& cells = cells_for(isa);

  // Input projection of all steps: xw (B, T, kH) = x W (the pointwise kernels add the biases).
  thread_local Workspace projection_space;
  float* xw = projection_space.reserve(static_cast<size_t>(B * T * kH));
  GemmArgs proj;
  proj.m = B * T, proj.n = kH, proj.k = I;
  proj.a = a.x, proj.a_row_stride = I;
  proj.b = a.kernel, proj.b_row_stride = kH;
  proj.c = xw, proj.ldc = kH;
  gemm(proj, threads, isa);

  // State stores: the training workspace, or two slots per row for inference.
  const bool training = a.workspace != nullptr;
  const WorkspaceLayout layout = workspace_layout(s);
  thread_local Workspace ring_space;  // inference: h, h * recurrent mask, c rings and GRU's r * h
  float* ring = training ? nullptr : ring_space.reserve(static_cast<size_t>(4 * 2 * B * H));
  auto store = [&](int64_t offset, int which) {
    if (training) return StateStore{a.workspace + offset, T * H, true};
    return StateStore{ring + which * 2 * B * H, 2 * H, false};
  };
  const StateStore h_store = store(layout.h_in, 0);
  const StateStore a_store = s.has_recurrent_mask ? store(layout.a_in, 1) : h_store;
  const StateStore c_store = lstm ? store(layout.c_in, 2) : StateStore{};
  // GRU reset-before's r * a_in: every step's when training, one (B, H) buffer (the ring space's last
  // quarter) for inference, rewritten each step after the barrier that ends the previous one.
  float* const rh_all = reset_before ? (training ? a.workspace + layout.rh : ring + 6 * B * H) : nullptr;
  const int64_t ld_rh = training ? T * H : H;
  fill_rows(h_store, h_store.slot(0, s), a.h0, nullptr, B, H);
  if (s.has_recurrent_mask) fill_rows(a_store, a_store.slot(0, s), a.h0, a.recurrent_mask, B, H);
  if (lstm) fill_rows(c_store, c_store.slot(0, s), a.c0, nullptr, B, H);

  const UnitSlices slices = unit_slices(s, threads);
  const RecurrentPacks packs = pack_recurrent_slices(s, a.recurrent_kernel, slices, /*transposed=*/false, isa,
                                                     std::min(threads, slices.count));
  thread_local Workspace gate_space;  // per slice: (B, blocks * width)
  const int64_t slice_floats = B * blocks * slices.width;
  float* gate_scratch = gate_space.reserve(static_cast<size_t>(slices.count * slice_floats));

#pragma omp parallel num_threads(std::min(threads, slices.count))
  {
    const int tid = omp_get_thread_num(), team = omp_get_num_threads();
    for (int64_t step = 0; step < T; ++step) {
      const int64_t t = position(step, s);
      const bool last = step == T - 1;
      ForwardStep fs;
      fs.batch = B, fs.units = H, fs.act = s.activation, fs.gate_act = s.gate_activation;
      fs.xw = xw + t * kH, fs.ld_xw = T * kH;
      fs.bias = a.bias, fs.recurrent_bias = a.recurrent_bias;
      fs.h_in = h_store.slot(step, s), fs.a_in = a_store.slot(step, s), fs.ld_in = h_store.ld;
      if (lstm) fs.c_in = c_store.slot(step, s);
      fs.h_out = last ? a.h_last : h_store.slot(step + 1, s);
      fs.a_out = s.has_recurrent_mask && !last ? a_store.slot(step + 1, s) : nullptr;
      if (lstm) fs.c_out = last ? a.c_last : c_store.slot(step + 1, s);
      fs.ld_out = last ? H : h_store.ld;
      fs.recurrent_mask = a.recurrent_mask;
      fs.mask = a.mask ? a.mask + t : nullptr, fs.ld_mask = T;
      fs.y = a.y + t * H, fs.ld_y = T * H;
      if (training) fs.saved = a.workspace + layout.gates + t * blocks * H, fs.ld_saved = T * blocks * H;
      if (reset_before) fs.rh = rh_all + (training ? t * H : 0), fs.ld_rh = ld_rh;

      // The recurrent product of gate blocks [first, ...) of slice `si` into its scratch.
      auto recurrent_gemm = [&](int si, int group, const float* operand, int64_t ld_operand, int first_block) {
        const int64_t u0 = slices.begin(si, H), nu = slices.end(si, H) - u0;
        const PackedB& packed = packs.at(si, group);
        GemmArgs g;
        g.m = B, g.n = packed.n(), g.k = H;
        g.a = operand, g.a_row_stride = ld_operand;
        g.c = gate_scratch + si * slice_floats + first_block * nu, g.ldc = blocks * nu;
        gemm(g, packed, 1);
      };
      auto slice_step = [&](int si) {
        ForwardStep mine = fs;
        mine.u0 = slices.begin(si, H), mine.u1 = slices.end(si, H);
        mine.gates = gate_scratch + si * slice_floats, mine.ld_gates = blocks * (mine.u1 - mine.u0);
        return mine;
      };
      for (int si = tid; si < slices.count; si += team) {
        recurrent_gemm(si, 0, fs.a_in, fs.ld_in, 0);
        const ForwardStep mine = slice_step(si);
        switch (s.cell) {
          case RnnCell::Lstm: cells.lstm_forward(mine); break;
          case RnnCell::GruResetAfter: cells.gru_forward(mine); break;
          case RnnCell::GruResetBefore: cells.gru_reset_gates(mine); break;
          case RnnCell::Simple: cells.simple_forward(mine); break;
        }
      }
      if (reset_before) {  // the candidate's GEMM needs r * h of every unit
#pragma omp barrier
        for (int si = tid; si < slices.count; si += team) {
          recurrent_gemm(si, 1, fs.rh, fs.ld_rh, 2);
          cells.gru_update(slice_step(si));
        }
      }
#pragma omp barrier
    }
  }
}

}  // namespace ironnet::cpu
