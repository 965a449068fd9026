// The caching allocators' bookkeeping (cpp/core/block_cache.h) on a simulated address space, so tests
// check block reuse, splitting, merging and running out on any machine, GPU or not.
#include <pybind11/stl.h>

#include <optional>
#include <unordered_map>

#include "bindings/common.h"
#include "core/block_cache.h"

namespace ironnet::bindings {
namespace {

// Its backend hands out address ranges that nobody touches, 1 MiB apart (so segments are never
// adjacent), and runs out once `capacity` bytes are out.
class SimulatedBlockCache {
 public:
  SimulatedBlockCache(const BlockCache::Policy& policy, size_t capacity)
      : capacity_(capacity), cache_(policy, [this](size_t n) { return take(n); }, [this](void* s) { give_back(s); }) {}

  std::optional<uintptr_t> acquire(size_t nbytes) {
    void* block = cache_.acquire(nbytes);
    if (block == nullptr) return std::nullopt;
    return reinterpret_cast<uintptr_t>(block);
  }
  bool release(uintptr_t block) { return cache_.release(reinterpret_cast<void*>(block)); }
  void release_cached() { cache_.release_cached(); }

  py::dict stats() const {
    const BlockCache::Stats& s = cache_.stats();
    py::dict out;
    out["allocated"] = s.allocated;
    out["reserved"] = s.reserved;
    out["peak_allocated"] = s.peak_allocated;
    out["segments"] = s.segments;
    out["backend_bytes"] = backend_bytes_;  // what the backend has out: must equal reserved
    out["backend_allocations"] = allocations_;
    out["backend_releases"] = releases_;
    return out;
  }

 private:
  static constexpr uintptr_t kGap = uintptr_t{1} << 20;

  void* take(size_t nbytes) {
    if (backend_bytes_ + nbytes > capacity_) return nullptr;
    const uintptr_t address = next_;
    next_ += nbytes + kGap;
    backend_bytes_ += nbytes;
    segments_[address] = nbytes;
    ++allocations_;
    return reinterpret_cast<void*>(address);
  }

  void give_back(void* segment) {
    const auto it = segments_.find(reinterpret_cast<uintptr_t>(segment));
    if (it == segments_.end()) throw std::logic_error("BlockCache released a segment it was never given");
    backend_bytes_ -= it->second;
    segments_.erase(it);
    ++releases_;
  }

  size_t capacity_;
  uintptr_t next_ = uintptr_t{1} << 32;
  size_t backend_bytes_ = 0, allocations_ = 0, releases_ = 0;
  std::unordered_map<uintptr_t, size_t> segments_;
  BlockCache cache_;  // last: destroyed first, while the backend's members still exist
};

}  // namespace

void bind_block_cache(py::module_& m) {
  py::class_<SimulatedBlockCache>(m, "SimulatedBlockCache",
                                  "BlockCache (the caching allocators' bookkeeping) over a simulated backend, for tests")
      .def(py::init([](size_t granule, size_t segment_granule, size_t min_segment, bool split, size_t min_split_bytes,
                       std::optional<size_t> max_idle_bytes, size_t capacity) {
             BlockCache::Policy policy;
             policy.granule = granule;
             policy.segment_granule = segment_granule;
             policy.min_segment = min_segment;
             policy.split = split;
             policy.min_split_bytes = min_split_bytes;
             if (max_idle_bytes) policy.max_idle_bytes = *max_idle_bytes;
             return new SimulatedBlockCache(policy, capacity);
           }),
           py::kw_only(), py::arg("granule") = 512, py::arg("segment_granule") = 512, py::arg("min_segment") = 0,
           py::arg("split") = true, py::arg("min_split_bytes") = 512, py::arg("max_idle_bytes") = py::none(),
           py::arg("capacity") = size_t{1} << 40)
      .def("acquire", &SimulatedBlockCache::acquire, py::arg("nbytes"),
           "The block's address, or None when the backend is out of memory")
      .def("release", &SimulatedBlockCache::release, py::arg("block"))
      .def("release_cached", &SimulatedBlockCache::release_cached)
      .def("stats", &SimulatedBlockCache::stats);
}

}  // namespace ironnet::bindings
