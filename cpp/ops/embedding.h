// Embedding entry points on Tensors: checks once, then the gather / scatter-add kernels of the
// tensors' device (CPU or CUDA; ids and table, or ids and dy, on one device).
#pragma once
#include <cstdint>

#include "ironnet/tensor.h"

namespace ironnet::ops {

// table rows picked by ids.   ids: (...) int32 or int64, each in [0, V)   table: (V, D) float32
// -> (..., D) float32. An id outside [0, V) is a ValueError naming the id, its position and the
// table's shape.
Tensor embedding(const Tensor& ids, const Tensor& table);

// The table's gradient: zeros (vocab, D) with dy's rows added at their ids (repeated ids accumulate).
// ids: (...) as in forward   dy: (..., D)
Tensor embedding_backward(const Tensor& ids, const Tensor& dy, int64_t vocab);

}  // namespace ironnet::ops
