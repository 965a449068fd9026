// GEMM and matmul entry points on Tensors: validate once, allocate the output, pick the device.
#pragma once
#include <memory>

#include "ironnet/gemm.h"
#include "ironnet/tensor.h"

namespace ironnet::ops {

// c = alpha * op(a) @ op(b) + beta * c with op(x) = x or x^T; a, b: float32 2-D, any strides.
// When `c` is null a new (m, n) tensor is returned (beta must then be 0); otherwise c is written in
// place (its rows must be contiguous and it must not overlap a or b) and returned.
Tensor gemm(const Tensor& a, const Tensor& b, const Tensor* c, bool trans_a, bool trans_b, float alpha,
            float beta);

// a @ b for 2-D and batched 3-D float32 tensors: (M,K)@(K,N), (B,M,K)@(B,K,N), with a batch of 1 or
// a 2-D operand broadcast against the other's batch.
Tensor matmul(const Tensor& a, const Tensor& b);

// B (or B^T) packed once on the active ISA for many products; a float32 2-D CPU tensor.
std::shared_ptr<cpu::PackedB> pack_b(const Tensor& b, bool trans_b);

// gemm with a prepacked B: c = alpha * op(a) @ B + beta * c, with the checks of gemm above.
Tensor gemm(const Tensor& a, const cpu::PackedB& b, const Tensor* c, bool trans_a, float alpha, float beta);

}  // namespace ironnet::ops
