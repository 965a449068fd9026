// Elementwise entry points on Tensors: validate once, dispatch to the CPU or CUDA kernel.
#pragma once
#include "ironnet/elementwise.h"
#include "ironnet/tensor.h"

namespace ironnet::ops {

// y += alpha * x in place; x and y float32, same shape and device, y contiguous.
void axpy_(Tensor& y, const Tensor& x, float alpha);

// out = a (op) b with NumPy broadcasting (shapes aligned at the right; a size-1 or missing
// dimension stretches). a, b: float32 on the same device, any strides; out: fresh, contiguous.
Tensor binary(cpu::BinaryOp op, const Tensor& a, const Tensor& b);

// The broadcast of two shapes; ValueError naming `op` and both shapes when they do not broadcast.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);

}  // namespace ironnet::ops
