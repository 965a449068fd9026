#include "core/block_cache.h"

#include <algorithm>
#include <functional>
#include <memory>

namespace ironnet {
namespace {

size_t round_up(size_t n, size_t multiple) { return (n + multiple - 1) / multiple * multiple; }

// Larger requests than this are refused as out of memory before any rounding could overflow.
constexpr size_t kLargestRequest = static_cast<size_t>(-1) / 4;

}  // namespace

BlockCache::BlockCache(Policy policy, AllocateSegment allocate, ReleaseSegment release)
    : policy_(policy), allocate_(std::move(allocate)), release_(std::move(release)) {}

BlockCache::~BlockCache() {
  try {
    release_cached();
  } catch (...) {
    // A backend failing at teardown leaves its memory to the process's exit.
  }
  for (Block* block : free_) delete block;
  for (const auto& entry : used_) delete entry.second;
}

size_t BlockCache::rounded_size(size_t nbytes) const { return round_up(std::max<size_t>(nbytes, 1), policy_.granule); }

size_t BlockCache::segment_size(size_t rounded) const {
  return std::max(policy_.min_segment, round_up(rounded, policy_.segment_granule));
}

BlockCache::Block* BlockCache::find_free(size_t rounded) {
  // Without splitting, a block is a whole segment and only one of exactly the size a fresh segment
  // would have is reused (a bigger one would waste its tail for as long as it is held).
  const size_t wanted = policy_.split ? rounded : segment_size(rounded);
  Block key{nullptr, wanted, true, nullptr, nullptr};
  const auto it = free_.lower_bound(&key);  // the smallest free block that fits, lowest address first
  if (it == free_.end() || (!policy_.split && (*it)->size != wanted)) return nullptr;
  Block* block = *it;
  free_.erase(it);
  return block;
}

BlockCache::Block* BlockCache::new_segment(size_t rounded) {
  const size_t size = segment_size(rounded);
  auto block = std::make_unique<Block>();  // before the segment, so a failed new leaks nothing
  void* address = allocate_(size);
  if (address == nullptr) return nullptr;
  *block = Block{static_cast<char*>(address), size, true, nullptr, nullptr};
  stats_.reserved += size;
  stats_.segments += 1;
  return block.release();
}

void BlockCache::split(Block* block, size_t size) {
  if (block->size - size < policy_.min_split_bytes || block->size == size) return;
  Block* rest = new Block{block->address + size, block->size - size, true, block, block->next};
  if (block->next != nullptr) block->next->prev = rest;
  block->next = rest;
  block->size = size;
  free_.insert(rest);
}

void* BlockCache::acquire(size_t nbytes) {
  if (nbytes > kLargestRequest) return nullptr;
  const size_t size = rounded_size(nbytes);
  Block* block = find_free(size);
  if (block == nullptr) block = new_segment(size);
  if (block == nullptr) return nullptr;
  if (policy_.split) split(block, size);
  block->free = false;
  used_.emplace(block->address, block);
  stats_.allocated += block->size;
  stats_.peak_allocated = std::max(stats_.peak_allocated, stats_.allocated);
  return block->address;
}

bool BlockCache::release(void* address) {
  const auto it = used_.find(address);
  if (it == used_.end()) return false;
  Block* block = it->second;
  used_.erase(it);
  stats_.allocated -= block->size;
  block->free = true;
  // Merge with free neighbours (each leaves the free set before its size, the set's key, changes).
  if (block->prev != nullptr && block->prev->free) {
    Block* prev = block->prev;
    free_.erase(prev);
    prev->size += block->size;
    prev->next = block->next;
    if (block->next != nullptr) block->next->prev = prev;
    delete block;
    block = prev;
  }
  if (block->next != nullptr && block->next->free) {
    Block* next = block->next;
    free_.erase(next);
    block->size += next->size;
    block->next = next->next;
    if (next->next != nullptr) next->next->prev = block;
    delete next;
  }
  const bool whole_segment = block->prev == nullptr && block->next == nullptr;
  if (whole_segment && stats_.reserved - stats_.allocated > policy_.max_idle_bytes)
    drop_segment(block);
  else
    free_.insert(block);
  return true;
}

void BlockCache::release_cached() {
  for (auto it = free_.begin(); it != free_.end();) {
    Block* block = *it;
    if (block->prev != nullptr || block->next != nullptr) {
      ++it;  // part of a segment that still has a block handed out
      continue;
    }
    it = free_.erase(it);
    drop_segment(block);
  }
}

void BlockCache::drop_segment(Block* block) {
  void* address = block->address;
  stats_.reserved -= block->size;
  stats_.segments -= 1;
  delete block;
  release_(address);
}

}  // namespace ironnet
