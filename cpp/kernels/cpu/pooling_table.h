// The pooling kernels of one ISA as a table of function pointers (one table per ISA translation
// unit; ironnet/pooling.h's functions pick one by the active ISA, like the activations).
#pragma once
#include <cstdint>

#include "ironnet/pooling.h"

namespace ironnet::cpu::pooling_detail {

struct PoolingTable {
  void (*max_forward)(const Pool2dGeometry&, const float*, float*, int32_t*, int);
  void (*max_backward)(const Pool2dGeometry&, const float*, const int32_t*, float*, int);
  void (*avg_forward)(const Pool2dGeometry&, const float*, float*, int);
  void (*avg_backward)(const Pool2dGeometry&, const float*, float*, int);
};

const PoolingTable& portable_table();
#if defined(IRONNET_HAVE_X86_KERNELS)
const PoolingTable& avx2_table();    // pooling_avx2.cpp: -mavx2 -mfma
const PoolingTable& avx512_table();  // pooling_avx512.cpp: -mavx512f ...
#endif

}  // namespace ironnet::cpu::pooling_detail
