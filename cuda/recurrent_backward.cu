// Backward through time of the fused recurrent sequences on the GPU.
//
// Steps run last to first, ONE fused kernel per step (the forward's tiles: a block owns a slice of
// hidden units for a tile of batch rows, one thread per (row, unit)). Each thread computes its
// (b, j) of rec = dG_{t+1} U^T, the recurrent product of the later step's gate gradients (every
// unit's, written by the previous launch), in registers; then the cell: dL/dh_t = the direct part
// the later step left in dh + rec (times the recurrent mask) + dy_t; it writes the step's
// pre-activation gate gradients dG_t (kept for every step, (B, T, kH) by position) and leaves the
// direct part of dL/dh_{t-1} in dh (0 for LSTM and simple RNN, z dL/dh_t for GRU). After the last
// step one more launch of the same kernel gives dh0. Within a launch no block reads what another
// writes: the product reads dG at the later position, the cell writes this one.
// GRU reset-before needs dG_h U_h^T of every unit for dr first, so it runs as update kernel, GEMM
// over the candidate block, reset kernel, GEMM over z, r added on (beta = 1), with rec in memory.
// At the end the weight gradients are big GEMMs over all B*T rows (dx = dG W^T, dW = X^T dG,
// dU = A_in^T dG) and the bias gradients deterministic column sums of dG (a fixed order per column,
// no atomics).
#include "common.cuh"
#include "ironnet/cuda/gemm.h"
#include "ironnet/cuda/recurrent.h"
#include "kernels/cpu/recurrent_layout.h"
#include "recurrent_cells.cuh"

