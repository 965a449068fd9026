// Pointwise recurrent-cell kernel bodies, included once per ISA (recurrent_cells_{portable,avx2,
// avx512}.cpp), each compiled with its own flags. Every kernel walks batch rows and, within a row,
// the slice's units in `omp simd` loops; activations run in place over whole blocks with the choice
// of function made outside the loop, so each loop vectorizes. Derivatives are taken from the
// activated values (tanh' = 1 - y^2, sigmoid' = y (1 - y), ...), which is all backward saves.
// The AVX-512 build adds its own tanh/sigmoid and one-pass rows for the hottest cases (LSTM and GRU
// with Keras's default activations).
// Everything here has internal linkage; only make_table() hands the functions out.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "kernels/cpu/recurrent_cells_table.h"
#include "kernels/cpu/vec_math.h"

namespace ironnet::cpu::rnn_detail {
namespace {

// --- activations over a block, in place ---------------------------------------------------------
//
// tanh and sigmoid dominate the pointwise kernels (five per LSTM unit against ~1000 FMAs of GEMM), so
// the AVX-512 build has its own: exp by 2^k 2^f with vscalefps doing the 2^k (no clamps: it saturates
// to 0 and inf itself), and 1 / (1 + e) by a 14-bit reciprocal refined by one Newton step (~2^-28,
// no division). Elsewhere the same formulas in plain `omp simd` loops with fast_exp and a division.

#if defined(__AVX512F__)
// exp(a) for a <= 0 (NaN stays NaN): 2^f for f = t - round(t) in [-1/2, 1/2], t = a log2(e), by its
// degree-6 Taylor polynomial in f ln 2 (truncation 1.2e-7 relative), scaled by 2^round(t).
inline __m512 exp_nonpositive(__m512 a) {
  const __m512 t = _mm512_mul_ps(a, _mm512_set1_ps(1.44269504088896341f));
  const __m512 k = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 f = _mm512_sub_ps(t, k);
  __m512 p = _mm512_set1_ps(1.5403530393381608e-4f);
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.3333558146428443e-3f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.6181291076284772e-3f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.5504108664821580e-2f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.4022650695910071e-1f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.9314718055994531e-1f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, k);
}

// 1 / d for d in [1, 2]: rcp14 then one Newton step r (2 - d r).
inline __m512 reciprocal_1_2(__m512 d) {
  const __m512 r = _mm512_rcp14_ps(d);
  return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
}

template <class Op>
void for_each_vector(float* v, int64_t n, Op op) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(v + i, op(_mm512_loadu_ps(v + i)));
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(v + i, m, op(_mm512_maskz_loadu_ps(m, v + i)));
  }
}

inline __m512 tanh16(__m512 x) {
  const __m512 sign = _mm512_set1_ps(-0.0f), one = _mm512_set1_ps(1.0f);
  const __m512 e = exp_nonpositive(_mm512_mul_ps(_mm512_set1_ps(-2.0f), _mm512_andnot_ps(sign, x)));
  const __m512 t = _mm512_mul_ps(_mm512_sub_ps(one, e), reciprocal_1_2(_mm512_add_ps(one, e)));
  return _mm512_or_ps(t, _mm512_and_ps(x, sign));  // tanh(|x|) with x's sign
}

inline __m512 sigmoid16(__m512 x) {
  const __m512 e = exp_nonpositive(_mm512_or_ps(x, _mm512_set1_ps(-0.0f)));  // exp(-|x|)
  const __m512 s = reciprocal_1_2(_mm512_add_ps(_mm512_set1_ps(1.0f), e));     // sigmoid(|x|)
  const __mmask16 negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  return _mm512_mask_mul_ps(s, negative, e, s);  // sigmoid(-|x|) = e sigmoid(|x|)
}

void tanh_block(float* v, int64_t n) {
  for_each_vector(v, n, [](__m512 x) { return tanh16(x); });
}

// sigmoid' = y (1 - y) and tanh' = 1 - y^2 from the activated y, as scale_by_derivative.
inline __m512 sigmoid_grad16(__m512 y) { return _mm512_mul_ps(y, _mm512_sub_ps(_mm512_set1_ps(1.0f), y)); }
inline __m512 tanh_grad16(__m512 y) { return _mm512_fnmadd_ps(y, y, _mm512_set1_ps(1.0f)); }

