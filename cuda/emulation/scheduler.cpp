// The emulator's kernel execution: a grid's blocks run one after another on the launching thread,
// and the threads of a block are cooperative fibers, each on its own small stack. The scheduler
// sweeps over the block's threads (in reverse order on every other block) and resumes each ready
// one; a thread runs until it waits (at __syncthreads or at a warp rendezvous) or ends. A barrier
// opens when every live thread of the block waits at it, a warp rendezvous when every live lane of
// its mask does. A sweep that resumes nobody while threads still wait is a deadlock.
#include <sys/mman.h>
#include <unistd.h>
#if !defined(__x86_64__)
#include <ucontext.h>
#endif
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "emulator.h"

namespace ironnet_emulation {
namespace {

// --- fibers -----------------------------------------------------------------------------------------
// A context switch saves the callee-saved registers on the current stack and moves to the other
// stack (x86-64: a few instructions); elsewhere ucontext does it (slower, a syscall per switch).
[[noreturn]] void thread_entry();

#if defined(__x86_64__)
extern "C" void ironnet_emulation_switch(void** save_sp, void* load_sp);
asm(R"(
  .text
  .p2align 4
  .globl ironnet_emulation_switch
  .hidden ironnet_emulation_switch
  .type ironnet_emulation_switch, @function
ironnet_emulation_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size ironnet_emulation_switch, .-ironnet_emulation_switch
)");

struct Context {
  void* sp = nullptr;
  const void* stack_bottom = nullptr;  // for AddressSanitizer's fiber annotations
  size_t stack_size = 0;
};

// A fresh stack that "returns" into thread_entry with the stack aligned as at a function's entry
// (rsp + 8 a multiple of 16); the six zeros are the registers the switch pops.
void prepare(Context& c, char* stack, size_t bytes) {
  void** sp = reinterpret_cast<void**>(reinterpret_cast<uintptr_t>(stack + bytes) & ~uintptr_t{15});
  *--sp = nullptr;  // thread_entry's return address: it never returns
  *--sp = reinterpret_cast<void*>(&thread_entry);
  for (int i = 0; i < 6; ++i) *--sp = nullptr;
  c.sp = sp, c.stack_bottom = stack, c.stack_size = bytes;
}
void raw_switch(Context& from, Context& to) { ironnet_emulation_switch(&from.sp, to.sp); }
#else
struct Context {
  ucontext_t uc;
  const void* stack_bottom = nullptr;
  size_t stack_size = 0;
};
void prepare(Context& c, char* stack, size_t bytes) {
  getcontext(&c.uc);
  c.uc.uc_stack.ss_sp = stack;
  c.uc.uc_stack.ss_size = bytes;
  c.uc.uc_link = nullptr;
  makecontext(&c.uc, thread_entry, 0);
  c.stack_bottom = stack, c.stack_size = bytes;
}
void raw_switch(Context& from, Context& to) { swapcontext(&from.uc, &to.uc); }
#endif

// Under AddressSanitizer every switch is announced, so that it tracks which stack is live (without
// the annotations it reports false stack overflows). `from_ends`: the switching thread never resumes.
void switch_to(Context& from, Context& to, bool from_ends = false) {
#if defined(__SANITIZE_ADDRESS__)
  void* fake_stack = nullptr;
  __sanitizer_start_switch_fiber(from_ends ? nullptr : &fake_stack, to.stack_bottom, to.stack_size);
  raw_switch(from, to);
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#else
  (void)from_ends;
  raw_switch(from, to);
#endif
}

// A new thread's first instructions, before any other use of its stack: under AddressSanitizer,
// completes the switch that started it and learns the scheduler's stack from it.
void begin_thread(Context& scheduler_context) {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_finish_switch_fiber(nullptr, &scheduler_context.stack_bottom, &scheduler_context.stack_size);
#else
  (void)scheduler_context;
#endif
}

// After a faulted block, stacks hold the frames of abandoned threads, with AddressSanitizer's
// poisoned redzones; fresh threads would trip over them.
void forget_frames(char* stack, size_t bytes) {
#if defined(__SANITIZE_ADDRESS__)
  ASAN_UNPOISON_MEMORY_REGION(stack, bytes);
#else
  (void)stack, (void)bytes;
#endif
}

// Thread stacks, reused by every block: 256 KiB each (reserved, only touched pages cost memory) with
// a guard page below, so an overflow faults instead of corrupting the next stack.
constexpr size_t kStackBytes = 256 * 1024;
char* new_stack() {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* base = mmap(nullptr, kStackBytes + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                    -1, 0);
  if (base == MAP_FAILED) {
    std::perror("ironnet CUDA emulation: mmap of a thread stack");
    std::abort();
  }
  mprotect(base, page, PROT_NONE);
  return static_cast<char*>(base) + page;
}

// --- one block ------------------------------------------------------------------------------------
enum class State { kReady, kRunning, kAtBarrier, kAtWarp, kDone };

struct Thread {
  Context context;
  char* stack = nullptr;
  State state = State::kDone;
  const char* barrier_file = nullptr;
  int barrier_line = 0;
};

// A warp's rendezvous. Deposits alternate between two slot sets: a lane released from rendezvous k
// reads set k % 2 after it resumes, and set k % 2 is written again only at rendezvous k + 2, which
// needs rendezvous k + 1 to open first and so every lane of k to have read.
struct Warp {
  unsigned live = 0;     // lanes that exist and have not ended
  unsigned waiting = 0;  // lanes waiting at the open rendezvous
  unsigned mask = 0;     // its mask
  unsigned phase = 0;    // rendezvous opened so far
  unsigned participants[2] = {0, 0};
  alignas(16) unsigned char slots[2][32][kSlotBytes];
};

struct Scheduler {
  std::vector<Thread> threads;
  std::vector<Warp> warps;
  Context scheduler_context;
  unsigned count = 0, current = 0, at_barrier = 0, done = 0;
  void (*body)(void*) = nullptr;
  void* body_context = nullptr;
  bool faulted = false;
  std::string fault_message;
  std::vector<float4> dynamic_shared;  // float4: 16-byte aligned

