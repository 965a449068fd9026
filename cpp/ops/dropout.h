// Dropout entry point on Tensors.
#pragma once
#include <cstdint>

#include "ironnet/tensor.h"

namespace ironnet::ops {

// A new tensor: x with each element zeroed with probability `rate` and the rest scaled by
// 1 / (1 - rate); the same (rate, seed) on the output gradient gives the input gradient.
Tensor dropout(const Tensor& x, float rate, uint64_t seed);

}  // namespace ironnet::ops
