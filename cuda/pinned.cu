// Page-locked ("pinned") host memory for Tensor.pin_memory(): the GPU's copy engines read it directly,
// so a copy from it to the device runs asynchronously (Tensor.to('cuda', non_blocking=True)) while
// the host prepares the next batch. cudaHostAlloc and cudaFreeHost are slow (they map pages for the
// GPU and synchronize), so blocks are cached like device memory, in one pool for all devices.
//
// A freed block may still be the source of copies queued on device streams. pinned_free records an
// event on each stream that copied from it (record_pinned_use says which) and the block waits in
// `pending` until every event has completed; only then can pinned_alloc hand it out again.
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common.cuh"
#include "core/block_cache.h"
#include "ironnet/cuda_api.h"

namespace ironnet::cuda {
namespace {

void* cuda_host_alloc(size_t nbytes) {
  void* ptr = nullptr;
  // Portable: page-locked for every device's context, not only the current one.
  const cudaError_t status = cudaHostAlloc(&ptr, nbytes, cudaHostAllocPortable);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear it: the caller reports running out, after a retry
    return nullptr;
  }
  check(status, "pin_memory (cudaHostAlloc)");
  return ptr;
}

void cuda_free_host(void* ptr) { check(cudaFreeHost(ptr), "pin_memory (cudaFreeHost)"); }

BlockCache::Policy pinned_policy() {
  BlockCache::Policy p;
  p.granule = 512;
  p.segment_granule = p.min_segment = size_t{2} << 20;
  p.split = true;
  p.min_split_bytes = 512;
  return p;
}

// True when the event's stream has passed it. A pending event is no error, but the runtime still
// records it as the last error: clear it, or the next check_launch would report it.
bool event_done(cudaEvent_t event) {
  const cudaError_t status = cudaEventQuery(event);
  if (status == cudaErrorNotReady) {
    cudaGetLastError();
    return false;
  }
  check(status, "pin_memory (cudaEventQuery)");
  return true;
}

struct PendingBlock {
  void* block;
  std::vector<cudaEvent_t> events;  // one per device stream that copied from the block
};

struct PinnedCache {
  std::mutex mutex;
  BlockCache blocks{pinned_policy(), cuda_host_alloc, cuda_free_host};
  std::unordered_map<void*, std::vector<int>> copied_to;  // block -> devices with copies queued from it
  std::vector<PendingBlock> pending;

  // Returns to `blocks` every pending block whose copies have all finished (all of them, waiting for
  // each, when `wait` is true).
  void reclaim(bool wait) {
    for (auto it = pending.begin(); it != pending.end();) {
      bool done = true;
      for (cudaEvent_t event : it->events) {
        if (wait) check(cudaEventSynchronize(event), "pin_memory (cudaEventSynchronize)");
        done = done && (wait || event_done(event));
      }
      if (!done) {
        ++it;
        continue;
      }
      for (cudaEvent_t event : it->events) cudaEventDestroy(event);
      blocks.release(it->block);
      it = pending.erase(it);
    }
  }
};

// Never destroyed: pinned tensors freed during interpreter shutdown still come back here.
PinnedCache& cache() {
  static PinnedCache* const instance = new PinnedCache;
  return *instance;
}

}  // namespace

void* pinned_alloc(size_t nbytes) {
  if (device_count() == 0)
    fail<DeviceError>("pin_memory: no CUDA device is available (page-locked memory needs the CUDA driver and a GPU)");
  PinnedCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.reclaim(false);
  void* block = c.blocks.acquire(nbytes);
  if (block == nullptr) {  // out of page-locked memory: wait for queued copies, give back the cache, retry
    c.reclaim(true);
    c.blocks.release_cached();
    block = c.blocks.acquire(nbytes);
  }
  if (block == nullptr)
    fail<DeviceError>("pin_memory: out of page-locked host memory allocating ", nbytes, " bytes (",
                      c.blocks.stats().allocated, " bytes pinned by tensors)");
  return block;
}

void record_pinned_use(void* block, int device) {
  PinnedCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  std::vector<int>& devices = c.copied_to[block];
  for (int d : devices)
    if (d == device) return;
  devices.push_back(device);
}

void pinned_free(void* block) noexcept {
  PinnedCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  PendingBlock pending{block, {}};
  try {
    const auto used = c.copied_to.find(block);
    if (used == c.copied_to.end()) {
      c.blocks.release(block);  // no copy ever read it: free for reuse now
      return;
    }
    const std::vector<int> devices = std::move(used->second);
    c.copied_to.erase(used);
    for (int device : devices) {
      DeviceGuard guard(device);
      cudaEvent_t event = nullptr;
      check(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), "pin_memory (cudaEventCreate)");
      pending.events.push_back(event);
      check(cudaEventRecord(event, stream(device)), "pin_memory (cudaEventRecord)");
    }
    c.pending.push_back(std::move(pending));
  } catch (...) {
    // Without an event there is no telling when the queued copies end: the block is never reused.
    for (cudaEvent_t event : pending.events) cudaEventDestroy(event);
  }
}

}  // namespace ironnet::cuda
