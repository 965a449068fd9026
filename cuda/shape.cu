// Strided block copies for the shape ops. concatenate issues one copy per input: a 2-D copy (rows of
// the input's contiguous bytes into the output's wider rows) that the copy engines run without a
// kernel; concatenations join a handful of tensors, so one call each costs less than marshalling a
// device array of pointers for a single fused kernel.
#include "common.cuh"
#include "ironnet/cuda/shape.h"

namespace ironnet::cuda {

void copy_rows(void* dst, int64_t dst_pitch, const void* src, int64_t src_pitch, int64_t row_bytes, int64_t rows,
               int device) {
  if (rows == 0 || row_bytes == 0) return;
  DeviceGuard guard(device);
  int max_pitch = 0;
  check(cudaDeviceGetAttribute(&max_pitch, cudaDevAttrMaxPitch, device), "concatenate on cuda (cudaDeviceGetAttribute)");
  if (dst_pitch <= max_pitch && src_pitch <= max_pitch) {
    check(cudaMemcpy2DAsync(dst, static_cast<size_t>(dst_pitch), src, static_cast<size_t>(src_pitch),
                            static_cast<size_t>(row_bytes), static_cast<size_t>(rows), cudaMemcpyDeviceToDevice,
                            stream(device)),
          "concatenate on cuda (cudaMemcpy2DAsync)");
    return;
  }
  // Rows beyond the 2-D copy's pitch limit (~2 GiB): few of them fit in memory, one copy each.
  for (int64_t r = 0; r < rows; ++r)
    check(cudaMemcpyAsync(static_cast<char*>(dst) + r * dst_pitch, static_cast<const char*>(src) + r * src_pitch,
                          static_cast<size_t>(row_bytes), cudaMemcpyDeviceToDevice, stream(device)),
          "concatenate on cuda (cudaMemcpyAsync)");
}

}  // namespace ironnet::cuda
