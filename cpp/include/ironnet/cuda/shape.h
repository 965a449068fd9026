// Shape-op launchers on the GPU (cuda/shape.cu). Declarations only: no CUDA headers here.
#pragma once
#include <cstdint>

namespace ironnet::cuda {

// Copies `rows` rows of row_bytes bytes each from src (rows src_pitch bytes apart) into dst (rows
// dst_pitch bytes apart), device memory on `device`, queued on its stream. concatenate writes each
// input as such a block: its rows are the input's slices before the axis, landing at the input's
// column offset in the output's rows.
void copy_rows(void* dst, int64_t dst_pitch, const void* src, int64_t src_pitch, int64_t row_bytes, int64_t rows,
               int device);

}  // namespace ironnet::cuda
