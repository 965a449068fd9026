// Strided copies on the GPU: Tensor.contiguous() of a transposed/narrowed/expanded CUDA view, and
// writes into a strided CUDA view, without a round trip through the host.
#include <vector>

#include "common.cuh"
#include "ironnet/cuda/copy.h"

namespace ironnet::cuda {
namespace {

// Both views' layouts, passed by value (kernel parameter space, 200 bytes).
struct CopyLayout {
  int rank;
  int64_t sizes[kMaxCopyDims];
  int64_t dst_strides[kMaxCopyDims];
  int64_t src_strides[kMaxCopyDims];
};

// One thread per element in a grid-stride loop over the n elements in row-major order of `sizes`:
// element i's index is peeled off from the last dimension, its offsets summed in int64 (views over
// 2^31 elements are fine). Item bits are copied as one 4- or 8-byte word: the copy never looks at
// the value. Neighbouring threads write neighbouring destination elements when the destination's
// last dimension is unit-stride, the usual case (.contiguous()); reads gather.
template <class Word>
__global__ void strided_copy_kernel(Word* __restrict__ dst, const Word* __restrict__ src, CopyLayout layout,
                                    int64_t n) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t rest = i, dst_offset = 0, src_offset = 0;
    for (int d = layout.rank - 1; d >= 0; --d) {
      const int64_t index = rest % layout.sizes[d];
      rest /= layout.sizes[d];
      dst_offset += index * layout.dst_strides[d];
      src_offset += index * layout.src_strides[d];
    }
    dst[dst_offset] = src[src_offset];
  }
}

struct Dims {
  std::vector<int64_t> sizes, dst_strides, src_strides;
};

// Drops size-1 dimensions and merges each dimension into the one before it when both views step over
// it contiguously (outer stride == inner size * inner stride, in source and destination alike), so a
// transposed matrix stays 2-D whatever its batch dimensions were. Fewer dimensions: fewer divisions.
Dims merged_dims(const int64_t* shape, const int64_t* dst_strides, const int64_t* src_strides, int rank) {
  Dims dims;
  for (int d = 0; d < rank; ++d) {
    if (shape[d] == 1) continue;
    if (!dims.sizes.empty() && dims.dst_strides.back() == shape[d] * dst_strides[d] &&
        dims.src_strides.back() == shape[d] * src_strides[d]) {
      dims.sizes.back() *= shape[d];
      dims.dst_strides.back() = dst_strides[d];
      dims.src_strides.back() = src_strides[d];
    } else {
      dims.sizes.push_back(shape[d]);
      dims.dst_strides.push_back(dst_strides[d]);
      dims.src_strides.push_back(src_strides[d]);
    }
  }
  return dims;
}

}  // namespace

void strided_copy(void* dst, const int64_t* dst_strides, const void* src, const int64_t* src_strides,
                  const int64_t* shape, int rank, size_t itemsize, int device) {
  constexpr const char* op = "strided copy on cuda";
  if (itemsize != 4 && itemsize != 8) fail<ValueError>(op, ": items of ", itemsize, " bytes are not supported");
  if (reinterpret_cast<uintptr_t>(dst) % itemsize != 0 || reinterpret_cast<uintptr_t>(src) % itemsize != 0)
    fail<ValueError>(op, ": the views' data are not aligned to their ", itemsize, "-byte items");
  int64_t n = 1;
  for (int d = 0; d < rank; ++d) n *= shape[d];
  if (n == 0) return;
  const Dims dims = merged_dims(shape, dst_strides, src_strides, rank);
  const int merged_rank = static_cast<int>(dims.sizes.size());
  if (merged_rank > kMaxCopyDims)
    fail<ValueError>(op, ": the views have ", merged_rank, " dimensions that cannot be merged (sizes ",
                     shape_str(dims.sizes), "), more than the ", kMaxCopyDims, " supported");
  CopyLayout layout{};
  layout.rank = merged_rank;
  for (int d = 0; d < merged_rank; ++d) {
    layout.sizes[d] = dims.sizes[static_cast<size_t>(d)];
    layout.dst_strides[d] = dims.dst_strides[static_cast<size_t>(d)];
    layout.src_strides[d] = dims.src_strides[static_cast<size_t>(d)];
  }
  DeviceGuard guard(device);
  constexpr int kThreads = 256;
  if (itemsize == 4)
    launch_kernel(strided_copy_kernel<uint32_t>, grid_for(n, kThreads), kThreads, 0, stream(device),
        static_cast<uint32_t*>(dst), static_cast<const uint32_t*>(src), layout, n);
  else
    launch_kernel(strided_copy_kernel<uint64_t>, grid_for(n, kThreads), kThreads, 0, stream(device),
        static_cast<uint64_t*>(dst), static_cast<const uint64_t*>(src), layout, n);
  check_launch(op);
}

}  // namespace ironnet::cuda
