// Range checks of integer indices (class labels, embedding ids) on either device, so every op raises
// the same ValueError for a bad index on the CPU and on the GPU (where a kernel cannot throw).
#pragma once
#include <cstdint>
#include <optional>

#include "ironnet/tensor.h"

namespace ironnet::ops {

struct BadIndex {
  int64_t position;  // flat position in the index tensor
  int64_t value;
};

// The first entry of `index` (contiguous, int32 or int64, any device) outside [0, limit), if any.
// On CUDA this waits for the device (the answer is copied back).
std::optional<BadIndex> first_out_of_range(const Tensor& index, int64_t limit);

}  // namespace ironnet::ops
