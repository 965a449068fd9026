// Forward of the fused recurrent sequences on the GPU, after ATen's cuda/RNN.cu:
//   1. xw (B*T, kH) = x W, ONE GEMM for the input projection of every step (the biases are added in
//      the cell, as on the CPU).
//   2. per step, in run order, ONE fused kernel: each block owns a slice of hidden units (all their
//      gates) for a tile of batch rows, computes its part of a_in U (the recurrent product; a_in is
//      h_{t-1} times the recurrent mask, or h_{t-1} itself) in registers, then applies the cell to it:
//      projection and biases, gates, state update, mask, y, and when training the workspace blocks
//      backward reads (the CPU's layout). Each thread ends owning all the gate values of its
//      (row, unit), so the cell needs no exchange between threads.
//      GRU reset-before needs r of every unit before its candidate's product, so it runs as
//      GEMM (z, r blocks), gates kernel (z, r, r * a_in), GEMM (candidate block), update kernel.
// A step reads the state slot the previous step wrote and writes another one (or h_last), so no
// block reads what another writes within a launch; steps are ordered by the stream.
//
// Expected gain of the fusion over "recurrent GEMM, then a cell kernel" at the issue's sizes (B=64,
// H=256, LSTM): one launch per step instead of two (~3-5 us each), no round trip of the B x kH gate
// products through memory, and 128 blocks (8 units x 16 rows each) instead of 16 64x64 GEMM tiles
// to spread the 34 MFLOP step over an H100's 132 SMs. Not measured here (no GPU): see
// bench/bench_cuda_rnn.py. A CUDA graph of the step loop would cut the remaining per-launch cost.
#include "common.cuh"
#include "ironnet/cuda/gemm.h"
#include "ironnet/cuda/recurrent.h"
#include "kernels/cpu/recurrent_layout.h"
#include "recurrent_cells.cuh"