// The one-pass rows (lstm_row_fused and the like) cover Keras's default activations only.
bool has_one_pass_row(RnnActivation act, RnnGateActivation gate_act) {
  return act == RnnActivation::Tanh && gate_act == RnnGateActivation::Sigmoid;
}

// One vector of a row's units for the one-pass rows: units [j, j + 16) masked to the row's nu.
struct UnitVector {
  int64_t j;
  __mmask16 m;
  __m512 load(const float* p) const { return _mm512_maskz_loadu_ps(m, p + j); }
  void store(float* p, __m512 v) const { _mm512_mask_storeu_ps(p + j, m, v); }
  // For values read only much later (the saved gates, read by backward after the whole forward):
  // a streaming store skips reading the line into cache first. Whole aligned vectors only.
  void store_for_later(float* p, __m512 v) const {
    if (m == 0xFFFF && (reinterpret_cast<uintptr_t>(p + j) & 63) == 0)
      _mm512_stream_ps(p + j, v);
    else
      store(p, v);
  }
};

// Calls body(UnitVector) for each 16 of nu units, the last masked.
template <class Body>
void for_each_unit_vector(int64_t nu, Body body) {
  for (int64_t j = 0; j < nu; j += 16)
    body(UnitVector{j, nu - j >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (nu - j)) - 1)});
}
void sigmoid_block(float* v, int64_t n) {
  for_each_vector(v, n, [](__m512 x) { return sigmoid16(x); });
}
#else
void tanh_block(float* v, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const float e = fast_exp(-2.0f * std::fabs(v[i]));  // in (0, 1]: no overflow
    const float t = (1.0f - e) / (1.0f + e);
    v[i] = v[i] < 0.0f ? -t : t;
  }
}

void sigmoid_block(float* v, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const float e = fast_exp(-std::fabs(v[i]));
    const float s = 1.0f / (1.0f + e);
    v[i] = v[i] >= 0.0f ? s : e * s;
  }
}
#endif

void activate(RnnActivation act, float* v, int64_t n) {
  switch (act) {
    case RnnActivation::Tanh: tanh_block(v, n); break;
    case RnnActivation::Relu:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) v[i] = v[i] > 0.0f ? v[i] : 0.0f;
      break;
    case RnnActivation::Sigmoid: sigmoid_block(v, n); break;
    case RnnActivation::Linear: break;
  }
}

void activate_gate(RnnGateActivation act, float* v, int64_t n) {
  if (act == RnnGateActivation::Sigmoid) {
    activate(RnnActivation::Sigmoid, v, n);
    return;
  }
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {  // relu6(x + 3) / 6
    const float s = (v[i] + 3.0f) * (1.0f / 6.0f);
    v[i] = s < 0.0f ? 0.0f : (s > 1.0f ? 1.0f : s);
  }
}

// g[i] *= f'(x_i), f' written in terms of y = f(x).
void scale_by_derivative(RnnActivation act, const float* y, float* g, int64_t n) {
  switch (act) {
    case RnnActivation::Tanh:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) g[i] *= 1.0f - y[i] * y[i];
      break;
    case RnnActivation::Relu:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) g[i] = y[i] > 0.0f ? g[i] : 0.0f;
      break;
    case RnnActivation::Sigmoid:
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) g[i] *= y[i] * (1.0f - y[i]);
      break;
    case RnnActivation::Linear: break;
  }
}

void scale_by_gate_derivative(RnnGateActivation act, const float* y, float* g, int64_t n) {
  if (act == RnnGateActivation::Sigmoid) {
    scale_by_derivative(RnnActivation::Sigmoid, y, g, n);
    return;
  }
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) g[i] = (y[i] > 0.0f && y[i] < 1.0f) ? g[i] * (1.0f / 6.0f) : 0.0f;
}

// --- helpers -----------------------------------------------------------------------------------

void add_into(float* v, const float* a, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) v[i] += a[i];
}

void copy(float* dst, const float* src, int64_t n) { std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float)); }
void zero(float* dst, int64_t n) { std::memset(dst, 0, static_cast<size_t>(n) * sizeof(float)); }

bool is_padded(const int32_t* mask, int64_t ld_mask, int64_t b) { return mask && mask[b * ld_mask] == 0; }