  void prepare_launch(unsigned threads_per_block, size_t shared_bytes) {
    if (threads.size() < threads_per_block) threads.resize(threads_per_block);
    for (unsigned i = 0; i < threads_per_block; ++i)
      if (threads[i].stack == nullptr) threads[i].stack = new_stack();
    warps.resize((threads_per_block + 31) / 32);
    dynamic_shared.resize((shared_bytes + 15) / 16);
    count = threads_per_block;
  }

  void yield(bool ends = false) { switch_to(threads[current].context, scheduler_context, ends); }

  // Returns false when the block faulted (fault_message says why).
  bool run_block(bool reverse, size_t shared_bytes) {
    done = at_barrier = 0;
    faulted = false;
    for (unsigned i = 0; i < count; ++i) {
      threads[i].state = State::kReady;
      // Stack tops staggered by 80 bytes mod 4 KiB: tops at one page offset would all map to the same
      // cache sets and evict each other at every switch.
      prepare(threads[i].context, threads[i].stack, kStackBytes - i % 51 * 80);
    }
    for (size_t w = 0; w < warps.size(); ++w) {
      const unsigned lanes = count - 32 * static_cast<unsigned>(w);
      warps[w].live = lanes >= 32 ? 0xffffffffu : (1u << lanes) - 1;
      warps[w].waiting = warps[w].mask = warps[w].phase = 0;
    }
    if (shared_bytes != 0) std::memset(dynamic_shared.data(), 0xff, shared_bytes);  // all bits set: NaN in every float
    while (done < count && !faulted) {
      bool resumed = false;
      for (unsigned k = 0; k < count && !faulted; ++k) {
        const unsigned i = reverse ? count - 1 - k : k;
        if (threads[i].state != State::kReady) continue;
        resume(i);
        resumed = true;
      }
      if (!resumed && !faulted) report_deadlock();
    }
    if (faulted)
      for (unsigned i = 0; i < count; ++i) forget_frames(threads[i].stack, kStackBytes);
    return !faulted;
  }

