// Backward through time of the fused recurrent sequences.
//
// Steps run last to first inside ONE parallel region, each thread owning a slice of the hidden units
// as in the forward: the pointwise cell gradient for its units writes the step's gate gradients dG_t
// (kept for all steps), a barrier, then its single-threaded GEMM dG_t @ U^T restricted to its units'
// columns (a packed slice of U^T) gives its units of dh_{t-1}. The weight gradients are then large
// GEMMs over all B*T rows on all threads: dW_ih = X^T dG, dW_hh = H_prev^T dG, dx = dG W_ih^T. The
// biases' gradients, the column sums of dG, are added up inside the step loop (see ColumnSums).
#include <omp.h>

#include <cstring>
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

void copy_or_zero(float* dst, const float* src, int64_t n) {
  if (src)
    std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
  else
    std::memset(dst, 0, static_cast<size_t>(n) * sizeof(float));
}

// C (m x n, ldc) = A^T B over `rows` rows: A (rows, m) with row stride lda, B (rows, n) with row stride ldb.
void gemm_at_b(int64_t m, int64_t n, int64_t rows, const float* a, int64_t lda, const float* b, int64_t ldb,
               float* c, int64_t ldc, int threads, CpuIsa isa) {
  GemmArgs g;
  g.m = m, g.n = n, g.k = rows;
  g.a = a, g.a_row_stride = 1, g.a_col_stride = lda;
  g.b = b, g.b_row_stride = ldb;
  g.c = c, g.ldc = ldc;
  gemm(g, threads, isa);
}

// The bias gradients: column sums of dG over all B*T rows, in double (for GRU reset_after's recurrent
// bias, the candidate block's from dG_h * r instead). Each thread adds its slice's columns of a step's dG over the batch right
// after the step has written them, while they are still in cache: a separate pass over the whole
// (B*T, kH) plane afterwards took ~3.5% of a GRU's forward + backward (perf, T=128 H=512). Every
// column is summed by one thread in one order (batch rows, last step first) whatever the thread
// count, so the result is deterministic.
class ColumnSums {
 public:
  ColumnSums(const RnnBackwardArgs& a, bool separate_rec, const CellTable& cells)
      : gates_(rnn_gate_count(a.shape.cell)), units_(a.shape.units), cells_(cells) {
    const auto kH = static_cast<size_t>(gates_ * units_);
    if (a.dbias || a.drecurrent_bias) of_dg_.assign(kH, 0.0);
    if (a.drecurrent_bias && separate_rec) of_candidate_rec_.assign(static_cast<size_t>(units_), 0.0);
  }

  // Adds rows [0, batch) of a step's dG, columns of units [u0, u1) in every gate block (and of dG_rec).
  void add_step(const BackwardStep& st) {
    if (of_dg_.empty()) return;
    const int64_t nu = st.u1 - st.u0;
    for (int64_t g = 0; g < gates_; ++g)
      cells_.add_column_sums(st.dg + g * units_ + st.u0, st.ld_dg, st.batch, nu, of_dg_.data() + g * units_ + st.u0);
    if (!of_candidate_rec_.empty())  // GRU reset_after's recurrent dG: dG's but in the candidate block
      cells_.add_column_sums(st.dg_rec + st.u0, st.ld_dg_rec, st.batch, nu, of_candidate_rec_.data() + st.u0);
  }

  void write(const RnnBackwardArgs& a) const {
    if (a.dbias) narrow(of_dg_.data(), of_dg_.size(), a.dbias);
    if (!a.drecurrent_bias) return;
    narrow(of_dg_.data(), of_dg_.size(), a.drecurrent_bias);
    if (!of_candidate_rec_.empty())
      narrow(of_candidate_rec_.data(), of_candidate_rec_.size(), a.drecurrent_bias + kCandidate * units_);
  }

 private:
  static constexpr int64_t kCandidate = 2;  // GRU's gate blocks: z, r, h~
  static void narrow(const double* sums, size_t n, float* out) {
    for (size_t j = 0; j < n; ++j) out[j] = static_cast<float>(sums[j]);
  }

  int64_t gates_, units_;
  const CellTable& cells_;
  std::vector<double> of_dg_, of_candidate_rec_;
};

