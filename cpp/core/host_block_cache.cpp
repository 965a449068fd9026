#include "core/host_block_cache.h"

#include <mutex>

#include "core/block_cache.h"
#include "ironnet/storage.h"

namespace ironnet::host_block_cache {
namespace {

// Exact-size reuse of whole blocks rounded to 64 KiB (no splitting: aligned_host_alloc's blocks can
// only go back to the system whole, and near sizes already share a rounded size).
BlockCache::Policy policy() {
  BlockCache::Policy p;
  p.granule = p.segment_granule = size_t{64} << 10;
  p.split = false;
  p.max_idle_bytes = kMaxIdleBytes;
  return p;
}

struct Cache {
  std::mutex mutex;  // ops allocate with the GIL released, from any thread
  BlockCache blocks{policy(), [](size_t nbytes) { return aligned_host_alloc(nbytes); },
                    [](void* block) { aligned_host_free(block); }};
};

// Never destroyed: tensors freed during interpreter shutdown may still release into it.
Cache& cache() {
  static Cache* const instance = new Cache;
  return *instance;
}

}  // namespace

void* acquire(size_t nbytes) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.blocks.acquire(nbytes);  // aligned_host_alloc throws std::bad_alloc rather than return null
}

void release(void* block) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.blocks.release(block);
}

}  // namespace ironnet::host_block_cache
