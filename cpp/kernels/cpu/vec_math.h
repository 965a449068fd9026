// Float math written as plain arithmetic so `omp simd` loops vectorize it (libm's expf is a call
// the compiler cannot vectorize without -ffast-math, which we do not use). Accurate to a few ulps.
#pragma once
#include <cstdint>
#include <cstring>

namespace ironnet::cpu {

// exp(x) for x <= 0 (every exp an activation needs: of -|x|, x - rowmax, -x^2/2, a log-probability).
// Range reduction x = n ln2 + r, |r| <= ln2/2, with ln2 split in two (Cody-Waite) so r is exact to
// float precision; exp(r) by its Taylor series to r^7 (truncation < 6e-9 relative, below an ulp);
// then the exponent field gets n. Measured against double over [-110, 0]: at most 1.7 ulp. For
// x < -87 the result flushes to 0 (exp(-87) = 1.6e-38): an absolute error under 1.7e-38.
inline float exp_nonpositive(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;           // 9 significant bits: n * kLn2Hi is exact
  constexpr float kLn2Lo = -2.12194440054690583e-4f;  // ln 2 - kLn2Hi
  constexpr float kRound = 12582912.0f;             // 1.5 * 2^23: adding it rounds to an integer
  constexpr float kMin = -87.0f;                    // exp(kMin) is still a normal float
  const float xc = x < kMin ? kMin : x;
  const float shifted = xc * kLog2e + kRound;
  const float n = shifted - kRound;                 // round(x / ln 2), in [-126, 0]
  const float r = (xc - n * kLn2Hi) - n * kLn2Lo;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int32_t shifted_bits;
  std::memcpy(&shifted_bits, &shifted, sizeof shifted_bits);
  int32_t round_bits;
  std::memcpy(&round_bits, &kRound, sizeof round_bits);
  const int32_t scale_bits = (shifted_bits - round_bits + 127) << 23;  // 2^n
  float scale;
  std::memcpy(&scale, &scale_bits, sizeof scale);
  return x < kMin ? 0.0f : p * scale;
}

// exp(x) - 1 for x <= 0 without the cancellation of exp(x) - 1 near 0: below -0.5 the subtraction
// loses at most a bit (exp(-0.5) = 0.61); from -0.5 to 0 a Taylor series to x^9 (truncation under
// 3e-10 relative to the result there).
inline float expm1_nonpositive(float x) {
  float p = 1.0f / 362880.0f;
  p = p * x + 1.0f / 40320.0f;
  p = p * x + 1.0f / 5040.0f;
  p = p * x + 1.0f / 720.0f;
  p = p * x + 1.0f / 120.0f;
  p = p * x + 1.0f / 24.0f;
  p = p * x + 1.0f / 6.0f;
  p = p * x + 0.5f;
  p = p * x + 1.0f;
  const float series = p * x;
  const float shifted = exp_nonpositive(x) - 1.0f;
  return x < -0.5f ? shifted : series;
}

}  // namespace ironnet::cpu