// The gradients of the weights and of x from the gate gradients of all steps (dg_rec: GRU
// reset_after's dG_h * r, (B*T, H); null otherwise).
void weight_gradients(const RnnBackwardArgs& a, const float* dg, const float* dg_rec, int threads, CpuIsa isa) {
  const RnnShape& s = a.shape;
  const int64_t rows = s.batch * s.steps, I = s.input, H = s.units, kH = rnn_gate_count(s.cell) * H;
  const WorkspaceLayout layout = workspace_layout(s);
  if (a.dx) {  // dx = dG W^T: B(p, j) = kernel[j, p]
    GemmArgs g;
    g.m = rows, g.n = I, g.k = kH;
    g.a = dg, g.a_row_stride = kH;
    g.b = a.kernel, g.b_row_stride = 1, g.b_col_stride = kH;
    g.c = a.dx, g.ldc = I;
    gemm(g, threads, isa);
  }
  if (a.dkernel) gemm_at_b(I, kH, rows, a.x, I, dg, kH, a.dkernel, kH, threads, isa);
  if (a.drecurrent_kernel) {
    const float* a_in = a.workspace + layout.a_in;
    if (s.cell == RnnCell::GruResetBefore) {  // [z, r] met h * mask; the candidate block met r * (h * mask)
      gemm_at_b(H, 2 * H, rows, a_in, H, dg, kH, a.drecurrent_kernel, kH, threads, isa);
      gemm_at_b(H, H, rows, a.workspace + layout.rh, H, dg + 2 * H, kH, a.drecurrent_kernel + 2 * H, kH, threads, isa);
    } else if (s.cell == RnnCell::GruResetAfter) {  // the candidate block's recurrent gradient is dG_h * r
      gemm_at_b(H, 2 * H, rows, a_in, H, dg, kH, a.drecurrent_kernel, kH, threads, isa);
      gemm_at_b(H, H, rows, a_in, H, dg_rec, H, a.drecurrent_kernel + 2 * H, kH, threads, isa);
    } else {
      gemm_at_b(H, kH, rows, a_in, H, dg, kH, a.drecurrent_kernel, kH, threads, isa);
    }
  }
}

}  // namespace

