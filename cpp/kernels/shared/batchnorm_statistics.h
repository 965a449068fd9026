// One channel's batch-norm training statistics from its shifted sums, shared by the CPU kernel
// (cpp/kernels/cpu/batchnorm_kernels.h) and the CUDA kernel (cuda/batchnorm.cu), so both devices
// compute the mean, inv_std, affine coefficients and moving-statistics update with the same formulas.
#pragma once
#include <cmath>
#include <cstdint>

#include "kernels/shared/host_device.h"

namespace ironnet::batchnorm_statistics {

// s1 = sum(x - pivot) and s2 = sum((x - pivot)^2) over the channel's n values (pivot: one of them, so
// the shifted sums keep their precision for a large mean). Writes channel c of mean, inv_std, the
// forward's y = (x - pivot) * scale + offset coefficients, and updates the moving statistics as
// Keras does (keep = momentum, take = 1 - momentum, both float32). gamma/beta may be null.
IRONNET_HOST_DEVICE inline void finish_channel(int64_t c, double s1, double s2, double n, float pivot, float eps,
                                               const float* gamma, const float* beta, float keep, float take,
                                               float* mean, float* inv_std, float* scale, float* offset,
                                               float* moving_mean, float* moving_var) {
  const double shifted_mean = s1 / n;
  const double raw_var = s2 / n - shifted_mean * shifted_mean;
  const double var = raw_var < 0.0 ? 0.0 : raw_var;  // rounding can make it slightly negative; NaN stays NaN
  const double inv = 1.0 / sqrt(var + static_cast<double>(eps));
  mean[c] = static_cast<float>(pivot + shifted_mean);
  inv_std[c] = static_cast<float>(inv);
  const double k = inv * (gamma ? gamma[c] : 1.0f);
  scale[c] = static_cast<float>(k);
  // y = (x - pivot) k + (beta - (mean - pivot) k): x - pivot is exact for x near the pivot, where
  // x - mean would carry mean's float32 rounding (an ulp of a large mean) into every output.
  offset[c] = static_cast<float>((beta ? beta[c] : 0.0f) - shifted_mean * k);
  moving_mean[c] = moving_mean[c] * keep + mean[c] * take;
  moving_var[c] = moving_var[c] * keep + static_cast<float>(var) * take;
}

}  // namespace ironnet::batchnorm_statistics
