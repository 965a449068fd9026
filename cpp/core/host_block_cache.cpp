#include "core/host_block_cache.h"

#include <map>
#include <mutex>

#include "ironnet/storage.h"

namespace ironnet::host_block_cache {
namespace {

constexpr size_t kGranule = size_t{64} << 10;

struct Cache {
  std::mutex mutex;  // ops allocate with the GIL released, from any thread
  std::multimap<size_t, void*> idle;  // rounded size -> block
  size_t idle_bytes = 0;
};

// Never destroyed: tensors freed during interpreter shutdown may still release into it.
Cache& cache() {
  static Cache* const instance = new Cache;
  return *instance;
}

size_t rounded_size(size_t nbytes) { return (nbytes + kGranule - 1) / kGranule * kGranule; }

}  // namespace

void* acquire(size_t nbytes) {
  const size_t size = rounded_size(nbytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    const auto it = c.idle.find(size);
    if (it != c.idle.end()) {
      void* block = it->second;
      c.idle.erase(it);
      c.idle_bytes -= size;
      return block;
    }
  }
  return aligned_host_alloc(size);
}

void release(void* block, size_t nbytes) {
  const size_t size = rounded_size(nbytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.idle_bytes + size <= kMaxIdleBytes) {
      c.idle.emplace(size, block);
      c.idle_bytes += size;
      return;
    }
  }
  aligned_host_free(block);
}

}  // namespace ironnet::host_block_cache
