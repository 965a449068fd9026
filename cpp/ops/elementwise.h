// Elementwise entry points on Tensors: validate once, dispatch to the CPU or CUDA kernel.
#pragma once
#include "ironnet/tensor.h"

namespace ironnet::ops {

// y += alpha * x in place; x and y float32, same shape and device, y contiguous.
void axpy_(Tensor& y, const Tensor& x, float alpha);

}  // namespace ironnet::ops