void rnn_backward(const RnnBackwardArgs& a, int num_threads) {
  const RnnShape& s = a.shape;
  const int64_t B = s.batch, T = s.steps, H = s.units;
  const int64_t kH = rnn_gate_count(s.cell) * H, blocks = saved_blocks(s.cell);
  const bool lstm = s.cell == RnnCell::Lstm;
  const int threads = num_threads > 0 ? num_threads : get_num_threads();
  const CpuIsa isa = active_isa();
  const CellTable& cells = cells_for(isa);
  const WorkspaceLayout layout = workspace_layout(s);

  // dG of every step (B, T, kH); for GRU reset_after also the recurrent product's candidate-block
  // gradient dG_h * r (B, T, H); then the carried dL/dh and dL/dc (B, H).
  const bool separate_rec = s.cell == RnnCell::GruResetAfter;
  thread_local Workspace grad_space;
  const int64_t plane = B * T * kH, rec_plane = separate_rec ? B * T * H : 0;
  float* dg = grad_space.reserve(static_cast<size_t>(plane + rec_plane + 2 * B * H));
  float* dg_rec = separate_rec ? dg + plane : nullptr;
  float* dh = dg + plane + rec_plane;
  float* dc = dh + B * H;
  copy_or_zero(dh, a.dh_last, B * H);
  copy_or_zero(dc, a.dc_last, B * H);
  ColumnSums bias_sums(a, separate_rec, cells);

  if (B > 0 && T > 0) {
    const UnitSlices slices = unit_slices(s, threads);
    const int team_size = std::min(threads, slices.count);
    const RecurrentPacks packs = pack_recurrent_slices(s, a.recurrent_kernel, slices, /*transposed=*/true, isa,
                                                       team_size);
    thread_local Workspace rec_space;  // per slice: (B, width), its units of dG_t @ U^T
    const int64_t slice_floats = B * slices.width;
    float* rec_scratch = rec_space.reserve(static_cast<size_t>(slices.count * slice_floats));

#pragma omp parallel num_threads(team_size)
    {
      const int tid = omp_get_thread_num(), team = omp_get_num_threads();
      for (int64_t step = T - 1; step >= 0; --step) {
        const int64_t t = position(step, s);
        BackwardStep bs;
        bs.batch = B, bs.units = H, bs.act = s.activation, bs.gate_act = s.gate_activation;
        bs.saved = a.workspace + layout.gates + t * blocks * H, bs.ld_saved = T * blocks * H;
        bs.h_in = a.workspace + layout.h_in + t * H, bs.a_in = a.workspace + layout.a_in + t * H;
        if (lstm) bs.c_in = a.workspace + layout.c_in + t * H;
        bs.ld_in = T * H;
        bs.dy = a.dy + t * H, bs.ld_y = T * H;
        bs.mask = a.mask ? a.mask + t : nullptr, bs.ld_mask = T;
        bs.dh = dh, bs.dc = dc;
        bs.dg = dg + t * kH, bs.ld_dg = T * kH;
        if (separate_rec) bs.dg_rec = dg_rec + t * H, bs.ld_dg_rec = T * H;

        auto slice = [&](int si) {
          BackwardStep mine = bs;
          mine.u0 = slices.begin(si, H), mine.u1 = slices.end(si, H);
          mine.drh = rec_scratch + si * slice_floats, mine.ld_drh = mine.u1 - mine.u0;
          return mine;
        };
        // The slice's units of grads (the step's gradients of the group's gate blocks, rows ld apart)
        // @ U^T into its scratch (beta = 1: added on).
        auto transposed_gemm = [&](int si, int group, const float* grads, int64_t ld, float beta) {
          const PackedB& packed = packs.at(si, group);
          GemmArgs g;
          g.m = B, g.n = packed.n(), g.k = packed.k();
          g.a = grads, g.a_row_stride = ld;
          g.c = rec_scratch + si * slice_floats, g.ldc = packed.n(), g.beta = beta;
          gemm(g, packed, 1);
        };
        auto add_to_dh = [&](int si) {
          cells.add_recurrent_grad(B, H, slices.begin(si, H), slices.end(si, H), rec_scratch + si * slice_floats,
                                   slices.end(si, H) - slices.begin(si, H), a.recurrent_mask, dh);
        };

        for (int si = tid; si < slices.count; si += team) {
          const BackwardStep mine = slice(si);
          switch (s.cell) {
            case RnnCell::Lstm: cells.lstm_backward(mine); break;
            case RnnCell::GruResetAfter: cells.gru_backward(mine); break;
            case RnnCell::GruResetBefore: cells.gru_backward_update(mine); break;  // dG_r comes below
            case RnnCell::Simple: cells.simple_backward(mine); break;
          }
          if (s.cell != RnnCell::GruResetBefore) bias_sums.add_step(mine);
        }
#pragma omp barrier
        if (s.cell == RnnCell::GruResetBefore) {
          // dr needs dG_h @ U_h^T; then dr of every unit before the [z, r] product.
          for (int si = tid; si < slices.count; si += team) {
            transposed_gemm(si, 1, bs.dg + 2 * H, bs.ld_dg, 0.0f);
            cells.gru_backward_reset(slice(si));
            bias_sums.add_step(slice(si));
          }
#pragma omp barrier
          for (int si = tid; si < slices.count; si += team) {
            transposed_gemm(si, 0, bs.dg, bs.ld_dg, 1.0f);
            add_to_dh(si);
          }
        } else {
          for (int si = tid; si < slices.count; si += team) {
            transposed_gemm(si, 0, bs.dg, bs.ld_dg, 0.0f);  // [z, r] (GRU reset_after) or every block
            if (separate_rec) transposed_gemm(si, 1, bs.dg_rec, bs.ld_dg_rec, 1.0f);
            add_to_dh(si);
          }
        }
        // No barrier here: the next step's pointwise touches only this thread's units of dh, dc and dG.
      }
    }
  }

  if (a.dh0) std::memcpy(a.dh0, dh, static_cast<size_t>(B * H) * sizeof(float));
  if (lstm && a.dc0) std::memcpy(a.dc0, dc, static_cast<size_t>(B * H) * sizeof(float));
  if (T > 0 && B > 0) {
    weight_gradients(a, dg, dg_rec, threads, isa);
    bias_sums.write(a);
  } else {  // no step: every weight gradient is zero
    auto zero = [](float* p, int64_t n) {
      if (p) std::memset(p, 0, static_cast<size_t>(n) * sizeof(float));
    };
    zero(a.dx, B * T * s.input);
    zero(a.dkernel, s.input * kH);
    zero(a.drecurrent_kernel, H * kH);
    zero(a.dbias, kH);
    zero(a.drecurrent_bias, kH);
  }
}

}  // namespace ironnet::cpu
