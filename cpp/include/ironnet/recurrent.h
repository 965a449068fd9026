// Fused recurrent sequences (LSTM, GRU, simple RNN) on the CPU, callable from C++.
//
// Forward: the input projection of all steps is one GEMM (x (B*T, I) @ kernel + bias); each step is
// one recurrent GEMM (h_{t-1} @ recurrent_kernel, packed once) plus one pointwise kernel for the
// gates and the state update, which saves what backward needs when training. Backward through time
// is fused the same way, and the weight gradients are large GEMMs over all steps at the end.
//
// Layouts are Keras's: kernel (I, k*H), recurrent_kernel (H, k*H), gates in blocks of H columns,
// LSTM i, f, c, o (k = 4), GRU z, r, h (k = 3), simple RNN k = 1. Batch-major sequences (B, T, .).
#pragma once
#include <cstdint>

namespace ironnet::cpu {

enum class RnnCell { Lstm, GruResetAfter, GruResetBefore, Simple };
// The activation of candidates and outputs (Keras `activation`) ...
enum class RnnActivation { Tanh, Relu, Sigmoid, Linear };
// ... and of the gates (Keras `recurrent_activation`; hard sigmoid is Keras 3's relu6(x + 3) / 6).
enum class RnnGateActivation { Sigmoid, HardSigmoid };

struct RnnShape {
  RnnCell cell = RnnCell::Lstm;
  int64_t batch = 0, steps = 0, input = 0, units = 0;
  RnnActivation activation = RnnActivation::Tanh;
  RnnGateActivation gate_activation = RnnGateActivation::Sigmoid;
  bool reverse = false;               // steps run t = T-1 ... 0; outputs stay aligned with inputs
  bool has_recurrent_mask = false;    // h_{t-1} is multiplied by a (B, H) mask before the GEMM
};

// Gate blocks of the kernels (k): 4, 3 or 1.
int64_t rnn_gate_count(RnnCell cell);
// Floats of the training workspace that forward fills and backward reads (see recurrent_layout.h).
int64_t rnn_workspace_floats(const RnnShape& s);

struct RnnForwardArgs {
  RnnShape shape;
  const float* x = nullptr;                 // (B, T, I)
  const float* kernel = nullptr;            // (I, kH)
  const float* recurrent_kernel = nullptr;  // (H, kH)
  const float* bias = nullptr;              // (kH,) added to the input projection, or null
  const float* recurrent_bias = nullptr;    // (kH,) added to h @ recurrent_kernel (GRU reset_after), or null
  const float* h0 = nullptr;                // (B, H), null = zeros
  const float* c0 = nullptr;                // (B, H) LSTM only, null = zeros
  const int32_t* mask = nullptr;            // (B, T), 0 = padded step (state carried, y = 0), or null
  const float* recurrent_mask = nullptr;    // (B, H) when shape.has_recurrent_mask
  float* y = nullptr;                       // (B, T, H) out
  float* h_last = nullptr;                  // (B, H) out
  float* c_last = nullptr;                  // (B, H) out, LSTM only
  float* workspace = nullptr;               // rnn_workspace_floats floats when training, null for inference
};

// Runs the whole sequence with `num_threads` threads (<= 0: get_num_threads()). Arguments are trusted.
void rnn_forward(const RnnForwardArgs& args, int num_threads = 0);

struct RnnBackwardArgs {
  RnnShape shape;
  const float* x = nullptr;                 // as in forward
  const float* kernel = nullptr;
  const float* recurrent_kernel = nullptr;
  const int32_t* mask = nullptr;
  const float* recurrent_mask = nullptr;
  const float* workspace = nullptr;         // what the training forward saved
  const float* dy = nullptr;                // (B, T, H)
  const float* dh_last = nullptr;           // (B, H) or null = zeros
  const float* dc_last = nullptr;           // (B, H) or null = zeros (LSTM)
  // Outputs, each written (not accumulated) when not null.
  float* dx = nullptr;                      // (B, T, I)
  float* dkernel = nullptr;                 // (I, kH)
  float* drecurrent_kernel = nullptr;       // (H, kH)
  float* dbias = nullptr;                   // (kH,)
  float* drecurrent_bias = nullptr;         // (kH,) GRU reset_after
  float* dh0 = nullptr;                     // (B, H)
  float* dc0 = nullptr;                     // (B, H) LSTM
};

void rnn_backward(const RnnBackwardArgs& args, int num_threads = 0);

}  // namespace ironnet::cpu
