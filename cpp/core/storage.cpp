#include "ironnet/storage.h"

#include <cstdlib>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "core/host_block_cache.h"
#include "ironnet/cuda_api.h"
#include "ironnet/errors.h"

namespace ironnet {

// Blocks from this size on are backed by 2 MiB pages where the kernel allows it (transparent huge
// pages in "madvise" mode): kernels that walk rows far apart (a recurrent sequence's (B, T, .)
// arrays, rows T * kH floats apart) touch a new 4 KiB page on nearly every row, one TLB miss each.
// Measured: LSTM and GRU forward + backward 2-3% faster at 2 threads (bench/bench_rnn.py); a fresh
// block also takes one page fault per 2 MiB instead of per 4 KiB.
constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kHugeFrom = 4 * kHugePage;

void* aligned_host_alloc(size_t nbytes) {
  // aligned_alloc wants a size that is a multiple of the alignment; round up (and never ask for 0).
  const size_t alignment = nbytes >= kHugeFrom ? kHugePage : kCpuAlignment;
  const size_t rounded = (nbytes + alignment - 1) / alignment * alignment;
  void* ptr = std::aligned_alloc(alignment, rounded ? rounded : alignment);
  if (!ptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (alignment == kHugePage) madvise(ptr, rounded, MADV_HUGEPAGE);  // a hint: failure changes nothing
#endif
  return ptr;
}

void aligned_host_free(void* ptr) { std::free(ptr); }

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, Device device) {
  if (device.is_cpu()) {
    if (nbytes >= host_block_cache::kMinBytes) {
      void* data = host_block_cache::acquire(nbytes);
      return std::shared_ptr<Storage>(
          new Storage(data, nbytes, device, [data] { host_block_cache::release(data); }));
    }
    void* data = aligned_host_alloc(nbytes);
    return std::shared_ptr<Storage>(new Storage(data, nbytes, device, [data] { aligned_host_free(data); }));
  }
  void* data = cuda::device_alloc(nbytes, device.index);
  const int index = device.index;
  return std::shared_ptr<Storage>(
      new Storage(data, nbytes, device, [data, index] { cuda::device_free(data, index); }));
}

std::shared_ptr<Storage> Storage::allocate_pinned(size_t nbytes) {
  void* data = cuda::pinned_alloc(nbytes);
  return std::shared_ptr<Storage>(new Storage(data, nbytes, Device{}, [data] { cuda::pinned_free(data); }, true));
}

std::shared_ptr<Storage> Storage::borrow(void* data, size_t nbytes, Device device,
                                         std::function<void()> release) {
  return std::shared_ptr<Storage>(new Storage(data, nbytes, device, std::move(release)));
}

Storage::~Storage() {
  if (release_) release_();
}

}  // namespace ironnet
