// The fused recurrent sequence ops (LSTM, GRU, simple RNN): validate once, allocate, run the CPU
// kernels of ironnet/recurrent.h or their CUDA twins (ironnet/cuda/recurrent.h) on the operands'
// device; operands on different devices get a ValueError naming the op and each operand's device.
#pragma once
#include <string>

#include "ironnet/tensor.h"

namespace ironnet::ops {

// What the Python functional ops pass through. cell: "lstm", "gru" or "simple_rnn" (also the op
// name in error messages); activation: "tanh", "relu", "sigmoid" or "linear"; recurrent_activation:
// "sigmoid" or "hard_sigmoid" (ignored by simple_rnn).
struct RecurrentConfig {
  std::string cell = "lstm";
  bool reverse = false;
  bool reset_after = true;  // GRU only
  std::string activation = "tanh";
  std::string recurrent_activation = "sigmoid";
};

// Operands (float32 tensors on one device; the optional ones null when absent):
//   x (B, T, I), kernel (I, kH), recurrent_kernel (H, kH),
//   bias (kH,) -- GRU with reset_after: (2, kH), row 0 input bias, row 1 recurrent bias --
//   h0, c0 (B, H) (c0 LSTM only), mask (B, T) int32 (0 = padded step), recurrent_mask (B, H).
struct RecurrentInputs {
  Tensor x, kernel, recurrent_kernel;
  const Tensor* bias = nullptr;
  const Tensor* h0 = nullptr;
  const Tensor* c0 = nullptr;
  const Tensor* mask = nullptr;
  const Tensor* recurrent_mask = nullptr;
};

struct RecurrentOutputs {
  Tensor y;          // (B, T, H)
  Tensor h_last;     // (B, H)
  Tensor c_last;     // (B, H), LSTM only
  Tensor workspace;  // what backward needs; undefined unless `training`
};

RecurrentOutputs recurrent_forward(const RecurrentInputs& in, const RecurrentConfig& config, bool training);

struct RecurrentGrads {
  Tensor dx, dkernel, drecurrent_kernel, dbias, dh0, dc0;  // undefined where not asked for
};

// dy (B, T, H); dh_last, dc_last (B, H) or null (zero). `in` and `config` as in the forward that made
// `workspace`. Computes only the gradients asked for in `need` (x, kernel, recurrent_kernel, bias, h0, c0).
RecurrentGrads recurrent_backward(const RecurrentInputs& in, const RecurrentConfig& config, const Tensor& workspace,
                                  const Tensor& dy, const Tensor* dh_last, const Tensor* dc_last,
                                  const bool need[6]);

}  // namespace ironnet::ops
