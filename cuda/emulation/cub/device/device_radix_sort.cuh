// Host stand-in for CUB's DeviceRadixSort::SortPairs in IRONNET_CUDA=EMULATE builds: a stable sort of
// (key, value) pairs by bits [begin_bit, end_bit) of the keys, as CUB's radix sort orders them
// (signed keys with their sign bit flipped first), done at once on the host.
#pragma once
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <type_traits>
#include <vector>

namespace cub {

struct DeviceRadixSort {
  template <class Key, class Value>
  static cudaError_t SortPairs(void* temp_storage, size_t& temp_storage_bytes, const Key* keys_in, Key* keys_out,
                               const Value* values_in, Value* values_out, int num_items, int begin_bit = 0,
                               int end_bit = static_cast<int>(sizeof(Key) * 8), cudaStream_t = nullptr) {
    if (temp_storage == nullptr) {  // the size query: the host sort needs no device scratch
      temp_storage_bytes = 1;
      return cudaSuccess;
    }
    using Bits = std::make_unsigned_t<Key>;
    constexpr Bits kSign = std::is_signed_v<Key> ? Bits{1} << (sizeof(Key) * 8 - 1) : Bits{0};
    const int width = end_bit - begin_bit;
    const Bits mask = width >= static_cast<int>(sizeof(Key) * 8) ? ~Bits{0} : (Bits{1} << width) - 1;
    auto radix = [&](int i) { return ((static_cast<Bits>(keys_in[i]) ^ kSign) >> begin_bit) & mask; };
    std::vector<int> order(static_cast<size_t>(num_items));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return radix(a) < radix(b); });
    std::vector<Key> keys(order.size());
    std::vector<Value> values(order.size());
    for (size_t i = 0; i < order.size(); ++i) keys[i] = keys_in[order[i]], values[i] = values_in[order[i]];
    std::copy(keys.begin(), keys.end(), keys_out);
    std::copy(values.begin(), values.end(), values_out);
    return cudaSuccess;
  }
};

}  // namespace cub
