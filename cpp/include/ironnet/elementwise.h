// Elementwise CPU kernels, callable from any C++ code. Arguments are trusted (op entry points check).
#pragma once
#include <cstdint>

namespace ironnet::cpu {

// y[i] += alpha * x[i] for i < n (contiguous float32). The autograd engine accumulates gradients
// with it; optimizers and layers reuse it.
void axpy(int64_t n, float alpha, const float* x, float* y, int num_threads = 0);

}  // namespace ironnet::cpu