namespace ironnet::cuda {
namespace {

using namespace rnn;
using cpu::rnn_detail::saved_blocks;

// One step's operands for the backward cell kernels. Row b of anything at pointer + b * its ld; the
// gate block g of a (., kH) row at g * H + j; dh, dc, rec and the recurrent mask are (B, H).
struct BackwardCell {
  int64_t batch = 0, units = 0, gates = 0;  // gates: k, so dG and U rows have k * H values
  RnnActivation act = RnnActivation::Tanh;
  RnnGateActivation gate_act = RnnGateActivation::Sigmoid;
  const float* saved = nullptr;           // the forward's saved blocks at this step
  int64_t ld_saved = 0;
  const float* h_in = nullptr;            // state entering the step (GRU)
  const float* a_in = nullptr;            // h_in * recurrent mask (GRU reset-before's dr)
  const float* c_in = nullptr;            // LSTM
  int64_t ld_in = 0;
  const float* dy = nullptr;
  int64_t ld_y = 0;
  const int32_t* mask = nullptr;          // row b's flag at mask[b * ld_mask]; null = every step real
  int64_t ld_mask = 0;
  const float* rec = nullptr;             // GRU reset-before: the later step's dG U^T; null at the first step run
  const float* recurrent_mask = nullptr;  // or null
  float* dh = nullptr;                    // in: direct part of dL/dh_t; out: direct part of dL/dh_{t-1}
  float* dc = nullptr;                    // LSTM: dL/dc_t in, dL/dc_{t-1} out
  float* dg = nullptr;                    // dG of the input projection
  float* dg_rec = nullptr;                // GRU reset_after: dG of the recurrent product
  int64_t ld_dg = 0;
  float* drh = nullptr;                   // GRU reset-before: dG_h U_h^T in, times r out (the rec buffer)
  float* dh0 = nullptr;                   // FinalStateGrad's output
};

// The cells below take rec = (dG_{t+1} U^T)[b, j], 0 at the first step run.

// dL/dh_t that reached (b, j) from later steps: the direct part plus the recurrent product's (whose
// operand was h * recurrent mask).
__device__ float incoming_dh(const BackwardCell& s, int64_t b, int64_t j, float rec) {
  const int64_t i = b * s.units + j;
  return s.dh[i] + (s.recurrent_mask ? rec * s.recurrent_mask[i] : rec);
}

// dL/dh_t at (b, j) including dy, or false on a padded step: there the state passed through, so its
// gradient does too, and the step's gate gradients are 0.
__device__ bool begin_unit(const BackwardCell& s, int64_t b, int64_t j, float rec, int blocks, float& dh) {
  dh = incoming_dh(s, b, j, rec);
  if (is_padded(s.mask, s.ld_mask, b)) {
    s.dh[b * s.units + j] = dh;
    for (int g = 0; g < blocks; ++g) {
      s.dg[b * s.ld_dg + g * s.units + j] = 0.0f;
      if (s.dg_rec) s.dg_rec[b * s.ld_dg + g * s.units + j] = 0.0f;
    }
    return false;
  }
  dh += s.dy[b * s.ld_y + j];
  return true;
}

__device__ float saved_block(const BackwardCell& s, int64_t b, int64_t j, int g) {
  return s.saved[b * s.ld_saved + g * s.units + j];
}

struct LstmBackward {
  __device__ static void run(const BackwardCell& s, int64_t b, int64_t j, float rec) {
    float dh;
    if (!begin_unit(s, b, j, rec, 4, dh)) return;
    const int64_t H = s.units;
    const float i = saved_block(s, b, j, 0), f = saved_block(s, b, j, 1), cc = saved_block(s, b, j, 2);
    const float o = saved_block(s, b, j, 3), ac = saved_block(s, b, j, 4);
    float* dc = s.dc + b * H + j;
    const float dct = *dc + scale_by_derivative(s.act, ac, dh * o);
    float* dg = s.dg + b * s.ld_dg + j;
    dg[0] = scale_by_gate_derivative(s.gate_act, i, dct * cc);
    dg[H] = scale_by_gate_derivative(s.gate_act, f, dct * s.c_in[b * s.ld_in + j]);
    dg[2 * H] = scale_by_derivative(s.act, cc, dct * i);
    dg[3 * H] = scale_by_gate_derivative(s.gate_act, o, dh * ac);
    *dc = dct * f;
    s.dh[b * H + j] = 0.0f;  // all of h_{t-1}'s gradient goes through the recurrent product
  }
};

// h_t = z h_{t-1} + (1 - z) h~: writes dz and dh~ (through their activations) and the direct part
// z dL/dh_t of dL/dh_{t-1}; returns dh~.
__device__ float gru_backward_common(const BackwardCell& s, int64_t b, int64_t j, float dh) {
  const int64_t H = s.units;
  const float z = saved_block(s, b, j, 0), hh = saved_block(s, b, j, 2);
  float* dg = s.dg + b * s.ld_dg + j;
  dg[0] = scale_by_gate_derivative(s.gate_act, z, dh * (s.h_in[b * s.ld_in + j] - hh));
  const float dhh = scale_by_derivative(s.act, hh, dh * (1.0f - z));
  dg[2 * H] = dhh;
  s.dh[b * H + j] = dh * z;
  return dhh;
}

// reset_after: the recurrent product's gradients differ from the projection's in the candidate block.
struct GruBackward {
  __device__ static void run(const BackwardCell& s, int64_t b, int64_t j, float rec) {
    float dh;
    if (!begin_unit(s, b, j, rec, 3, dh)) return;
    const int64_t H = s.units;
    const float dhh = gru_backward_common(s, b, j, dh);
    const float r = saved_block(s, b, j, 1), rec_h = saved_block(s, b, j, 3);
    float *dg = s.dg + b * s.ld_dg + j, *dgr = s.dg_rec + b * s.ld_dg + j;
    dg[H] = scale_by_gate_derivative(s.gate_act, r, dhh * rec_h);
    dgr[0] = dg[0];
    dgr[H] = dg[H];
    dgr[2 * H] = dhh * r;
  }
};

// reset-before, before dG_h U_h^T: dz, dh~ and the direct part (dr is written by GruBackwardReset).
struct GruBackwardUpdate {
  __device__ static void run(const BackwardCell& s, int64_t b, int64_t j, float rec) {
    float dh;
    if (begin_unit(s, b, j, rec, 3, dh)) gru_backward_common(s, b, j, dh);
  }
};

// reset-before, after it: dr from drh = dG_h U_h^T, and drh * r = dL/d(h * mask) through r * (h * mask).
// Padded rows keep dr = 0 (begin_unit) and drh = 0 (dG_h was 0).
struct GruBackwardReset {
  __device__ static void run(const BackwardCell& s, int64_t b, int64_t j) {
    if (is_padded(s.mask, s.ld_mask, b)) return;
    const float r = saved_block(s, b, j, 1);
    float* drh = s.drh + b * s.units + j;
    s.dg[b * s.ld_dg + s.units + j] = scale_by_gate_derivative(s.gate_act, r, *drh * s.a_in[b * s.ld_in + j]);
    *drh *= r;
  }
};

struct SimpleBackward {
  __device__ static void run(const BackwardCell& s, int64_t b, int64_t j, float rec) {
    float dh;
    if (!begin_unit(s, b, j, rec, 1, dh)) return;
    s.dg[b * s.ld_dg + j] = scale_by_derivative(s.act, saved_block(s, b, j, 0), dh);
    s.dh[b * s.units + j] = 0.0f;
  }
};

// dh0 = what reached the initial state: the direct part plus the first step's recurrent product.
struct FinalStateGrad {
  __device__ static void run(const BackwardCell& s, int64_t b, int64_t j, float rec) {
    s.dh0[b * s.units + j] = incoming_dh(s, b, j, rec);
  }
};

// GRU reset-before's path: Cell with rec from the GEMMs' (B, H) result in memory (0 when s.rec is null).
template <class Cell>
struct WithStoredRec {
  __device__ static void run(const BackwardCell& s, int64_t b, int64_t j) {
    Cell::run(s, b, j, s.rec ? s.rec[b * s.units + j] : 0.0f);
  }
};

// One fused step: block (blockIdx.x, blockIdx.y) owns units [u0, u0 + kTileUnits) and batch rows
// [b0, b0 + kTileRows); thread t computes row b0 + t / kTileUnits, unit u0 + t % kTileUnits:
// rec = sum over c < kH of grads[b, c] U[j, c] (grads: the later step's dG, row stride s.ld_dg; null
// at the first step run: rec = 0), staged through shared memory kTileDepth columns at a time (zeros
// past the edges), then Cell::run. u_tile's row stride kTileUnits + 1 (odd) keeps its transposing
// stores free of bank conflicts.
template <class Cell>
__global__ void __launch_bounds__(kTileThreads) fused_backward_step(BackwardCell s, const float* __restrict__ grads,
                                                                    const float* __restrict__ u) {
  __shared__ float g_tile[kTileRows][kTileDepth + 1];   // g_tile[r][q] = grads[b0 + r, c0 + q]
  __shared__ float u_tile[kTileDepth][kTileUnits + 1];  // u_tile[q][c] = U[u0 + c, c0 + q]
  const int64_t H = s.units, kH = s.gates * H;
  const int64_t b0 = static_cast<int64_t>(blockIdx.y) * kTileRows, u0 = static_cast<int64_t>(blockIdx.x) * kTileUnits;
  const int row = threadIdx.x / kTileUnits, unit = threadIdx.x % kTileUnits;
  float rec = 0.0f;
  if (grads != nullptr) {  // the same for the whole block, so every thread meets the barriers
    for (int64_t c0 = 0; c0 < kH; c0 += kTileDepth) {
      for (int i = threadIdx.x; i < kTileRows * kTileDepth; i += kTileThreads) {  // consecutive columns: coalesced
        const int r = i / kTileDepth, q = i % kTileDepth;
        const int64_t b = b0 + r, c = c0 + q;
        g_tile[r][q] = (b < s.batch && c < kH) ? grads[b * s.ld_dg + c] : 0.0f;
      }
      for (int i = threadIdx.x; i < kTileUnits * kTileDepth; i += kTileThreads) {  // along U's rows: coalesced
        const int cu = i / kTileDepth, q = i % kTileDepth;
        const int64_t j = u0 + cu, c = c0 + q;
        u_tile[q][cu] = (j < H && c < kH) ? u[j * kH + c] : 0.0f;
      }
      __syncthreads();
#pragma unroll 8
      for (int q = 0; q < kTileDepth; ++q) rec = fmaf(g_tile[row][q], u_tile[q][unit], rec);
      __syncthreads();  // before the next slice overwrites the tiles
    }
  }
  const int64_t b = b0 + row, j = u0 + unit;
  if (b < s.batch && j < H) Cell::run(s, b, j, rec);
}

template <class Cell>
void launch_fused_backward(const BackwardCell& s, const float* grads, const float* recurrent_kernel, int device,
                           const char* op) {
  launch_kernel(fused_backward_step<Cell>, tile_grid(s.batch, s.units, op), kTileThreads, 0, stream(device), s, grads,
      recurrent_kernel);
  check_launch(op);
}

// out[c] = sum over rows r of m[r * ld + c], c < cols. Block (32, 32): threadIdx.x picks the column
// (coalesced along a row), threadIdx.y sums rows y, y + 32, ... in order; then thread y = 0 adds the
// 32 partial sums in order. Fixed order: the same bits every run.
constexpr int kSumLanes = 32;

__global__ void column_sums_kernel(int64_t rows, int64_t cols, const float* __restrict__ m, int64_t ld,
                                   float* __restrict__ out) {
  __shared__ float partial[kSumLanes][kSumLanes + 1];  // +1: the final column walk avoids bank conflicts
  const int64_t c = static_cast<int64_t>(blockIdx.x) * kSumLanes + threadIdx.x;
  float sum = 0.0f;
  if (c < cols)
    for (int64_t r = threadIdx.y; r < rows; r += kSumLanes) sum += m[r * ld + c];
  partial[threadIdx.y][threadIdx.x] = sum;
  __syncthreads();
  if (threadIdx.y == 0 && c < cols) {
    float total = 0.0f;
    for (int y = 0; y < kSumLanes; ++y) total += partial[y][threadIdx.x];
    out[c] = total;
  }
}

void column_sums(int64_t rows, int64_t cols, const float* m, int64_t ld, float* out, int device) {
  if (cols == 0) return;
  const dim3 block(kSumLanes, kSumLanes);
  const auto blocks = static_cast<unsigned>((cols + kSumLanes - 1) / kSumLanes);
  launch_kernel(column_sums_kernel, blocks, block, 0, stream(device), rows, cols, m, ld, out);
  check_launch("rnn bias gradient on cuda");
}

// C (m x n, ldc) = A^T B over `rows` rows: A (rows, m) with row stride lda, B (rows, n) with row stride ldb.
void gemm_at_b(int64_t m, int64_t n, int64_t rows, const float* a, int64_t lda, const float* b, int64_t ldb,
               float* c, int64_t ldc, int device) {
  gemm(m, n, rows, a, 1, lda, b, ldb, 1, c, ldc, 1.0f, 0.0f, device);
}

// The gradients of x and the weights from the gate gradients of all steps.
void weight_gradients(const cpu::RnnBackwardArgs& a, const float* dg, const float* dg_rec, int device) {
  const RnnShape& s = a.shape;
  const int64_t rows = s.batch * s.steps, I = s.input, H = s.units, kH = gate_count(s.cell) * H;
  const cpu::rnn_detail::WorkspaceLayout layout = cpu::rnn_detail::workspace_layout(s);
  if (a.dx) gemm(rows, I, kH, dg, kH, 1, a.kernel, 1, kH, a.dx, I, 1.0f, 0.0f, device);  // dG W^T
  if (a.dkernel) gemm_at_b(I, kH, rows, a.x, I, dg, kH, a.dkernel, kH, device);
  if (a.drecurrent_kernel) {
    const float* a_in = a.workspace + layout.a_in;
    if (s.cell == RnnCell::GruResetBefore) {  // [z, r] met h * mask; the candidate block met r * (h * mask)
      gemm_at_b(H, 2 * H, rows, a_in, H, dg, kH, a.drecurrent_kernel, kH, device);
      gemm_at_b(H, H, rows, a.workspace + layout.rh, H, dg + 2 * H, kH, a.drecurrent_kernel + 2 * H, kH, device);
    } else {
      gemm_at_b(H, kH, rows, a_in, H, dg_rec, kH, a.drecurrent_kernel, kH, device);
    }
  }
  if (a.dbias) column_sums(rows, kH, dg, kH, a.dbias, device);
  if (a.drecurrent_bias) column_sums(rows, kH, dg_rec, kH, a.drecurrent_bias, device);
}


}  // namespace

int64_t rnn_backward_scratch_floats(const RnnShape& s) {
  const int64_t plane = s.batch * s.steps * gate_count(s.cell) * s.units;
  return (s.cell == RnnCell::GruResetAfter ? 2 : 1) * plane + 3 * s.batch * s.units;
}

void rnn_backward(const cpu::RnnBackwardArgs& a, float* scratch, int device) {
  const RnnShape& s = a.shape;
  const int64_t B = s.batch, T = s.steps, H = s.units, kH = gate_count(s.cell) * H;
  const bool lstm = s.cell == RnnCell::Lstm, separate_rec = s.cell == RnnCell::GruResetAfter;
  DeviceGuard guard(device);
  if (B == 0 || T == 0) {  // no step: the state's gradient passes through, every weight gradient is 0
    copy_or_zero(a.dh0, a.dh_last, B * H, device);
    if (lstm) copy_or_zero(a.dc0, a.dc_last, B * H, device);
    copy_or_zero(a.dx, nullptr, B * T * s.input, device);
    copy_or_zero(a.dkernel, nullptr, s.input * kH, device);
    copy_or_zero(a.drecurrent_kernel, nullptr, H * kH, device);
    copy_or_zero(a.dbias, nullptr, kH, device);
    copy_or_zero(a.drecurrent_bias, nullptr, kH, device);
    return;
  }
  const int64_t plane = B * T * kH;
  float* const dg = scratch;
  float* const dg_rec = separate_rec ? dg + plane : dg;
  float* const dh = dg + (separate_rec ? 2 : 1) * plane;
  float* const dc = dh + B * H;
  float* const rec = dc + B * H;
  copy_or_zero(dh, a.dh_last, B * H, device);
  if (lstm) copy_or_zero(dc, a.dc_last, B * H, device);

  const cpu::rnn_detail::WorkspaceLayout layout = cpu::rnn_detail::workspace_layout(s);
  const int64_t blocks = saved_blocks(s.cell);
  const float* const U = a.recurrent_kernel;
  BackwardCell c;
  c.batch = B, c.units = H, c.gates = gate_count(s.cell), c.act = s.activation, c.gate_act = s.gate_activation;
  c.ld_saved = T * blocks * H, c.ld_in = T * H, c.ld_y = T * H, c.ld_mask = T, c.ld_dg = T * kH;
  c.recurrent_mask = a.recurrent_mask;
  c.dh = dh, c.dc = dc, c.drh = rec;
  // The gate gradients that met U at the step run after `step` (its dG, or dG of the recurrent product).
  auto later_grads = [&](int64_t step) -> const float* {
    if (step == T - 1) return nullptr;
    return (separate_rec ? dg_rec : dg) + position(step + 1, s) * kH;
  };
  // rec = dG_t[:, blocks] U[:, blocks]^T (+ beta rec), GRU reset-before's GEMMs: B(p, j) = U[j, p].
  auto reset_before_product = [&](int64_t first_block, int64_t n_blocks, float beta) {
    gemm(B, H, n_blocks * H, c.dg + first_block * H, c.ld_dg, 1, U + first_block * H, 1, kH, rec, H, 1.0f, beta,
         device);
  };
  for (int64_t step = T - 1; step >= 0; --step) {
    const int64_t t = position(step, s);
    c.saved = a.workspace + layout.gates + t * blocks * H;
    c.h_in = a.workspace + layout.h_in + t * H, c.a_in = a.workspace + layout.a_in + t * H;
    c.c_in = lstm ? a.workspace + layout.c_in + t * H : nullptr;
    c.dy = a.dy + t * H;
    c.mask = a.mask ? a.mask + t : nullptr;
    c.dg = dg + t * kH, c.dg_rec = separate_rec ? dg_rec + t * kH : nullptr;
    switch (s.cell) {
      case RnnCell::Lstm: launch_fused_backward<LstmBackward>(c, later_grads(step), U, device, "lstm_backward on cuda"); break;
      case RnnCell::GruResetAfter:
        launch_fused_backward<GruBackward>(c, later_grads(step), U, device, "gru_backward on cuda");
        break;
      case RnnCell::Simple:
        launch_fused_backward<SimpleBackward>(c, later_grads(step), U, device, "simple_rnn_backward on cuda");
        break;
      case RnnCell::GruResetBefore:  // dr needs dG_h U_h^T; then [dz, dr] U_zr^T is added on
        c.rec = step == T - 1 ? nullptr : rec;
        launch_units<WithStoredRec<GruBackwardUpdate>>(c, device, "gru_backward on cuda");
        reset_before_product(2, 1, 0.0f);
        launch_units<GruBackwardReset>(c, device, "gru_backward on cuda");
        reset_before_product(0, 2, 1.0f);
        break;
    }
  }

  if (a.dh0) {  // what reached the initial state: the direct part plus the first step's recurrent product
    c.dh0 = a.dh0;
    if (s.cell == RnnCell::GruResetBefore) {
      c.rec = rec;
      launch_units<WithStoredRec<FinalStateGrad>>(c, device, "rnn initial state gradient on cuda");
    } else {
      launch_fused_backward<FinalStateGrad>(c, (separate_rec ? dg_rec : dg) + position(0, s) * kH, U, device,
                                            "rnn initial state gradient on cuda");
    }
  }
  if (lstm && a.dc0) copy_device_to_device(a.dc0, dc, static_cast<size_t>(B * H) * sizeof(float), device);
  weight_gradients(a, dg, dg_rec, device);
}

}  // namespace ironnet::cuda
