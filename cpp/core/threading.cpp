#include <omp.h>

#include <atomic>

#include "ironnet/errors.h"
#include "ironnet/parallel.h"

namespace ironnet {
namespace {
std::atomic<int>& thread_slot() {
  static std::atomic<int> slot{omp_get_max_threads()};
  return slot;
}
}  // namespace

int get_num_threads() { return thread_slot().load(std::memory_order_relaxed); }

void set_num_threads(int n) {
  if (n < 1) fail<ValueError>("set_num_threads: need at least 1 thread, got ", n);
  thread_slot().store(n, std::memory_order_relaxed);
}

}  // namespace ironnet