// Adds the input projection and the biases there are to gate blocks [g0, g1) of row b. (The biases
// are added here, from L1, rather than broadcast into the whole projection before its GEMM: that
// would be one more pass over B * T * kH floats in memory.)
void add_inputs(const ForwardStep& s, float* gates, const float* xw, int g0, int g1) {
  const int64_t nu = s.u1 - s.u0;
  for (int g = g0; g < g1; ++g) {
    const int64_t col = g * s.units + s.u0;
    float* v = gates + g * nu;
    const float* x = xw + col;
    if (s.bias && s.recurrent_bias) {
      const float *b = s.bias + col, *rb = s.recurrent_bias + col;
#pragma omp simd
      for (int64_t j = 0; j < nu; ++j) v[j] += x[j] + b[j] + rb[j];
    } else if (s.bias) {
      const float* b = s.bias + col;
#pragma omp simd
      for (int64_t j = 0; j < nu; ++j) v[j] += x[j] + b[j];
    } else {
      add_into(v, x, nu);
    }
  }
}

// A padded step: the state passes through unchanged, y is 0, and nothing is saved that backward reads.
void carry_state(const ForwardStep& s, int64_t b, int saved_count) {
  const int64_t nu = s.u1 - s.u0, u0 = s.u0;
  copy(s.h_out + b * s.ld_out + u0, s.h_in + b * s.ld_in + u0, nu);
  if (s.a_out) copy(s.a_out + b * s.ld_out + u0, s.a_in + b * s.ld_in + u0, nu);
  if (s.c_out) copy(s.c_out + b * s.ld_out + u0, s.c_in + b * s.ld_in + u0, nu);
  zero(s.y + b * s.ld_y + u0, nu);
  if (s.saved)
    for (int g = 0; g < saved_count; ++g) zero(s.saved + b * s.ld_saved + g * s.units + u0, nu);
}

// Writes h_t (already in h_out) to y and, under a recurrent mask, h_t * mask to a_out; saves blocks.
void finish_row(const ForwardStep& s, int64_t b, const float* gates, int saved_count) {
  const int64_t nu = s.u1 - s.u0, u0 = s.u0;
  const float* h = s.h_out + b * s.ld_out + u0;
  copy(s.y + b * s.ld_y + u0, h, nu);
  if (s.a_out) {
    const float* m = s.recurrent_mask + b * s.units + u0;
    float* a = s.a_out + b * s.ld_out + u0;
#pragma omp simd
    for (int64_t j = 0; j < nu; ++j) a[j] = h[j] * m[j];
  }
  if (s.saved)
    for (int g = 0; g < saved_count; ++g) copy(s.saved + b * s.ld_saved + g * s.units + u0, gates + g * nu, nu);
}

// --- forward -----------------------------------------------------------------------------------

#if defined(__AVX512F__)
// Row b of lstm_forward for tanh / sigmoid (Keras's defaults) in one pass over the units: the gates,
// the state update and every store with the values still in registers (the general version makes
// about ten passes over the row's blocks). Returns false for other activations.
bool lstm_row_fused(const ForwardStep& s, int64_t b) {
  if (!has_one_pass_row(s.act, s.gate_act)) return false;
  const int64_t nu = s.u1 - s.u0, u0 = s.u0, H = s.units;
  const float* g = s.gates + b * s.ld_gates;
  const float* xw = s.xw + b * s.ld_xw + u0;
  const float* c_prev = s.c_in + b * s.ld_in + u0;
  float *c_out = s.c_out + b * s.ld_out + u0, *h_out = s.h_out + b * s.ld_out + u0, *y = s.y + b * s.ld_y + u0;
  float* a_out = s.a_out ? s.a_out + b * s.ld_out + u0 : nullptr;
  const float* rm = s.a_out ? s.recurrent_mask + b * H + u0 : nullptr;
  float* saved = s.saved ? s.saved + b * s.ld_saved + u0 : nullptr;
  for_each_unit_vector(nu, [&](const UnitVector& v) {
    __m512 pre[4];
    for (int q = 0; q < 4; ++q) {
      pre[q] = _mm512_add_ps(v.load(g + q * nu), v.load(xw + q * H));
      if (s.bias) pre[q] = _mm512_add_ps(pre[q], v.load(s.bias + q * H + u0));
    }
    const __m512 i = sigmoid16(pre[0]), f = sigmoid16(pre[1]), cc = tanh16(pre[2]), o = sigmoid16(pre[3]);
    const __m512 c = _mm512_fmadd_ps(f, v.load(c_prev), _mm512_mul_ps(i, cc));
    const __m512 ac = tanh16(c);
    const __m512 h = _mm512_mul_ps(o, ac);
    v.store(c_out, c);
    v.store(h_out, h);
    v.store(y, h);
    if (a_out) v.store(a_out, _mm512_mul_ps(h, v.load(rm)));
    if (saved) {
      const __m512 blocks[5] = {i, f, cc, o, ac};
      for (int q = 0; q < 5; ++q) v.store_for_later(saved + q * H, blocks[q]);
    }
  });
  return true;
}

