// Which device an op runs on: checked once at the op entry, then used to pick the kernel.
#pragma once
#include <initializer_list>
#include <utility>

#include "ironnet/tensor.h"

namespace ironnet::ops {

// True in builds that contain the CUDA backend. Op entries branch as
//   if (device.is_cpu()) { cpu::kernel(...); } else if constexpr (kCudaBuilt) { cuda::kernel(...); }
// In a CPU-only build the CUDA branch is a discarded statement, so the cuda:: launchers it names need
// no definition there (C++17 [basic.def.odr]); no CUDA tensor can exist in such a build anyway,
// because allocating one throws.
#ifdef IRONNET_WITH_CUDA
inline constexpr bool kCudaBuilt = true;
#else
inline constexpr bool kCudaBuilt = false;
#endif

// A tensor named as the op's error messages should call it ("x", "gamma", ...).
using NamedTensor = std::pair<const char*, const Tensor*>;

// The device every tensor given shares (null pointers and undefined tensors are skipped).
// ValueError naming the op and each tensor's shape and device when they differ, e.g.
// "conv2d: tensors are on different devices: x (8, 3, 3, 4) on cuda:0, w (3, 3, 4, 8) on cpu".
Device common_device(const char* op, std::initializer_list<NamedTensor> tensors);

}  // namespace ironnet::ops
