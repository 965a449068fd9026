// Scratch memory a CPU kernel reuses across calls (GEMM packing panels, convolution im2col chunks).
#pragma once
#include <cstddef>
#include <memory>

#include "ironnet/storage.h"

namespace ironnet::cpu {

// 64-byte-aligned floats that only grow. Keep one `thread_local` per call site, owned by the calling
// thread: no allocation on the hot path, and concurrent callers (the GIL is released) never share one.
// Its contents are garbage on every reserve().
struct Workspace {
  struct Free {
    void operator()(float* p) const { aligned_host_free(p); }
  };
  std::unique_ptr<float, Free> memory;
  size_t floats = 0;

  float* reserve(size_t need) {
    if (need > floats) {
      memory.reset(nullptr);  // free the old block first: peak memory stays at one block
      memory.reset(static_cast<float*>(aligned_host_alloc(need * sizeof(float))));
      floats = need;
    }
    return memory.get();
  }
};

}  // namespace ironnet::cpu