// Row b of gru_forward (reset_after) for tanh / sigmoid in one pass over the units, as lstm_row_fused
// (the general version makes about eight passes over the row's blocks). Returns false for other
// activations.
bool gru_row_fused(const ForwardStep& s, int64_t b) {
  if (!has_one_pass_row(s.act, s.gate_act)) return false;
  const int64_t nu = s.u1 - s.u0, u0 = s.u0, H = s.units;
  const float* g = s.gates + b * s.ld_gates;
  const float* xw = s.xw + b * s.ld_xw + u0;
  const float* h_prev = s.h_in + b * s.ld_in + u0;
  const float* bias = s.bias ? s.bias + u0 : nullptr;
  const float* rbias = s.recurrent_bias ? s.recurrent_bias + u0 : nullptr;
  float *h_out = s.h_out + b * s.ld_out + u0, *y = s.y + b * s.ld_y + u0;
  float* a_out = s.a_out ? s.a_out + b * s.ld_out + u0 : nullptr;
  const float* rm = s.a_out ? s.recurrent_mask + b * H + u0 : nullptr;
  float* saved = s.saved ? s.saved + b * s.ld_saved + u0 : nullptr;
  for_each_unit_vector(nu, [&](const UnitVector& v) {
    // Gate q's input part x W_q + b_q + rb_q, summed in add_inputs' order.
    auto input = [&](int q) {
      __m512 x = v.load(xw + q * H);
      if (bias) x = _mm512_add_ps(x, v.load(bias + q * H));
      if (bias && rbias) x = _mm512_add_ps(x, v.load(rbias + q * H));
      return x;
    };
    const __m512 z = sigmoid16(_mm512_add_ps(v.load(g), input(0)));
    const __m512 r = sigmoid16(_mm512_add_ps(v.load(g + nu), input(1)));
    __m512 rec = v.load(g + 2 * nu);  // h U_h + rb_h
    if (rbias) rec = _mm512_add_ps(rec, v.load(rbias + 2 * H));
    __m512 pre = _mm512_fmadd_ps(r, rec, v.load(xw + 2 * H));
    if (bias) pre = _mm512_add_ps(pre, v.load(bias + 2 * H));
    const __m512 hh = tanh16(pre);
    const __m512 h = _mm512_fmadd_ps(z, v.load(h_prev), _mm512_mul_ps(_mm512_sub_ps(_mm512_set1_ps(1.0f), z), hh));
    v.store(h_out, h);
    v.store(y, h);
    if (a_out) v.store(a_out, _mm512_mul_ps(h, v.load(rm)));
    if (saved) {
      const __m512 blocks[4] = {z, r, hh, rec};
      for (int q = 0; q < 4; ++q) v.store_for_later(saved + q * H, blocks[q]);
    }
  });
  return true;
}

// Streaming stores are weakly ordered: fence them before the step's barrier lets another thread (the
// backward's) read what they wrote.
void publish_streamed() { _mm_sfence(); }
#else
bool lstm_row_fused(const ForwardStep&, int64_t) { return false; }
bool gru_row_fused(const ForwardStep&, int64_t) { return false; }
void publish_streamed() {}
#endif

