// Keeps large freed host blocks for reuse, so the next training step's same-sized activations and
// gradients do not come fresh from the kernel. Why: glibc serves blocks above its mmap threshold
// (which adapts only up to 32 MiB) with mmap and unmaps them on free, so every step re-faults and
// re-zeroes each page of such a block: at batch 512 the small CNN's 44 MiB conv outputs made a step
// ~40% slower (measured). Changing glibc's thresholds with mallopt would fix that process-wide, for
// code that is not ours; this cache touches only ironnet's tensors.
#pragma once
#include <cstddef>

namespace ironnet::host_block_cache {

// Blocks of at least this many bytes are cached; smaller ones go straight to malloc, whose own bins
// already reuse them.
constexpr size_t kMinBytes = size_t{1} << 20;
// The most bytes kept idle; a block freed beyond it goes back to the system.
constexpr size_t kMaxIdleBytes = size_t{1} << 30;

// A 64-byte-aligned block of at least nbytes (nbytes >= kMinBytes; rounded up to 64 KiB, so near
// sizes share blocks): an idle cached one of that rounded size when there is one, its contents
// garbage. Give it back with release(block).
void* acquire(size_t nbytes);
void release(void* block);

}  // namespace ironnet::host_block_cache
