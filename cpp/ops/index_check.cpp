#include "ops/index_check.h"

#include "ironnet/cuda/indices.h"
#include "ops/device.h"

namespace ironnet::ops {
namespace {

template <class Index>
std::optional<BadIndex> first_on_cpu(const Index* p, int64_t n, int64_t limit) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t value = static_cast<int64_t>(p[i]);
    if (value < 0 || value >= limit) return BadIndex{i, value};
  }
  return std::nullopt;
}

int64_t read_int64(const Tensor& t) { return *t.to(Device{DeviceType::CPU, 0}).data<int64_t>(); }

}  // namespace

std::optional<BadIndex> first_out_of_range(const Tensor& index, int64_t limit) {
  const int64_t n = index.numel();
  const bool is32 = index.dtype() == DType::Int32;
  const Device device = index.device();
  if (device.is_cpu())
    return is32 ? first_on_cpu(index.data<int32_t>(), n, limit) : first_on_cpu(index.data<int64_t>(), n, limit);
  if constexpr (kCudaBuilt) {
    const Tensor slot = Tensor::empty({}, DType::Int64, device);
    if (is32)
      cuda::first_out_of_range(n, index.data<int32_t>(), limit, slot.data<int64_t>(), device.index);
    else
      cuda::first_out_of_range(n, index.data<int64_t>(), limit, slot.data<int64_t>(), device.index);
    const int64_t position = read_int64(slot);
    if (position >= n) return std::nullopt;
    const Tensor bad = index.reshape({n}).narrow(0, position, 1).to(Device{DeviceType::CPU, 0});
    return BadIndex{position, is32 ? int64_t{*bad.data<int32_t>()} : *bad.data<int64_t>()};
  }
  return std::nullopt;
}

}  // namespace ironnet::ops