void lstm_forward(const ForwardStep& s) {
  const int64_t nu = s.u1 - s.u0, u0 = s.u0;
  for (int64_t b = 0; b < s.batch; ++b) {
    if (is_padded(s.mask, s.ld_mask, b)) {
      carry_state(s, b, 5);
      continue;
    }
    if (lstm_row_fused(s, b)) continue;
    float* g = s.gates + b * s.ld_gates;
    add_inputs(s, g, s.xw + b * s.ld_xw, 0, 4);
    activate_gate(s.gate_act, g, 2 * nu);  // i, f
    activate(s.act, g + 2 * nu, nu);      // c~
    activate_gate(s.gate_act, g + 3 * nu, nu);  // o
    const float *i = g, *f = g + nu, *cc = g + 2 * nu;
    const float* c_prev = s.c_in + b * s.ld_in + u0;
    float* c = s.c_out + b * s.ld_out + u0;
    float* ac = g + 4 * nu;
#pragma omp simd
    for (int64_t j = 0; j < nu; ++j) {
      c[j] = f[j] * c_prev[j] + i[j] * cc[j];
      ac[j] = c[j];
    }
    activate(s.act, ac, nu);
    const float* o = g + 3 * nu;
    float* h = s.h_out + b * s.ld_out + u0;
#pragma omp simd
    for (int64_t j = 0; j < nu; ++j) h[j] = o[j] * ac[j];
    finish_row(s, b, g, 5);
  }
  publish_streamed();
}

// h_t = z h_{t-1} + (1 - z) h~ for row b, h~ in block 2 of g.
void gru_combine(const ForwardStep& s, int64_t b, const float* g) {
  const int64_t nu = s.u1 - s.u0, u0 = s.u0;
  const float *z = g, *hh = g + 2 * nu, *h_prev = s.h_in + b * s.ld_in + u0;
  float* h = s.h_out + b * s.ld_out + u0;
#pragma omp simd
  for (int64_t j = 0; j < nu; ++j) h[j] = z[j] * h_prev[j] + (1.0f - z[j]) * hh[j];
}

void gru_forward(const ForwardStep& s) {
  const int64_t nu = s.u1 - s.u0, u0 = s.u0, H = s.units;
  for (int64_t b = 0; b < s.batch; ++b) {
    if (is_padded(s.mask, s.ld_mask, b)) {
      carry_state(s, b, 4);
      continue;
    }
    if (gru_row_fused(s, b)) continue;
    float* g = s.gates + b * s.ld_gates;
    const float* xw = s.xw + b * s.ld_xw;
    add_inputs(s, g, xw, 0, 2);
    activate_gate(s.gate_act, g, 2 * nu);
    // Block 3 keeps h U_h + rb_h (backward's dr); block 2 becomes h~ = act(x W_h + b_h + r * that).
    float *hh = g + 2 * nu, *rec = g + 3 * nu;
    const float *r = g + nu, *xh = xw + 2 * H + u0;
    copy(rec, hh, nu);
    if (s.recurrent_bias) add_into(rec, s.recurrent_bias + 2 * H + u0, nu);
#pragma omp simd
    for (int64_t j = 0; j < nu; ++j) hh[j] = xh[j] + r[j] * rec[j];
    if (s.bias) add_into(hh, s.bias + 2 * H + u0, nu);
    activate(s.act, hh, nu);
    gru_combine(s, b, g);
    finish_row(s, b, g, 4);
  }
  publish_streamed();
}

void gru_reset_gates(const ForwardStep& s) {
  const int64_t nu = s.u1 - s.u0, u0 = s.u0;
  for (int64_t b = 0; b < s.batch; ++b) {
    float* rh = s.rh + b * s.ld_rh + u0;
    if (is_padded(s.mask, s.ld_mask, b)) {
      zero(rh, nu);  // finite zeros: the candidate GEMM and dW_h read this row
      continue;
    }
    float* g = s.gates + b * s.ld_gates;
    add_inputs(s, g, s.xw + b * s.ld_xw, 0, 2);
    activate_gate(s.gate_act, g, 2 * nu);
    const float *r = g + nu, *a = s.a_in + b * s.ld_in + u0;
#pragma omp simd
    for (int64_t j = 0; j < nu; ++j) rh[j] = r[j] * a[j];
  }
}

void gru_update(const ForwardStep& s) {
  const int64_t nu = s.u1 - s.u0;
  for (int64_t b = 0; b < s.batch; ++b) {
    if (is_padded(s.mask, s.ld_mask, b)) {
      carry_state(s, b, 3);
      continue;
    }
    float* g = s.gates + b * s.ld_gates;
    add_inputs(s, g, s.xw + b * s.ld_xw, 2, 3);
    activate(s.act, g + 2 * nu, nu);
    gru_combine(s, b, g);
    finish_row(s, b, g, 3);
  }
}

