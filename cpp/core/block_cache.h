// The bookkeeping of a caching allocator, independent of what memory it manages: blocks handed out
// are carved from segments that a backend provides, freed blocks are kept for reuse, and segments go
// back to the backend only when asked (or, past an idle limit, when a whole segment is free).
//
// One class serves three caches: large CPU tensors (host_block_cache), CUDA device memory (two pools
// per device, cuda/allocator.cu) and page-locked host memory (cuda/pinned.cu). It never touches the
// memory itself, so tests check it on any machine with a simulated backend (bind_block_cache.cpp).
//
// Not thread-safe: each owner serializes calls with its own mutex (they also keep statistics across
// several caches under that lock).
#pragma once
#include <cstddef>
#include <functional>
#include <set>
#include <unordered_map>

namespace ironnet {

class BlockCache {
 public:
  struct Policy {
    size_t granule = 512;          // every request is rounded up to a multiple of this
    size_t segment_granule = 512;  // a fresh segment is the rounded request rounded up to this...
    size_t min_segment = 0;        // ...and at least this big (small requests then share a segment)
    // true: a request takes the smallest free block that fits (best fit), and the rest of that block
    // is split off as a free block of its own when it is at least min_split_bytes; freed neighbours
    // in a segment merge again. false: a request takes only a free block of exactly its rounded size,
    // and every segment holds one block.
    bool split = true;
    size_t min_split_bytes = 512;
    // A whole segment freed while more than this many bytes sit idle goes back to the backend at once.
    size_t max_idle_bytes = static_cast<size_t>(-1);
  };
  // Returns a segment of exactly the bytes asked, or nullptr when the backend is out of memory (it may
  // also throw for other failures).
  using AllocateSegment = std::function<void*(size_t nbytes)>;
  using ReleaseSegment = std::function<void(void* segment)>;

  struct Stats {
    size_t allocated = 0;       // bytes in blocks handed out (rounded sizes)
    size_t reserved = 0;        // bytes in segments held from the backend
    size_t peak_allocated = 0;  // the most `allocated` has been
    size_t segments = 0;
  };

  BlockCache(Policy policy, AllocateSegment allocate, ReleaseSegment release);
  // Returns every whole free segment to the backend; segments with blocks still handed out stay
  // with their holders (the process-wide caches are never destroyed, so this matters for tests).
  ~BlockCache();
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // A block of at least nbytes (0 counts as 1), or nullptr when a fresh segment was needed and the
  // backend had none (or nbytes is beyond any memory). The caller may then release_cached() (here or in a sibling cache) and retry.
  void* acquire(size_t nbytes);
  // Gives back a block from acquire(); false (and nothing changes) when this cache did not hand it out.
  bool release(void* block);
  // Returns every whole free segment to the backend (what torch.cuda.empty_cache does).
  void release_cached();

  size_t rounded_size(size_t nbytes) const;
  const Stats& stats() const { return stats_; }

 private:
  struct Block {
    char* address;
    size_t size;
    bool free;
    Block* prev;  // the neighbours in the same segment, by address (null at the segment's ends)
    Block* next;
  };
  struct BySizeThenAddress {
    bool operator()(const Block* a, const Block* b) const {
      return a->size != b->size ? a->size < b->size : std::less<const char*>()(a->address, b->address);
    }
  };

  size_t segment_size(size_t rounded) const;
  Block* find_free(size_t rounded);
  Block* new_segment(size_t rounded);
  void split(Block* block, size_t size);
  void drop_segment(Block* block);

  Policy policy_;
  AllocateSegment allocate_;
  ReleaseSegment release_;
  std::set<Block*, BySizeThenAddress> free_;
  std::unordered_map<void*, Block*> used_;
  Stats stats_;
};

}  // namespace ironnet
