#include "ops/recurrent.h"

#include "ironnet/cuda/recurrent.h"
#include "ironnet/errors.h"
#include "ironnet/recurrent.h"
#include "ops/device.h"

namespace ironnet::ops {
namespace {

void check_tensor(const std::string& op, const char* name, const Tensor& t, int64_t rank, DType dtype) {
  if (t.dtype() != dtype)
    fail<TypeError>(op, ": ", name, " must be ", dtype_name(dtype), ", got ", dtype_name(t.dtype()), " ",
                    shape_str(t.shape()));
  if (t.dim() != rank) fail<ValueError>(op, ": ", name, " must be ", rank, "-D, got ", shape_str(t.shape()));
}

void check_shape(const std::string& op, const char* name, const Tensor& t, const Shape& want, const char* meaning) {
  if (t.shape() != want)
    fail<ValueError>(op, ": ", name, " ", shape_str(t.shape()), " must be ", shape_str(want), " (", meaning, ")");
}

cpu::RnnActivation parse_activation(const std::string& op, const std::string& name) {
  if (name == "tanh") return cpu::RnnActivation::Tanh;
  if (name == "relu") return cpu::RnnActivation::Relu;
  if (name == "sigmoid") return cpu::RnnActivation::Sigmoid;
  if (name == "linear") return cpu::RnnActivation::Linear;
  fail<ValueError>(op, ": activation must be 'tanh', 'relu', 'sigmoid' or 'linear', got '", name, "'");
}

cpu::RnnGateActivation parse_gate_activation(const std::string& op, const std::string& name) {
  if (name == "sigmoid") return cpu::RnnGateActivation::Sigmoid;
  if (name == "hard_sigmoid") return cpu::RnnGateActivation::HardSigmoid;
  fail<ValueError>(op, ": recurrent_activation must be 'sigmoid' or 'hard_sigmoid', got '", name, "'");
}

// Checks every operand against x and the kernels; returns the kernels' view of the problem.
cpu::RnnShape check_inputs(const RecurrentInputs& in, const RecurrentConfig& config) {
  const std::string& op = config.cell;
  cpu::RnnShape s;
  if (op == "lstm")
    s.cell = cpu::RnnCell::Lstm;
  else if (op == "gru")
    s.cell = config.reset_after ? cpu::RnnCell::GruResetAfter : cpu::RnnCell::GruResetBefore;
  else if (op == "simple_rnn")
    s.cell = cpu::RnnCell::Simple;
  else
    fail<ValueError>("recurrent: cell must be 'lstm', 'gru' or 'simple_rnn', got '", op, "'");
  s.activation = parse_activation(op, config.activation);
  s.gate_activation = parse_gate_activation(op, config.recurrent_activation);
  s.reverse = config.reverse;

  check_tensor(op, "x", in.x, 3, DType::Float32);
  check_tensor(op, "kernel", in.kernel, 2, DType::Float32);
  check_tensor(op, "recurrent_kernel", in.recurrent_kernel, 2, DType::Float32);
  const int64_t k = cpu::rnn_gate_count(s.cell);
  s.batch = in.x.size(0), s.steps = in.x.size(1), s.input = in.x.size(2);
  s.units = in.recurrent_kernel.size(0);
  const int64_t H = s.units;
  if (H < 1 || in.recurrent_kernel.size(1) != k * H)
    fail<ValueError>(op, ": recurrent_kernel ", shape_str(in.recurrent_kernel.shape()), " must be (units, ", k,
                     " * units) with units >= 1");
  if (in.kernel.size(0) != s.input || in.kernel.size(1) != k * H)
    fail<ValueError>(op, ": kernel ", shape_str(in.kernel.shape()), " must be (", s.input, ", ", k * H,
                     ") for x ", shape_str(in.x.shape()), " and recurrent_kernel ",
                     shape_str(in.recurrent_kernel.shape()));
  if (in.bias) {
    check_tensor(op, "bias", *in.bias, in.bias->dim(), DType::Float32);  // its rank is part of its shape below
    if (s.cell == cpu::RnnCell::GruResetAfter)
      check_shape(op, "bias", *in.bias, {2, k * H}, "reset_after=True: rows of input and recurrent biases");
    else
      check_shape(op, "bias", *in.bias, {k * H}, s.cell == cpu::RnnCell::GruResetBefore ? "reset_after=False: one input bias per gate unit" : "one bias per gate unit");
  }
  const Shape state{s.batch, H};
  if (in.h0) {
    check_tensor(op, "h0", *in.h0, 2, DType::Float32);
    check_shape(op, "h0", *in.h0, state, "batch, units");
  }
  if (in.c0) {
    if (s.cell != cpu::RnnCell::Lstm) fail<ValueError>(op, ": c0 is only for lstm");
    check_tensor(op, "c0", *in.c0, 2, DType::Float32);
    check_shape(op, "c0", *in.c0, state, "batch, units");
  }
  if (in.mask) {
    check_tensor(op, "mask", *in.mask, 2, DType::Int32);
    check_shape(op, "mask", *in.mask, {s.batch, s.steps}, "batch, steps of x");
  }
  if (in.recurrent_mask) {
    check_tensor(op, "recurrent_mask", *in.recurrent_mask, 2, DType::Float32);
    check_shape(op, "recurrent_mask", *in.recurrent_mask, state, "batch, units");
    s.has_recurrent_mask = true;
  }
  return s;
}

// The device every operand shares (ValueError naming each one's shape and device when they differ);
// backward adds its own operands.
Device operands_device(const std::string& op, const RecurrentInputs& in, const Tensor* workspace = nullptr,
                       const Tensor* dy = nullptr, const Tensor* dh_last = nullptr, const Tensor* dc_last = nullptr) {
  return common_device(op.c_str(), {{"x", &in.x},
                                    {"kernel", &in.kernel},
                                    {"recurrent_kernel", &in.recurrent_kernel},
                                    {"bias", in.bias},
                                    {"h0", in.h0},
                                    {"c0", in.c0},
                                    {"mask", in.mask},
                                    {"recurrent_mask", in.recurrent_mask},
                                    {"workspace", workspace},
                                    {"dy", dy},
                                    {"dh_last", dh_last},
                                    {"dc_last", dc_last}});
}

// Scratch for the CUDA launchers (the CPU kernels keep theirs per thread). Released when the op
// returns, with its kernels possibly still queued: safe, because memory is freed (or handed back to
// the cache) in the order of the device's one stream.
Tensor cuda_scratch(int64_t floats, Device device) { return Tensor::empty({floats}, DType::Float32, device); }

float* ptr(const Tensor& t) { return t.defined() ? t.data<float>() : nullptr; }

// Contiguous copies (or the tensors themselves) of the operands, kept alive while the kernels run.
struct Dense {
  Tensor x, kernel, recurrent_kernel, bias, h0, c0, mask, recurrent_mask;
  explicit Dense(const RecurrentInputs& in)
      : x(in.x.contiguous()), kernel(in.kernel.contiguous()), recurrent_kernel(in.recurrent_kernel.contiguous()) {
    if (in.bias) bias = in.bias->contiguous();
    if (in.h0) h0 = in.h0->contiguous();
    if (in.c0) c0 = in.c0->contiguous();
    if (in.mask) mask = in.mask->contiguous();
    if (in.recurrent_mask) recurrent_mask = in.recurrent_mask->contiguous();
  }
  const int32_t* mask_data() const { return mask.defined() ? mask.data<int32_t>() : nullptr; }
};

}  // namespace

RecurrentOutputs recurrent_forward(const RecurrentInputs& in, const RecurrentConfig& config, bool training) {
  const cpu::RnnShape s = check_inputs(in, config);
  const Device device = operands_device(config.cell, in);
  const Dense d(in);
  RecurrentOutputs out;
  out.y = Tensor::empty({s.batch, s.steps, s.units}, DType::Float32, device);
  out.h_last = Tensor::empty({s.batch, s.units}, DType::Float32, device);
  if (s.cell == cpu::RnnCell::Lstm) out.c_last = Tensor::empty({s.batch, s.units}, DType::Float32, device);
  if (training) out.workspace = Tensor::empty({cpu::rnn_workspace_floats(s)}, DType::Float32, device);

  cpu::RnnForwardArgs a;
  a.shape = s;
  a.x = d.x.data<float>(), a.kernel = d.kernel.data<float>(), a.recurrent_kernel = d.recurrent_kernel.data<float>();
  const int64_t kH = cpu::rnn_gate_count(s.cell) * s.units;
  a.bias = ptr(d.bias);
  if (s.cell == cpu::RnnCell::GruResetAfter && a.bias) a.recurrent_bias = a.bias + kH;  // row 1
  a.h0 = ptr(d.h0), a.c0 = ptr(d.c0);
  a.mask = d.mask_data(), a.recurrent_mask = ptr(d.recurrent_mask);
  a.y = out.y.data<float>(), a.h_last = out.h_last.data<float>(), a.c_last = ptr(out.c_last);
  a.workspace = ptr(out.workspace);
  if (device.is_cpu()) {
    cpu::rnn_forward(a);
  } else if constexpr (kCudaBuilt) {
    const Tensor scratch = cuda_scratch(cuda::rnn_forward_scratch_floats(s, training), device);
    cuda::rnn_forward(a, scratch.data<float>(), device.index);
  }
  return out;
}

RecurrentGrads recurrent_backward(const RecurrentInputs& in, const RecurrentConfig& config, const Tensor& workspace,
                                  const Tensor& dy_in, const Tensor* dh_last, const Tensor* dc_last,
                                  const bool need[6]) {
  const std::string op = config.cell + "_backward";
  const cpu::RnnShape s = check_inputs(in, config);
  const Device device = operands_device(op, in, &workspace, &dy_in, dh_last, dc_last);
  const Dense d(in);
  check_tensor(op, "workspace", workspace, 1, DType::Float32);
  if (workspace.size(0) != cpu::rnn_workspace_floats(s))
    fail<ValueError>(op, ": workspace has ", workspace.size(0), " floats but this sequence needs ",
                     cpu::rnn_workspace_floats(s), " (not made by the matching training forward?)");
  check_tensor(op, "dy", dy_in, 3, DType::Float32);
  check_shape(op, "dy", dy_in, {s.batch, s.steps, s.units}, "batch, steps, units");
  const Tensor dy = dy_in.contiguous(), ws = workspace.contiguous();
  Tensor dh = dh_last ? dh_last->contiguous() : Tensor(), dc = dc_last ? dc_last->contiguous() : Tensor();
  for (const Tensor* t : {&dh, &dc})
    if (t->defined()) {
      check_tensor(op, "dh_last/dc_last", *t, 2, DType::Float32);
      check_shape(op, "dh_last/dc_last", *t, {s.batch, s.units}, "batch, units");
    }

  auto grad_like = [&](bool wanted, const Tensor& t) {
    return wanted ? Tensor::empty(t.shape(), DType::Float32, device) : Tensor();
  };
  const bool lstm = s.cell == cpu::RnnCell::Lstm;
  RecurrentGrads g;
  g.dx = grad_like(need[0], d.x);
  g.dkernel = grad_like(need[1], d.kernel);
  g.drecurrent_kernel = grad_like(need[2], d.recurrent_kernel);
  g.dbias = grad_like(need[3] && d.bias.defined(), d.bias);
  g.dh0 = need[4] ? Tensor::empty({s.batch, s.units}, DType::Float32, device) : Tensor();
  g.dc0 = need[5] && lstm ? Tensor::empty({s.batch, s.units}, DType::Float32, device) : Tensor();

  cpu::RnnBackwardArgs a;
  a.shape = s;
  a.x = d.x.data<float>(), a.kernel = d.kernel.data<float>(), a.recurrent_kernel = d.recurrent_kernel.data<float>();
  a.mask = d.mask_data(), a.recurrent_mask = ptr(d.recurrent_mask);
  a.workspace = ws.data<float>();
  a.dy = dy.data<float>(), a.dh_last = ptr(dh), a.dc_last = lstm ? ptr(dc) : nullptr;
  a.dx = ptr(g.dx), a.dkernel = ptr(g.dkernel), a.drecurrent_kernel = ptr(g.drecurrent_kernel);
  a.dbias = ptr(g.dbias);
  if (s.cell == cpu::RnnCell::GruResetAfter && a.dbias) a.drecurrent_bias = a.dbias + cpu::rnn_gate_count(s.cell) * s.units;
  a.dh0 = ptr(g.dh0), a.dc0 = ptr(g.dc0);
  if (device.is_cpu()) {
    cpu::rnn_backward(a);
  } else if constexpr (kCudaBuilt) {
    const Tensor scratch = cuda_scratch(cuda::rnn_backward_scratch_floats(s), device);
    cuda::rnn_backward(a, scratch.data<float>(), device.index);
  }
  return g;
}

}  // namespace ironnet::ops