void simple_forward(const ForwardStep& s) {
  const int64_t nu = s.u1 - s.u0, u0 = s.u0;
  for (int64_t b = 0; b < s.batch; ++b) {
    if (is_padded(s.mask, s.ld_mask, b)) {
      carry_state(s, b, 1);
      continue;
    }
    float* g = s.gates + b * s.ld_gates;
    add_inputs(s, g, s.xw + b * s.ld_xw, 0, 1);
    activate(s.act, g, nu);
    copy(s.h_out + b * s.ld_out + u0, g, nu);
    finish_row(s, b, g, 1);
  }
}

// --- backward ----------------------------------------------------------------------------------

// dh (row b, units of the slice) += dy: the total gradient reaching h_t. Returns false (and zeroes
// the step's gate gradients) on a padded step, whose state passed through with its gradient.
bool begin_row(const BackwardStep& s, int64_t b, int blocks) {
  const int64_t nu = s.u1 - s.u0, u0 = s.u0;
  if (is_padded(s.mask, s.ld_mask, b)) {
    for (int g = 0; g < blocks; ++g) zero(s.dg + b * s.ld_dg + g * s.units + u0, nu);
    if (s.dg_rec) zero(s.dg_rec + b * s.ld_dg_rec + u0, nu);
    return false;
  }
  add_into(s.dh + b * s.units + u0, s.dy + b * s.ld_y + u0, nu);
  return true;
}

#if defined(__AVX512F__)
// Row b of lstm_backward for tanh / sigmoid in one pass over the units, dh += dy included (the general
// version makes about seven). Returns false for other activations and for a padded step.
bool lstm_backward_row_fused(const BackwardStep& s, int64_t b) {
  if (!has_one_pass_row(s.act, s.gate_act) || is_padded(s.mask, s.ld_mask, b)) return false;
  const int64_t nu = s.u1 - s.u0, u0 = s.u0, H = s.units;
  const float* sv = s.saved + b * s.ld_saved + u0;
  const float *c_prev = s.c_in + b * s.ld_in + u0, *dy = s.dy + b * s.ld_y + u0;
  float *dh_row = s.dh + b * H + u0, *dc_row = s.dc + b * H + u0;
  float* dg = s.dg + b * s.ld_dg + u0;
  for_each_unit_vector(nu, [&](const UnitVector& v) {
    const __m512 i = v.load(sv), f = v.load(sv + H), cc = v.load(sv + 2 * H), o = v.load(sv + 3 * H);
    const __m512 ac = v.load(sv + 4 * H);
    const __m512 dh = _mm512_add_ps(v.load(dh_row), v.load(dy));
    const __m512 dct = _mm512_add_ps(v.load(dc_row), _mm512_mul_ps(_mm512_mul_ps(dh, o), tanh_grad16(ac)));
    v.store(dg, _mm512_mul_ps(_mm512_mul_ps(dct, cc), sigmoid_grad16(i)));
    v.store(dg + H, _mm512_mul_ps(_mm512_mul_ps(dct, v.load(c_prev)), sigmoid_grad16(f)));
    v.store(dg + 2 * H, _mm512_mul_ps(_mm512_mul_ps(dct, i), tanh_grad16(cc)));
    v.store(dg + 3 * H, _mm512_mul_ps(_mm512_mul_ps(dh, ac), sigmoid_grad16(o)));
    v.store(dc_row, _mm512_mul_ps(dct, f));
    v.store(dh_row, _mm512_setzero_ps());  // all of h_{t-1}'s gradient comes through the recurrent GEMM
  });
  return true;
}
#else
bool lstm_backward_row_fused(const BackwardStep&, int64_t) { return false; }
#endif