namespace ironnet::cuda {
namespace {

using namespace rnn;
using cpu::rnn_detail::saved_blocks;

// One step's operands for the cell kernels. Row b of anything at pointer + b * its ld; the gate block g
// of a (., kH) row at g * H + j.
struct ForwardCell {
  int64_t batch = 0, units = 0;
  RnnActivation act = RnnActivation::Tanh;
  RnnGateActivation gate_act = RnnGateActivation::Sigmoid;
  const float* xw = nullptr;              // this step's input projection x_t W
  int64_t ld_xw = 0;
  float* rec = nullptr;                   // GRU reset-before only: (B, kH) a_in U from the GEMMs; its gates kernel replaces z, r by their activated values
  int64_t ld_rec = 0;                     // kH
  const float* bias = nullptr;            // (kH,) input bias, or null
  const float* recurrent_bias = nullptr;  // (kH,) GRU reset_after's recurrent bias, or null
  const float* h_in = nullptr;            // state entering the step
  const float* a_in = nullptr;            // h_in * recurrent mask (== h_in without one)
  const float* c_in = nullptr;            // LSTM
  int64_t ld_in = 0;
  float* h_out = nullptr;                 // state leaving the step
  float* a_out = nullptr;                 // h_out * recurrent mask; null without a mask or at the last step
  float* c_out = nullptr;                 // LSTM
  int64_t ld_out = 0;
  const float* recurrent_mask = nullptr;  // (B, H) or null
  const int32_t* mask = nullptr;          // row b's flag at mask[b * ld_mask]; null = every step real
  int64_t ld_mask = 0;
  float* y = nullptr;
  int64_t ld_y = 0;
  float* saved = nullptr;                 // training: the workspace's gate blocks at this step; null for inference
  int64_t ld_saved = 0;
  float* rh = nullptr;                    // GRU reset-before: r * a_in, the candidate GEMM's operand
  int64_t ld_rh = 0;
};

// Gate block g's pre-activation for (b, j): its recurrent product + (projection + input bias [+ recurrent bias]).
__device__ float preactivation(const ForwardCell& s, int64_t b, int64_t j, int g, float rec) {
  const int64_t col = g * s.units + j;
  float in = s.xw[b * s.ld_xw + col];
  if (s.bias) {
    in += s.bias[col];
    if (s.recurrent_bias) in += s.recurrent_bias[col];
  }
  return rec + in;
}

// A padded step: the state passes through unchanged, y is 0 and the saved blocks are 0 (finite).
__device__ void carry_state(const ForwardCell& s, int64_t b, int64_t j, int blocks) {
  s.h_out[b * s.ld_out + j] = s.h_in[b * s.ld_in + j];
  if (s.a_out) s.a_out[b * s.ld_out + j] = s.a_in[b * s.ld_in + j];
  if (s.c_out) s.c_out[b * s.ld_out + j] = s.c_in[b * s.ld_in + j];
  s.y[b * s.ld_y + j] = 0.0f;
  if (s.saved)
    for (int g = 0; g < blocks; ++g) s.saved[b * s.ld_saved + g * s.units + j] = 0.0f;
}

// Writes h_t to the state, y and (under a recurrent mask) a_out, and saves the step's blocks.
template <int kBlocks>
__device__ void finish_unit(const ForwardCell& s, int64_t b, int64_t j, float h, const float (&blocks)[kBlocks]) {
  s.h_out[b * s.ld_out + j] = h;
  s.y[b * s.ld_y + j] = h;
  if (s.a_out) s.a_out[b * s.ld_out + j] = h * s.recurrent_mask[b * s.units + j];
  if (s.saved)
    for (int g = 0; g < kBlocks; ++g) s.saved[b * s.ld_saved + g * s.units + j] = blocks[g];
}

// The fused step's cells: run(s, b, j, rec) with rec[g] = (a_in U)[b, g * H + j].

// Saved blocks: i, f, c~, o (activated), act(c_t).
struct LstmForward {
  static constexpr int kGates = 4;
  __device__ static void run(const ForwardCell& s, int64_t b, int64_t j, const float (&rec)[kGates]) {
    if (is_padded(s.mask, s.ld_mask, b)) return carry_state(s, b, j, 5);
    const float i = activate_gate(s.gate_act, preactivation(s, b, j, 0, rec[0]));
    const float f = activate_gate(s.gate_act, preactivation(s, b, j, 1, rec[1]));
    const float cc = activate(s.act, preactivation(s, b, j, 2, rec[2]));
    const float o = activate_gate(s.gate_act, preactivation(s, b, j, 3, rec[3]));
    const float c = f * s.c_in[b * s.ld_in + j] + i * cc;
    const float ac = activate(s.act, c);
    s.c_out[b * s.ld_out + j] = c;
    finish_unit<5>(s, b, j, o * ac, {i, f, cc, o, ac});
  }
};

// h_t = z h_{t-1} + (1 - z) h~.
__device__ float gru_combine(const ForwardCell& s, int64_t b, int64_t j, float z, float hh) {
  return z * s.h_in[b * s.ld_in + j] + (1.0f - z) * hh;
}

// reset_after: h~ = act(x W_h + r * (h U_h + rb_h) + b_h). Saved: z, r, h~, h U_h + rb_h.
struct GruForward {
  static constexpr int kGates = 3;
  __device__ static void run(const ForwardCell& s, int64_t b, int64_t j, const float (&rec)[kGates]) {
    if (is_padded(s.mask, s.ld_mask, b)) return carry_state(s, b, j, 4);
    const int64_t H = s.units;
    const float z = activate_gate(s.gate_act, preactivation(s, b, j, 0, rec[0]));
    const float r = activate_gate(s.gate_act, preactivation(s, b, j, 1, rec[1]));
    float rec_h = rec[2];
    if (s.recurrent_bias) rec_h += s.recurrent_bias[2 * H + j];
    float pre = s.xw[b * s.ld_xw + 2 * H + j] + r * rec_h;
    if (s.bias) pre += s.bias[2 * H + j];
    const float hh = activate(s.act, pre);
    finish_unit<4>(s, b, j, gru_combine(s, b, j, z, hh), {z, r, hh, rec_h});
  }
};

// reset-before, before the candidate's GEMM: z and r (kept in rec's first two blocks for the update
// kernel) and rh = r * a_in, the GEMM's operand (0 on a padded step: finite for the GEMM and dW_h).
struct GruResetGates {
  __device__ static void run(const ForwardCell& s, int64_t b, int64_t j) {
    float* rh = s.rh + b * s.ld_rh + j;
    if (is_padded(s.mask, s.ld_mask, b)) {
      *rh = 0.0f;
      return;
    }
    float* rec = s.rec + b * s.ld_rec + j;
    const float z = activate_gate(s.gate_act, preactivation(s, b, j, 0, rec[0]));
    const float r = activate_gate(s.gate_act, preactivation(s, b, j, 1, rec[s.units]));
    rec[0] = z;
    rec[s.units] = r;
    *rh = r * s.a_in[b * s.ld_in + j];
  }
};

// reset-before, after it: h~ = act(x W_h + b_h + (r * a_in) U_h). Saved: z, r, h~.
struct GruUpdate {
  __device__ static void run(const ForwardCell& s, int64_t b, int64_t j) {
    if (is_padded(s.mask, s.ld_mask, b)) return carry_state(s, b, j, 3);
    const float z = s.rec[b * s.ld_rec + j], r = s.rec[b * s.ld_rec + s.units + j];
    const float hh = activate(s.act, preactivation(s, b, j, 2, s.rec[b * s.ld_rec + 2 * s.units + j]));
    finish_unit<3>(s, b, j, gru_combine(s, b, j, z, hh), {z, r, hh});
  }
};

// Saved: h_t.
struct SimpleForward {
  static constexpr int kGates = 1;
  __device__ static void run(const ForwardCell& s, int64_t b, int64_t j, const float (&rec)[kGates]) {
    if (is_padded(s.mask, s.ld_mask, b)) return carry_state(s, b, j, 1);
    const float h = activate(s.act, preactivation(s, b, j, 0, rec[0]));
    finish_unit<1>(s, b, j, h, {h});
  }
};

// One fused step (see the top of the file): block (blockIdx.x, blockIdx.y) owns units
// [u0, u0 + kTileUnits) and batch rows [b0, b0 + kTileRows); thread t computes row b0 + t / kTileUnits,
// unit u0 + t % kTileUnits: rec[g] = sum over p of a_in[b, p] U[p, g * H + j] for each gate g, with
// a_in and U staged through shared memory kTileDepth values of p at a time (zeros past the edges),
// then Cell::run on it. In a warp (4 rows x 8 units) a_tile reads hit 4 words in distinct banks
// (row stride kTileDepth + 1) and u_tile reads 8 words, each broadcast.
template <class Cell>
__global__ void __launch_bounds__(kTileThreads) fused_forward_step(ForwardCell s, const float* __restrict__ u) {
  constexpr int kGates = Cell::kGates, kCols = kGates * kTileUnits;
  __shared__ float a_tile[kTileRows][kTileDepth + 1];  // a_tile[r][q] = a_in[b0 + r, p0 + q]
  __shared__ float u_tile[kTileDepth][kCols];          // u_tile[q][g * kTileUnits + c] = U[p0 + q, g * H + u0 + c]
  const int64_t H = s.units, kH = kGates * H;
  const int64_t b0 = static_cast<int64_t>(blockIdx.y) * kTileRows, u0 = static_cast<int64_t>(blockIdx.x) * kTileUnits;
  const int row = threadIdx.x / kTileUnits, unit = threadIdx.x % kTileUnits;
  float rec[kGates] = {};
  for (int64_t p0 = 0; p0 < H; p0 += kTileDepth) {
    for (int i = threadIdx.x; i < kTileRows * kTileDepth; i += kTileThreads) {  // consecutive p: coalesced
      const int r = i / kTileDepth, q = i % kTileDepth;
      const int64_t b = b0 + r, p = p0 + q;
      a_tile[r][q] = (b < s.batch && p < H) ? s.a_in[b * s.ld_in + p] : 0.0f;
    }
    for (int i = threadIdx.x; i < kTileDepth * kCols; i += kTileThreads) {  // consecutive units: coalesced
      const int q = i / kCols, g = (i % kCols) / kTileUnits, c = i % kTileUnits;
      const int64_t p = p0 + q, j = u0 + c;
      u_tile[q][g * kTileUnits + c] = (p < H && j < H) ? u[p * kH + g * H + j] : 0.0f;
    }
    __syncthreads();
#pragma unroll 8
    for (int q = 0; q < kTileDepth; ++q) {
      const float a = a_tile[row][q];
#pragma unroll
      for (int g = 0; g < kGates; ++g) rec[g] = fmaf(a, u_tile[q][g * kTileUnits + unit], rec[g]);
    }
    __syncthreads();  // before the next slice overwrites the tiles
  }
  const int64_t b = b0 + row, j = u0 + unit;
  if (b < s.batch && j < H) Cell::run(s, b, j, rec);
}

template <class Cell>
void launch_fused_forward(const ForwardCell& s, const float* recurrent_kernel, int device, const char* op) {
  launch_kernel(fused_forward_step<Cell>, tile_grid(s.batch, s.units, op), kTileThreads, 0, stream(device), s,
      recurrent_kernel);
  check_launch(op);
}

// The state entering the first step run: h0 (or 0), h0 * recurrent mask, c0 (or 0).
struct InitialState {
  int64_t batch = 0, units = 0;
  const float *h0 = nullptr, *c0 = nullptr, *recurrent_mask = nullptr;
  float *h = nullptr, *a = nullptr, *c = nullptr;  // a null without a recurrent mask, c without a cell state
  int64_t ld = 0;

