// Float math written as plain arithmetic so `omp simd` loops vectorize it (libm's expf is a call
// the compiler cannot vectorize without -ffast-math, which we do not use). Accurate to a few ulps.
#pragma once
#include <cstdint>
#include <cstring>

namespace ironnet::cpu {
// Unnamed: every ISA's translation unit gets its own copy, compiled with its own flags (an inline
// function with external linkage would let the linker keep one, maybe AVX-512 code on an AVX2 CPU).
namespace {

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

// The standard normal CDF Phi(x) and density phi(x) together (GELU needs both), vectorizable.
// With z = |x| / sqrt(2):
//  - z < 0.5: Phi = 0.5 + 0.5 erf(x / sqrt 2), erf by its Taylor series in z^2 to z^17 (Phi >= 0.3
//    there, so no cancellation);
//  - z >= 0.5: erfc(z) = exp(-z^2) g(z), with g(z) = erfc(z) exp(z^2) a degree-12 polynomial in
//    u = 1 / (1 + z), least-squares fitted (relative error, Chebyshev nodes, z in [0.5, 10]) for this
//    file: 2e-9 in double, 3e-7 evaluated in float. Phi = 0.5 erfc for x < 0 (relative accuracy in
//    the left tail, where GELU lives), 1 - 0.5 erfc for x > 0.
// exp(-z^2) = exp(-x^2/2) is exp(-xh^2/2) exp(-xl (x + xh)/2) with xh = |x| cut to 12 significant
// bits, so xh^2 is exact: neither x / sqrt(2) nor x^2 (up to 196 here) is rounded before exp, whose
// argument's rounding would otherwise become a relative error of up to 1e-5.
inline void normal_cdf_pdf(float x, float& cdf, float& pdf) {
  constexpr float kInvSqrt2 = 0.70710678118654752440f;
  constexpr float kInvSqrt2Pi = 0.39894228040143267794f;
  // |x| <= 14 keeps z <= 9.9 inside the fit; exp(-98) flushes to 0 anyway.
  const float a = x < -14.0f ? 14.0f : (x < 0.0f ? -x : (x > 14.0f ? 14.0f : x));
  const float s = x * kInvSqrt2;
  const float z = a * kInvSqrt2;
  int32_t bits;
  std::memcpy(&bits, &a, sizeof bits);
  bits &= ~0xfff;
  float ah;
  std::memcpy(&ah, &bits, sizeof ah);
  const float al = a - ah;
  const float gauss = exp_nonpositive(-0.5f * ah * ah) * exp_nonpositive(-0.5f * al * (a + ah));  // exp(-x^2/2)

  const float w = s * s;
  float e = 1.6462114e-06f;
  e = e * w - 1.4925650e-05f;
  e = e * w + 1.2055333e-04f;
  e = e * w - 8.5483270e-04f;
  e = e * w + 5.2239778e-03f;
  e = e * w - 2.6866172e-02f;
  e = e * w + 1.1283792e-01f;
  e = e * w - 3.7612638e-01f;
  e = e * w + 1.1283792e+00f;
  const float cdf_small = 0.5f + 0.5f * (s * e);

  const float u = 1.0f / (1.0f + z);
  float g = -0.87889022f;
  g = g * u + 6.0129924f;
  g = g * u - 17.479548f;
  g = g * u + 28.534189f;
  g = g * u - 28.435650f;
  g = g * u + 17.009508f;
  g = g * u - 5.1422033f;
  g = g * u + 0.40661681f;
  g = g * u - 0.45343429f;
  g = g * u + 0.30009818f;
  g = g * u + 0.56296098f;
  g = g * u + 0.56423855f;
  g = g * u - 8.6217283e-07f;
  const float half_erfc = 0.5f * gauss * g;
  const float cdf_large = x < 0.0f ? half_erfc : 1.0f - half_erfc;

  cdf = z < 0.5f ? cdf_small : cdf_large;
  pdf = kInvSqrt2Pi * gauss;
}

}  // namespace
}  // namespace ironnet::cpu