void lstm_backward(const BackwardStep& s) {
  const int64_t nu = s.u1 - s.u0, u0 = s.u0, H = s.units;
  for (int64_t b = 0; b < s.batch; ++b) {
    if (lstm_backward_row_fused(s, b)) continue;
    if (!begin_row(s, b, 4)) continue;
    const float* sv = s.saved + b * s.ld_saved + u0;
    const float *i = sv, *f = sv + H, *cc = sv + 2 * H, *o = sv + 3 * H, *ac = sv + 4 * H;
    const float* c_prev = s.c_in + b * s.ld_in + u0;
    float *dh = s.dh + b * H + u0, *dc = s.dc + b * H + u0;
    float* dg = s.dg + b * s.ld_dg + u0;
    float *di = dg, *df = dg + H, *dcc = dg + 2 * H, *dout = dg + 3 * H;
    // dc~'s slot first holds dL/d act(c_t), scaled into dL/dc_t through act'.
#pragma omp simd
    for (int64_t j = 0; j < nu; ++j) dcc[j] = dh[j] * o[j];
    scale_by_derivative(s.act, ac, dcc, nu);
#pragma omp simd
    for (int64_t j = 0; j < nu; ++j) {
      const float dct = dc[j] + dcc[j];
      dout[j] = dh[j] * ac[j];
      di[j] = dct * cc[j];
      df[j] = dct * c_prev[j];
      dcc[j] = dct * i[j];
      dc[j] = dct * f[j];
      dh[j] = 0.0f;  // all of h_{t-1}'s gradient comes through the recurrent GEMM
    }
    scale_by_gate_derivative(s.gate_act, i, di, nu);
    scale_by_gate_derivative(s.gate_act, f, df, nu);
    scale_by_derivative(s.act, cc, dcc, nu);
    scale_by_gate_derivative(s.gate_act, o, dout, nu);
  }
}

// dz and dh~ of h_t = z h_{t-1} + (1 - z) h~ through their activations; dh becomes the direct part z dh.
void gru_backward_common(const BackwardStep& s, int64_t b) {
  const int64_t nu = s.u1 - s.u0, u0 = s.u0, H = s.units;
  const float* sv = s.saved + b * s.ld_saved + u0;
  const float *z = sv, *hh = sv + 2 * H, *h_prev = s.h_in + b * s.ld_in + u0;
  float* dh = s.dh + b * H + u0;
  float* dg = s.dg + b * s.ld_dg + u0;
  float *dz = dg, *dhh = dg + 2 * H;
#pragma omp simd
  for (int64_t j = 0; j < nu; ++j) {
    dz[j] = dh[j] * (h_prev[j] - hh[j]);
    dhh[j] = dh[j] * (1.0f - z[j]);
    dh[j] *= z[j];
  }
  scale_by_gate_derivative(s.gate_act, z, dz, nu);
  scale_by_derivative(s.act, hh, dhh, nu);
}

#if defined(__AVX512F__)
// Row b of gru_backward for tanh / sigmoid in one pass over the units, dh += dy included (the general
// version makes about ten). Returns false for other activations and for a padded step.
bool gru_backward_row_fused(const BackwardStep& s, int64_t b) {
  if (!has_one_pass_row(s.act, s.gate_act) || is_padded(s.mask, s.ld_mask, b)) return false;
  const int64_t nu = s.u1 - s.u0, u0 = s.u0, H = s.units;
  const float* sv = s.saved + b * s.ld_saved + u0;
  const float *h_prev = s.h_in + b * s.ld_in + u0, *dy = s.dy + b * s.ld_y + u0;
  float* dh_row = s.dh + b * H + u0;
  float *dg = s.dg + b * s.ld_dg + u0, *dgr = s.dg_rec + b * s.ld_dg_rec + u0;
  for_each_unit_vector(nu, [&](const UnitVector& v) {
    const __m512 z = v.load(sv), r = v.load(sv + H), hh = v.load(sv + 2 * H), rec = v.load(sv + 3 * H);
    const __m512 dh = _mm512_add_ps(v.load(dh_row), v.load(dy));
    const __m512 one_minus_z = _mm512_sub_ps(_mm512_set1_ps(1.0f), z);
    const __m512 dz = _mm512_mul_ps(_mm512_mul_ps(dh, _mm512_sub_ps(v.load(h_prev), hh)), sigmoid_grad16(z));
    const __m512 dhh = _mm512_mul_ps(_mm512_mul_ps(dh, one_minus_z), tanh_grad16(hh));
    const __m512 dr = _mm512_mul_ps(_mm512_mul_ps(dhh, rec), sigmoid_grad16(r));
    v.store(dh_row, _mm512_mul_ps(dh, z));  // the direct part; the rest comes through the recurrent GEMM
    v.store(dg, dz), v.store(dg + H, dr), v.store(dg + 2 * H, dhh);
    v.store(dgr, _mm512_mul_ps(dhh, r));
  });
  return true;
}
#else
bool gru_backward_row_fused(const BackwardStep&, int64_t) { return false; }
#endif

