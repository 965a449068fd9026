// Fused recurrent sequences (LSTM, GRU both forms, simple RNN) on the GPU: cuda/recurrent_forward.cu
// and cuda/recurrent_backward.cu. Declarations only: no CUDA headers here.
//
// The arguments are the CPU kernels' (ironnet/recurrent.h), with every pointer in device memory of
// `device`, and the same semantics (masks, reverse, recurrent mask, h0/c0, activations). The training
// workspace has the CPU's layout too (kernels/cpu/recurrent_layout.h: saved gate blocks, h_in, a_in,
// c_in, rh, each (B, T, .) by input position), so its size check in the op entry is shared.
// The launchers never allocate: the op entry passes `scratch` of the size given below.
#pragma once
#include <cstdint>

#include "ironnet/recurrent.h"

namespace ironnet::cuda {

// Floats of forward scratch: the input projection xw (B, T, kH), GRU reset-before's per-step
// recurrent products (B, kH) and, for inference (no workspace), two slots per state (h, h * recurrent
// mask, c) and GRU reset-before's r * h (B, H).
int64_t rnn_forward_scratch_floats(const cpu::RnnShape& s, bool training);

// The whole sequence, queued on the device's stream. args.workspace null = inference.
void rnn_forward(const cpu::RnnForwardArgs& args, float* scratch, int device);

// Floats of backward scratch: the gate gradients of every step dG (B, T, kH) (twice for GRU
// reset_after: dG of the input projection and of the recurrent product), the carried dL/dh and dL/dc
// (B, H) each, and GRU reset-before's per-step recurrent product dG_t U^T (B, H).
int64_t rnn_backward_scratch_floats(const cpu::RnnShape& s);

// Backward through time and the weight gradients; every output pointer not null is written.
void rnn_backward(const cpu::RnnBackwardArgs& args, float* scratch, int device);

}  // namespace ironnet::cuda
