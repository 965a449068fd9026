// Sum reductions on Tensors: validate once, dispatch to the CPU kernel (accumulates in double).
#pragma once
#include <optional>
#include <vector>

#include "ironnet/tensor.h"

namespace ironnet::ops {

// Sum (or mean) of float32 x over `axes` (all when empty optional; negative axes count from the
// end; duplicates and out-of-range axes are ValueErrors). keepdims leaves the reduced dimensions
// as size 1. The mean of zero elements is NaN, as in NumPy.
Tensor sum(const Tensor& x, const std::optional<std::vector<int64_t>>& axes, bool keepdims);
Tensor mean(const Tensor& x, const std::optional<std::vector<int64_t>>& axes, bool keepdims);

// scale * x summed over the dimensions it was broadcast along from `shape` (the gradient of a
// broadcast operand): x.shape must be the broadcast of `shape` to some leading dimensions and
// stretched size-1 dimensions. Returns x itself when the shapes already match and scale is 1.
Tensor sum_to_shape(const Tensor& x, const Shape& shape, float scale = 1.0f);

}  // namespace ironnet::ops