void gru_backward(const BackwardStep& s) {
  const int64_t nu = s.u1 - s.u0, u0 = s.u0, H = s.units;
  for (int64_t b = 0; b < s.batch; ++b) {
    if (gru_backward_row_fused(s, b)) continue;
    if (!begin_row(s, b, 3)) continue;
    gru_backward_common(s, b);
    const float* sv = s.saved + b * s.ld_saved + u0;
    const float *r = sv + H, *rec = sv + 3 * H;
    float *dg = s.dg + b * s.ld_dg + u0, *dgr = s.dg_rec + b * s.ld_dg_rec + u0;
    float *dr = dg + H, *dhh = dg + 2 * H;
#pragma omp simd
    for (int64_t j = 0; j < nu; ++j) {
      dr[j] = dhh[j] * rec[j];
      dgr[j] = dhh[j] * r[j];
    }
    scale_by_gate_derivative(s.gate_act, r, dr, nu);
  }
}

void gru_backward_update(const BackwardStep& s) {
  for (int64_t b = 0; b < s.batch; ++b)
    if (begin_row(s, b, 3)) gru_backward_common(s, b);
}

void gru_backward_reset(const BackwardStep& s) {
  const int64_t nu = s.u1 - s.u0, u0 = s.u0, H = s.units;
  for (int64_t b = 0; b < s.batch; ++b) {
    if (is_padded(s.mask, s.ld_mask, b)) continue;  // begin_row zeroed dr; drh is 0 from dG_h = 0
    const float* r = s.saved + b * s.ld_saved + u0 + H;
    const float* a = s.a_in + b * s.ld_in + u0;
    float* dr = s.dg + b * s.ld_dg + u0 + H;
    float* drh = s.drh + b * s.ld_drh;
#pragma omp simd
    for (int64_t j = 0; j < nu; ++j) {
      dr[j] = drh[j] * a[j];
      drh[j] *= r[j];  // now dL/d(h * mask) through r * (h * mask)
    }
    scale_by_gate_derivative(s.gate_act, r, dr, nu);
  }
}

void simple_backward(const BackwardStep& s) {
  const int64_t nu = s.u1 - s.u0, u0 = s.u0, H = s.units;
  for (int64_t b = 0; b < s.batch; ++b) {
    if (!begin_row(s, b, 1)) continue;
    float* dh = s.dh + b * H + u0;
    float* dg = s.dg + b * s.ld_dg + u0;
    copy(dg, dh, nu);
    zero(dh, nu);
    scale_by_derivative(s.act, s.saved + b * s.ld_saved + u0, dg, nu);
  }
}

void add_recurrent_grad(int64_t batch, int64_t units, int64_t u0, int64_t u1, const float* rec, int64_t ld_rec,
                        const float* recurrent_mask, float* dh) {
  const int64_t nu = u1 - u0;
  for (int64_t b = 0; b < batch; ++b) {
    const float* r = rec + b * ld_rec;
    float* d = dh + b * units + u0;
    if (recurrent_mask) {
      const float* m = recurrent_mask + b * units + u0;
#pragma omp simd
      for (int64_t j = 0; j < nu; ++j) d[j] += r[j] * m[j];
    } else {
      add_into(d, r, nu);
    }
  }
}

void add_column_sums(const float* m, int64_t ld, int64_t rows, int64_t n, double* sums) {
  // Bands of columns whose running sums stay in registers / L1 while the rows stream past.
  constexpr int64_t kBand = 64;
  for (int64_t j0 = 0; j0 < n; j0 += kBand) {
    const int64_t w = n - j0 < kBand ? n - j0 : kBand;
    double band[kBand];
    for (int64_t j = 0; j < w; ++j) band[j] = sums[j0 + j];
    for (int64_t b = 0; b < rows; ++b) {
      const float* row = m + b * ld + j0;
#pragma omp simd
      for (int64_t j = 0; j < w; ++j) band[j] += row[j];
    }
    for (int64_t j = 0; j < w; ++j) sums[j0 + j] = band[j];
  }
}

CellTable make_table() {
  return CellTable{lstm_forward,  gru_forward,   gru_reset_gates,     gru_update,         simple_forward,
                   lstm_backward, gru_backward,  gru_backward_update, gru_backward_reset, simple_backward,
                   add_recurrent_grad, add_column_sums};
}

}  // namespace
}  // namespace ironnet::cpu::rnn_detail
