// The pointwise halves of one recurrent step (gates, state update, and their gradients), for the
// rows of one slice of hidden units, as a table of function pointers per ISA (like activations_table.h).
// The step drivers (recurrent_forward.cpp, recurrent_backward.cpp) run the GEMMs around them.
#pragma once
#include <cstdint>

#include "ironnet/cpu_features.h"
#include "ironnet/recurrent.h"

namespace ironnet::cpu::rnn_detail {

// One forward step for batch rows 0..B-1 and units [u0, u1) (nu = u1 - u0). Row b of anything
// below lives at pointer + b * its ld. Within the slice scratch `gates`, block g holds units
// [u0, u1) of gate g at gates + g * nu (the recurrent GEMM wrote its products there); everything
// else is indexed by the unit j itself (block g of a (., kH) row at g * H + j).
struct ForwardStep {
  int64_t batch = 0, units = 0, u0 = 0, u1 = 0;
  RnnActivation act = RnnActivation::Tanh;
  RnnGateActivation gate_act = RnnGateActivation::Sigmoid;
  const float* xw = nullptr;              // input projection x_t W at step t (kH per row)
  int64_t ld_xw = 0;
  const float* bias = nullptr;            // (kH,) input bias, or null
  float* gates = nullptr;                 // slice scratch, saved_blocks(cell) blocks of nu per row
  int64_t ld_gates = 0;
  const float* recurrent_bias = nullptr;  // (kH,) or null
  const float* h_in = nullptr;            // state entering the step
  const float* a_in = nullptr;            // h_in * recurrent mask (== h_in without one)
  const float* c_in = nullptr;            // LSTM
  int64_t ld_in = 0;
  float* h_out = nullptr;                 // state leaving the step
  float* a_out = nullptr;                 // h_out * recurrent mask, or null when there is no mask
  float* c_out = nullptr;
  int64_t ld_out = 0;
  const float* recurrent_mask = nullptr;  // (B, H) or null
  const int32_t* mask = nullptr;          // row b's flag at mask[b * ld_mask]; null = all steps real
  int64_t ld_mask = 0;
  float* y = nullptr;                     // output row b at step t
  int64_t ld_y = 0;
  float* saved = nullptr;                 // training: saved blocks (g * H + j); null for inference
  int64_t ld_saved = 0;
  float* rh = nullptr;                    // GRU reset-before: r * a_in, the candidate GEMM's operand
  int64_t ld_rh = 0;
};

// One backward step for the same rows and units. dh/dc (B, H) carry dL/dh and dL/dc from the later
// step in and the part that does not go through the recurrent GEMM out; dg receives the
// pre-activation gate gradients (block g at g * H + j) of the input projection; dg_rec, for GRU
// reset_after only, the candidate block's gradient of the recurrent product, dG_h * r (its z and r
// blocks are dg's own).
struct BackwardStep {
  int64_t batch = 0, units = 0, u0 = 0, u1 = 0;
  RnnActivation act = RnnActivation::Tanh;
  RnnGateActivation gate_act = RnnGateActivation::Sigmoid;
  const float* saved = nullptr;
  int64_t ld_saved = 0;
  const float* h_in = nullptr;
  const float* a_in = nullptr;
  const float* c_in = nullptr;
  int64_t ld_in = 0;
  const float* dy = nullptr;
  int64_t ld_y = 0;
  const int32_t* mask = nullptr;
  int64_t ld_mask = 0;
  float* dh = nullptr;
  float* dc = nullptr;
  float* dg = nullptr;
  float* dg_rec = nullptr;                // (rows ld_dg_rec apart) units j at j
  int64_t ld_dg = 0, ld_dg_rec = 0;
  float* drh = nullptr;                   // GRU reset-before: slice scratch (nu per row) holding dG_h @ U_h^T
  int64_t ld_drh = 0;
};

struct CellTable {
  void (*lstm_forward)(const ForwardStep&);
  void (*gru_forward)(const ForwardStep&);         // reset_after
  void (*gru_reset_gates)(const ForwardStep&);     // reset-before, before the candidate GEMM: z, r, rh
  void (*gru_update)(const ForwardStep&);          // reset-before, after it: h~ and h_t
  void (*simple_forward)(const ForwardStep&);
  void (*lstm_backward)(const BackwardStep&);
  void (*gru_backward)(const BackwardStep&);       // reset_after
  void (*gru_backward_update)(const BackwardStep&);  // reset-before: dz, dh~ and the direct dh
  void (*gru_backward_reset)(const BackwardStep&);   // reset-before, after dG_h @ U_h^T: dr, drh * r
  void (*simple_backward)(const BackwardStep&);
  // dh[b, j] += rec[b * ld_rec + j - u0] * recurrent_mask[b, j] (mask null = 1), units [u0, u1).
  void (*add_recurrent_grad)(int64_t batch, int64_t units, int64_t u0, int64_t u1, const float* rec,
                             int64_t ld_rec, const float* recurrent_mask, float* dh);
  // sums[j] += sum over rows b < rows of m[b * ld + j], j < n, in double, rows in order (the bias
  // gradients, a step's dG at a time).
  void (*add_column_sums)(const float* m, int64_t ld, int64_t rows, int64_t n, double* sums);
};

const CellTable& portable_cells();
#if defined(IRONNET_HAVE_X86_KERNELS)
const CellTable& avx2_cells();    // recurrent_cells_avx2.cpp: -mavx2 -mfma
const CellTable& avx512_cells();  // recurrent_cells_avx512.cpp: -mavx512f ...
#endif
const CellTable& cells_for(CpuIsa isa);

}  // namespace ironnet::cpu::rnn_detail