  __device__ static void run(const InitialState& s, int64_t b, int64_t j) {
    const int64_t in = b * s.units + j, out = b * s.ld + j;
    const float h = s.h0 ? s.h0[in] : 0.0f;
    s.h[out] = h;
    if (s.a) s.a[out] = s.h0 ? h * s.recurrent_mask[in] : 0.0f;
    if (s.c) s.c[out] = s.c0 ? s.c0[in] : 0.0f;
  }
};

// Where a state lives (the CPU's StateStore): the training workspace keeps every step's, (B, T, H) by
// position; inference two slots per row, (B, 2, H), used in turn.
struct StateSlots {
  float* base = nullptr;
  int64_t ld = 0;
  bool all_steps = false;
  float* slot(int64_t step, const RnnShape& s) const {
    return base + (all_steps ? position(step, s) : (step & 1)) * s.units;
  }
};

constexpr int64_t kInferenceStateBlocks = 7;  // (B, H) blocks: h, a, c rings of two, GRU reset-before's rh

}  // namespace

int64_t rnn_forward_scratch_floats(const RnnShape& s, bool training) {
  const int64_t kH = gate_count(s.cell) * s.units;
  return s.batch * s.steps * kH + s.batch * kH + (training ? 0 : kInferenceStateBlocks * s.batch * s.units);
}

void rnn_forward(const cpu::RnnForwardArgs& a, float* scratch, int device) {
  const RnnShape& s = a.shape;
  const int64_t B = s.batch, T = s.steps, I = s.input, H = s.units, kH = gate_count(s.cell) * H;
  const bool lstm = s.cell == RnnCell::Lstm, reset_before = s.cell == RnnCell::GruResetBefore;
  const bool training = a.workspace != nullptr;
  if (B == 0) return;
  DeviceGuard guard(device);
  if (T == 0) {  // no step: the final state is the initial one
    copy_or_zero(a.h_last, a.h0, B * H, device);
    if (lstm) copy_or_zero(a.c_last, a.c0, B * H, device);
    return;
  }
  float* const xw = scratch;
  float* const rec = xw + B * T * kH;  // GRU reset-before's recurrent products
  float* const ring = rec + B * kH;
  gemm(B * T, kH, I, a.x, I, 1, a.kernel, kH, 1, xw, kH, 1.0f, 0.0f, device);

  const cpu::rnn_detail::WorkspaceLayout layout = cpu::rnn_detail::workspace_layout(s);
  auto store = [&](int64_t offset, int which) {
    if (training) return StateSlots{a.workspace + offset, T * H, true};
    return StateSlots{ring + which * 2 * B * H, 2 * H, false};
  };
  const StateSlots h_store = store(layout.h_in, 0);
  const StateSlots a_store = s.has_recurrent_mask ? store(layout.a_in, 1) : h_store;
  const StateSlots c_store = lstm ? store(layout.c_in, 2) : StateSlots{};
  float* const rh_all = reset_before ? (training ? a.workspace + layout.rh : ring + 6 * B * H) : nullptr;
  const int64_t ld_rh = training ? T * H : H;

  InitialState init;
  init.batch = B, init.units = H, init.h0 = a.h0, init.c0 = lstm ? a.c0 : nullptr;
  init.recurrent_mask = a.recurrent_mask, init.ld = h_store.ld;
  init.h = h_store.slot(0, s);
  init.a = s.has_recurrent_mask ? a_store.slot(0, s) : nullptr;
  init.c = lstm ? c_store.slot(0, s) : nullptr;
  launch_units<InitialState>(init, device, "rnn initial state on cuda");

  for (int64_t step = 0; step < T; ++step) {
    const int64_t t = position(step, s);
    const bool last = step == T - 1;
    ForwardCell c;
    c.batch = B, c.units = H, c.act = s.activation, c.gate_act = s.gate_activation;
    c.xw = xw + t * kH, c.ld_xw = T * kH;
    c.rec = rec, c.ld_rec = kH;
    c.bias = a.bias, c.recurrent_bias = a.recurrent_bias;
    c.h_in = h_store.slot(step, s), c.a_in = a_store.slot(step, s), c.ld_in = h_store.ld;
    if (lstm) c.c_in = c_store.slot(step, s);
    c.h_out = last ? a.h_last : h_store.slot(step + 1, s);
    c.a_out = s.has_recurrent_mask && !last ? a_store.slot(step + 1, s) : nullptr;
    if (lstm) c.c_out = last ? a.c_last : c_store.slot(step + 1, s);
    c.ld_out = last ? H : h_store.ld;
    c.recurrent_mask = a.recurrent_mask;
    c.mask = a.mask ? a.mask + t : nullptr, c.ld_mask = T;
    c.y = a.y + t * H, c.ld_y = T * H;
    if (training) c.saved = a.workspace + layout.gates + t * saved_blocks(s.cell) * H, c.ld_saved = T * saved_blocks(s.cell) * H;
    if (reset_before) c.rh = rh_all + (training ? t * H : 0), c.ld_rh = ld_rh;

    switch (s.cell) {
      case RnnCell::Lstm: launch_fused_forward<LstmForward>(c, a.recurrent_kernel, device, "lstm on cuda"); break;
      case RnnCell::GruResetAfter: launch_fused_forward<GruForward>(c, a.recurrent_kernel, device, "gru on cuda"); break;
      case RnnCell::Simple:
        launch_fused_forward<SimpleForward>(c, a.recurrent_kernel, device, "simple_rnn on cuda");
        break;
      case RnnCell::GruResetBefore:  // rec = a_in U over z, r; gates; rec over h~ = (r * a_in) U_h; update
        gemm(B, 2 * H, H, c.a_in, c.ld_in, 1, a.recurrent_kernel, kH, 1, rec, kH, 1.0f, 0.0f, device);
        launch_units<GruResetGates>(c, device, "gru on cuda");
        gemm(B, H, H, c.rh, c.ld_rh, 1, a.recurrent_kernel + 2 * H, kH, 1, rec + 2 * H, kH, 1.0f, 0.0f, device);
        launch_units<GruUpdate>(c, device, "gru on cuda");
        break;
    }
  }
}

}  // namespace ironnet::cuda