  void resume(unsigned i) {
    current = i;
    threadIdx = {i % blockDim.x, i / blockDim.x % blockDim.y, i / (blockDim.x * blockDim.y)};
    threads[i].state = State::kRunning;
    switch_to(scheduler_context, threads[i].context);
  }

  void finish_thread() {
    threads[current].state = State::kDone;
    ++done;
    Warp& w = warps[current / 32];
    w.live &= ~(1u << current % 32);
    open_warp_if_complete(w, current / 32);
    open_barrier_if_complete();
  }

  void arrive_at_barrier(const char* file, int line) {
    Thread& t = threads[current];
    t.state = State::kAtBarrier, t.barrier_file = file, t.barrier_line = line;
    ++at_barrier;
    open_barrier_if_complete();
    yield();
  }

  void open_barrier_if_complete() {
    if (at_barrier == 0 || at_barrier + done < count) return;
    const Thread* first = nullptr;
    for (unsigned i = 0; i < count; ++i) {
      Thread& t = threads[i];
      if (t.state != State::kAtBarrier) continue;
      if (first == nullptr) {
        first = &t;
      } else if (t.barrier_line != first->barrier_line || std::strcmp(t.barrier_file, first->barrier_file) != 0) {
        raise("divergent __syncthreads: thread " + std::to_string(first - threads.data()) + " waits at " +
              site(*first) + ", thread " + std::to_string(i) + " at " + site(t));
      }
      t.state = State::kReady;
    }
    at_barrier = 0;
  }

  const unsigned char* exchange(unsigned mask, const void* data, size_t bytes, unsigned* participants) {
    const unsigned lane = current % 32;
    Warp& w = warps[current / 32];
    if ((mask >> lane & 1u) == 0) raise("a warp intrinsic is called by lane " + std::to_string(lane) + ", outside its mask");
    if (w.waiting != 0 && w.mask != mask) raise("lanes of one warp meet at warp intrinsics with different masks");
    const unsigned set = w.phase & 1u;
    std::memcpy(w.slots[set][lane], data, bytes);
    w.mask = mask;
    w.waiting |= 1u << lane;
    threads[current].state = State::kAtWarp;
    open_warp_if_complete(w, current / 32);
    yield();
    *participants = w.participants[set];
    return &w.slots[set][0][0];
  }

  void open_warp_if_complete(Warp& w, unsigned index) {
    const unsigned expected = w.mask & w.live;
    if (w.waiting == 0 || (w.waiting & expected) != expected) return;
    w.participants[w.phase & 1u] = w.waiting;
    for (unsigned lane = 0; lane < 32; ++lane)
      if (w.waiting >> lane & 1u) threads[32 * index + lane].state = State::kReady;
    w.waiting = 0;
    ++w.phase;
  }

  void report_deadlock() {
    std::string what = "deadlock: no thread can run;";
    for (unsigned i = 0; i < count; ++i) {
      if (threads[i].state == State::kAtBarrier) {
        what += " thread " + std::to_string(i) + " waits at __syncthreads (" + site(threads[i]) + ");";
        break;
      }
    }
    for (unsigned i = 0; i < count; ++i) {
      if (threads[i].state == State::kAtWarp) {
        what += " thread " + std::to_string(i) + " waits at a warp intrinsic;";
        break;
      }
    }
    what += " " + std::to_string(done) + " of " + std::to_string(count) + " threads have ended";
    faulted = true, fault_message = what;
  }

  // A fault raised by the running thread: the block stops, and the thread is never resumed.
  [[noreturn]] void raise(const std::string& what) {
    faulted = true, fault_message = what + " (thread " + std::to_string(current) + ")";
    yield();
    std::abort();  // unreachable: a faulted block's threads are abandoned
  }

