// Strided copies on the GPU (cuda/copy.cu). Declarations only: no CUDA headers here.
#pragma once
#include <cstddef>
#include <cstdint>

namespace ironnet::cuda {

// The most dimensions a strided copy handles after merging the dimensions that are contiguous in both
// source and destination (any view of up to this many dimensions qualifies).
constexpr int kMaxCopyDims = 8;

// dst[idx . dst_strides] = src[idx . src_strides] for every index idx of `shape` (rank dimensions,
// strides in elements, non-negative), itemsize 4 or 8 bytes, both views in device memory. The
// destination must not repeat an element (no stride 0 where the size is > 1): threads would race.
// ValueError when the views do not fit kMaxCopyDims or the item size is not supported.
// Queued on the device's stream.
void strided_copy(void* dst, const int64_t* dst_strides, const void* src, const int64_t* src_strides,
                  const int64_t* shape, int rank, size_t itemsize, int device);

}  // namespace ironnet::cuda
