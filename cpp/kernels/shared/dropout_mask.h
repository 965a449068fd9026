// The dropout mask as a pure function of (seed, element index), shared by the CPU kernel
// (cpp/kernels/cpu/dropout.cpp) and the CUDA kernel (cuda/dropout.cu): a seed gives the identical
// mask on every device and for any thread count or launch shape.
#pragma once
#include <cstdint>

#include "kernels/shared/host_device.h"

namespace ironnet::dropout_mask {

// SplitMix64's finalizer over (seed, index): a well-mixed 64-bit value per element, no state.
IRONNET_HOST_DEVICE inline uint64_t mix(uint64_t seed, uint64_t index) {
  uint64_t z = seed + (index + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// An element is kept when the top 32 bits of its hash, read as a fraction of 2^32, are >= rate.
inline uint64_t threshold(float rate) { return static_cast<uint64_t>(static_cast<double>(rate) * 4294967296.0); }

IRONNET_HOST_DEVICE inline bool keep(uint64_t seed, uint64_t index, uint64_t threshold) {
  return (mix(seed, index) >> 32) >= threshold;
}

// What a kept element is multiplied by.
inline float keep_scale(float rate) { return 1.0f / (1.0f - rate); }

}  // namespace ironnet::dropout_mask
