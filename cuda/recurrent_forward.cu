// Forward of the fused recurrent sequences on the GPU, after ATen's cuda/RNN.cu:
//   1. xw (B*T, kH) = x W, ONE GEMM for the input projection of every step (the biases are added in
//      the cell kernel, as on the CPU).
//   2. per step, in run order: rec (B, kH) = a_in U, the recurrent GEMM (a_in = h_{t-1} times the
//      recurrent mask, or h_{t-1} itself), then ONE pointwise cell kernel that adds the projection and
//      the biases, applies the gates, updates the state, applies the mask, writes y and, when
//      training, the workspace blocks backward reads. GRU reset-before needs r before its candidate's
//      GEMM: a gates kernel (z, r, r * a_in), that GEMM over the candidate block, an update kernel.
// The cell kernels map one thread to one (batch row, unit): each reads its own unit of every gate
// block, so no thread reads what another writes within a launch; one step's outputs reach the next
// step's GEMM through the stream's order.
//
// Cost at the issue's sizes (B=64, H=256, LSTM): per step one 64 x 1024 x 256 GEMM (~34 MFLOP, a few
// us on an H100) and one cell launch; launch overhead (~3-5 us each) is of the same order, so a CUDA
// graph of the step loop or a persistent kernel fusing the GEMM and the cell is the next step (not
// done here; expected to roughly halve the per-step time).
#include "common.cuh"
#include "ironnet/cuda/gemm.h"
#include "ironnet/cuda/recurrent.h"
#include "ironnet/cuda_api.h"
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
  float* rec = nullptr;                   // (B, kH) a_in U; GRU reset-before's gates kernel replaces z, r by their activated values
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

// Gate block g's pre-activation for (b, j): recurrent product + (projection + input bias [+ recurrent bias]).
__device__ float preactivation(const ForwardCell& s, int64_t b, int64_t j, int g) {
  const int64_t col = g * s.units + j;
  float in = s.xw[b * s.ld_xw + col];
  if (s.bias) {
    in += s.bias[col];
    if (s.recurrent_bias) in += s.recurrent_bias[col];
  }
  return s.rec[b * s.ld_rec + col] + in;
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

// Saved blocks: i, f, c~, o (activated), act(c_t).
struct LstmForward {
  __device__ static void run(const ForwardCell& s, int64_t b, int64_t j) {
    if (is_padded(s.mask, s.ld_mask, b)) return carry_state(s, b, j, 5);
    const float i = activate_gate(s.gate_act, preactivation(s, b, j, 0));
    const float f = activate_gate(s.gate_act, preactivation(s, b, j, 1));
    const float cc = activate(s.act, preactivation(s, b, j, 2));
    const float o = activate_gate(s.gate_act, preactivation(s, b, j, 3));
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
  __device__ static void run(const ForwardCell& s, int64_t b, int64_t j) {
    if (is_padded(s.mask, s.ld_mask, b)) return carry_state(s, b, j, 4);
    const int64_t H = s.units;
    const float z = activate_gate(s.gate_act, preactivation(s, b, j, 0));
    const float r = activate_gate(s.gate_act, preactivation(s, b, j, 1));
    float rec = s.rec[b * s.ld_rec + 2 * H + j];
    if (s.recurrent_bias) rec += s.recurrent_bias[2 * H + j];
    float pre = s.xw[b * s.ld_xw + 2 * H + j] + r * rec;
    if (s.bias) pre += s.bias[2 * H + j];
    const float hh = activate(s.act, pre);
    finish_unit<4>(s, b, j, gru_combine(s, b, j, z, hh), {z, r, hh, rec});
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
    const float z = activate_gate(s.gate_act, preactivation(s, b, j, 0));
    const float r = activate_gate(s.gate_act, preactivation(s, b, j, 1));
    s.rec[b * s.ld_rec + j] = z;
    s.rec[b * s.ld_rec + s.units + j] = r;
    *rh = r * s.a_in[b * s.ld_in + j];
  }
};

// reset-before, after it: h~ = act(x W_h + b_h + (r * a_in) U_h). Saved: z, r, h~.
struct GruUpdate {
  __device__ static void run(const ForwardCell& s, int64_t b, int64_t j) {
    if (is_padded(s.mask, s.ld_mask, b)) return carry_state(s, b, j, 3);
    const float z = s.rec[b * s.ld_rec + j], r = s.rec[b * s.ld_rec + s.units + j];
    const float hh = activate(s.act, preactivation(s, b, j, 2));
    finish_unit<3>(s, b, j, gru_combine(s, b, j, z, hh), {z, r, hh});
  }
};

// Saved: h_t.
struct SimpleForward {
  __device__ static void run(const ForwardCell& s, int64_t b, int64_t j) {
    if (is_padded(s.mask, s.ld_mask, b)) return carry_state(s, b, j, 1);
    const float h = activate(s.act, preactivation(s, b, j, 0));
    finish_unit<1>(s, b, j, h, {h});
  }
};

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

void copy_or_zero(float* dst, const float* src, int64_t n, int device) {
  const size_t bytes = static_cast<size_t>(n) * sizeof(float);
  if (src)
    copy_device_to_device(dst, src, bytes, device);
  else
    memset_zero(dst, bytes, device);
}

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
  float* const rec = xw + B * T * kH;
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

    // rec[:, blocks] = a_in U[:, blocks]: every block, or GRU reset-before's z and r only.
    gemm(B, reset_before ? 2 * H : kH, H, c.a_in, c.ld_in, 1, a.recurrent_kernel, kH, 1, rec, kH, 1.0f, 0.0f, device);
    switch (s.cell) {
      case RnnCell::Lstm: launch_units<LstmForward>(c, device, "lstm on cuda"); break;
      case RnnCell::GruResetAfter: launch_units<GruForward>(c, device, "gru on cuda"); break;
      case RnnCell::Simple: launch_units<SimpleForward>(c, device, "simple_rnn on cuda"); break;
      case RnnCell::GruResetBefore:
        launch_units<GruResetGates>(c, device, "gru on cuda");
        gemm(B, H, H, c.rh, c.ld_rh, 1, a.recurrent_kernel + 2 * H, kH, 1, rec + 2 * H, kH, 1.0f, 0.0f, device);
        launch_units<GruUpdate>(c, device, "gru on cuda");
        break;
    }
  }
}

}  // namespace ironnet::cuda
