// Shape ops that copy: concatenate. (Views — reshape, expand, narrow — are Tensor methods.)
#pragma once
#include <vector>

#include "ironnet/tensor.h"

namespace ironnet::ops {

// The tensors joined along `axis` (negative counts from the end) into a fresh contiguous tensor.
// All need the same rank, dtype and device, and equal sizes except along `axis`.
Tensor concatenate(const std::vector<Tensor>& tensors, int64_t axis);

}  // namespace ironnet::ops