  static std::string site(const Thread& t) { return std::string(t.barrier_file) + ":" + std::to_string(t.barrier_line); }
};

Scheduler& scheduler() {
  static Scheduler* s = new Scheduler;  // never destroyed: threads' stacks stay mapped until exit
  return *s;
}

[[noreturn]] void thread_entry() {
  Scheduler& s = scheduler();
  begin_thread(s.scheduler_context);
  s.body(s.body_context);
  s.finish_thread();
  s.yield(/*ends=*/true);
  std::abort();  // unreachable: an ended thread is never resumed
}

// The GPU's launch limits (compute capability 8.0 and 9.0).
std::string configuration_error(dim3 grid, dim3 block, size_t shared_bytes) {
  const uint64_t threads = static_cast<uint64_t>(block.x) * block.y * block.z;
  if (block.x == 0 || block.y == 0 || block.z == 0 || grid.x == 0 || grid.y == 0 || grid.z == 0)
    return "a grid or block dimension is 0";
  if (block.x > 1024 || block.y > 1024 || block.z > 64 || threads > 1024) return "more than 1024 threads per block";
  if (grid.x > 0x7fffffffu || grid.y > 65535 || grid.z > 65535) return "grid beyond (2^31 - 1, 65535, 65535)";
  if (shared_bytes > 48 * 1024) return "more than 48 KiB of dynamic shared memory";
  return "";
}

std::string dims(dim3 d) { return "(" + std::to_string(d.x) + ", " + std::to_string(d.y) + ", " + std::to_string(d.z) + ")"; }

}  // namespace

void run_grid(dim3 grid, dim3 block, size_t shared_bytes, void (*thread_body)(void*), void* context) {
  // One launch at a time in the process: the built-in variables and the fibers are shared.
  static std::mutex launch_mutex;
  std::lock_guard<std::mutex> lock(launch_mutex);
  const std::string bad = configuration_error(grid, block, shared_bytes);
  if (!bad.empty()) {
    record_error(cudaErrorInvalidConfiguration, "launch of grid " + dims(grid) + ", block " + dims(block) + ", " +
                                                    std::to_string(shared_bytes) + " bytes of shared memory: " + bad);
    return;
  }
  Scheduler& s = scheduler();
  s.prepare_launch(block.x * block.y * block.z, shared_bytes);
  s.body = thread_body, s.body_context = context;
  gridDim = grid, blockDim = block;
  uint64_t linear = 0;
  for (unsigned z = 0; z < grid.z; ++z)
    for (unsigned y = 0; y < grid.y; ++y)
      for (unsigned x = 0; x < grid.x; ++x, ++linear) {
        blockIdx = {x, y, z};
        if (!s.run_block(linear % 2 == 1, shared_bytes)) {
          record_error(cudaErrorLaunchFailure, s.fault_message + " in block " + dims(dim3(x, y, z)) + " of grid " +
                                                   dims(grid) + ", block " + dims(block));
          return;
        }
      }
}

void* dynamic_shared_memory() { return scheduler().dynamic_shared.data(); }

void fault(const char* what) { scheduler().raise(what); }

void sync_threads(const char* file, int line) { scheduler().arrive_at_barrier(file, line); }

const unsigned char* warp_exchange(unsigned mask, const void* data, size_t bytes, unsigned* participants) {
  return scheduler().exchange(mask, data, bytes, participants);
}

unsigned lane_id() { return scheduler().current % 32; }

unsigned ballot(unsigned mask, bool predicate) {
  unsigned participants = 0;
  const unsigned char* slots = warp_exchange(mask, &predicate, sizeof predicate, &participants);
  unsigned bits = 0;
  for (unsigned lane = 0; lane < 32; ++lane)
    if ((participants >> lane & 1u) && slots[lane * kSlotBytes] != 0) bits |= 1u << lane;
  return bits;
}

}  // namespace ironnet_emulation
