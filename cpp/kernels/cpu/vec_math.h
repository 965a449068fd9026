// Float math written as plain arithmetic so `omp simd` loops vectorize it (libm's expf is a call
// the compiler cannot vectorize without -ffast-math, which we do not use). Accurate to a few ulps.
#pragma once
#include <cstdint>
#include <cstring>

namespace ironnet::cpu {
// Unnamed: every ISA's translation unit gets its own copy, compiled with its own flags (an inline
// function with external linkage would let the linker keep one, maybe AVX-512 code on an AVX2 CPU).
namespace {

// exp(x) in float32 within ~2 ulp, written so `omp simd` loops vectorize it (the clamps vectorize only with
// -fno-trapping-math, set for the files that include this header in CMakeLists.txt): exp(x) = 2^k exp(r), k = round(x / ln 2), r = x - k ln 2 in [-ln2/2, ln2/2] (ln 2 split in two
// so k ln 2 is exact), exp(r) by its degree-7 Taylor polynomial (truncation < 1e-8 on that interval),
// 2^k built in the exponent bits. Below -87.3 (where 2^k would leave the normal range) it returns 0;
// above 88.3 it saturates at ~2^127 (softmax only ever passes x <= 0); NaN stays NaN.
inline float fast_exp(float x) {
  float xc = x > -87.3f ? x : -87.3f;
  xc = xc < 88.3f ? xc : 88.3f;
  // Round to nearest by adding and removing 1.5 * 2^23 (SSE2 has no vector floor; without -ffast-math
  // the compiler keeps the two operations).
  const float k = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (xc - k * 0.693145751953125f) - k * 1.42860682030941723e-6f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(k) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  const float y = x >= -87.3f ? p * scale : 0.0f;
  return x == x ? y : x;  // NaN in, NaN out (the clamps above sent it to -87.3 so k stays finite)
}

// log(x) in float32 within ~2 ulp for positive normal x, vectorizable like fast_exp:
// x = 2^e m with m in [sqrt(1/2), sqrt(2)), log(m) = 2 atanh(s) = 2 (s + s^3/3 + ... + s^9/9),
// s = (m - 1) / (m + 1), |s| < 0.172 (truncation < 1e-9). NaN stays NaN.
inline float fast_log(float x) {
  int32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  const int32_t mant_bits = (bits & 0x007fffff) | 0x3f800000;  // m in [1, 2)
  float m;
  std::memcpy(&m, &mant_bits, sizeof m);
  const bool big = m > 1.41421356f;
  m = big ? 0.5f * m : m;
  const float e = static_cast<float>(((bits >> 23) & 0xff) - 127) + (big ? 1.0f : 0.0f);
  const float s = (m - 1.0f) / (m + 1.0f);
  const float s2 = s * s;
  float poly = 2.0f / 9.0f;
  poly = poly * s2 + 2.0f / 7.0f;
  poly = poly * s2 + 2.0f / 5.0f;
  poly = poly * s2 + 2.0f / 3.0f;
  poly = poly * s2 + 2.0f;
  const float y = e * 0.693145751953125f + (s * poly + e * 1.42860682030941723e-6f);
  return x == x ? y : x;
}

// Keras's clip in float32, NaN passing through.
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
  const float shifted = fast_exp(x) - 1.0f;
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
  const float gauss = fast_exp(-0.5f * ah * ah) * fast_exp(-0.5f * al * (a + ah));  // exp(-x^2/2)

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
