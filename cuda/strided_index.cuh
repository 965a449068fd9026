// Flat row-major indices over a shape turned into element offsets of strided operands: the indexer
// behind broadcasting binary ops (two operands, stride 0 on a stretched dimension) and reductions
// (the kept and the reduced index spaces of one input). Shapes arrive coalesced by the op entry
// (size-1 dimensions dropped, mergeable neighbours merged), so the rank is small in practice.
#pragma once
#include <cstdint>

#include "common.cuh"

namespace ironnet::cuda {

constexpr int kMaxDims = 8;

// Passed to kernels by value (N = 2: 8 + 8 * 8 * 3 bytes).
template <int N>
struct StridedIndex {
  int rank = 0;
  int64_t size[kMaxDims] = {};
  int64_t stride[N][kMaxDims] = {};

  // The offsets of element `flat` (row-major over size[0..rank)) in each of the N operands. The
  // outermost dimension needs no modulo: flat < the product of the sizes. Index is uint32_t when that
  // product is below 2^32 (the GPU's 32-bit division costs a fraction of the emulated 64-bit one),
  // int64_t otherwise (see fits_uint32); offsets are int64 either way.
  template <class Index>
  __device__ void offsets(Index flat, int64_t (&offset)[N]) const {
    for (int k = 0; k < N; ++k) offset[k] = 0;
    for (int d = rank - 1; d > 0; --d) {
      const auto extent = static_cast<Index>(size[d]);
      const auto i = static_cast<int64_t>(flat % extent);
      flat /= extent;
      for (int k = 0; k < N; ++k) offset[k] += i * stride[k][d];
    }
    if (rank > 0)
      for (int k = 0; k < N; ++k) offset[k] += static_cast<int64_t>(flat) * stride[k][0];
  }
};

// Whether flat indices below n fit the 32-bit index path of StridedIndex::offsets.
inline bool fits_uint32(int64_t n) { return n <= static_cast<int64_t>(UINT32_MAX); }

// Host side: the index over `sizes` (rank >= 0) with each operand's strides. ValueError naming `op`
// beyond kMaxDims dimensions (after coalescing, which leaves at most the tensor's own rank).
template <int N>
StridedIndex<N> make_strided_index(const char* op, int rank, const int64_t* sizes, const int64_t* const (&strides)[N]) {
  if (rank > kMaxDims)
    fail<ValueError>(op, ": at most ", kMaxDims, " dimensions are supported on cuda after merging contiguous ones, got ",
                     rank);
  StridedIndex<N> index;
  index.rank = rank;
  for (int d = 0; d < rank; ++d) {
    index.size[d] = sizes[d];
    for (int k = 0; k < N; ++k) index.stride[k][d] = strides[k][d];
  }
  return index;
}

}  // namespace ironnet::cuda
