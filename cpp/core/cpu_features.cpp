#include "ironnet/cpu_features.h"

#include <atomic>

#include "ironnet/errors.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif

namespace ironnet {
namespace {

#if defined(IRONNET_HAVE_X86_KERNELS)
// CPUID says what the core can do; XGETBV says what the OS saves on a context switch. Both must agree
// before a kernel may touch YMM/ZMM registers.
struct X86Features {
  bool avx2_fma = false;
  bool avx512 = false;
};

uint64_t read_xcr0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

X86Features detect_x86() {
  X86Features f;
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  const bool osxsave = ecx & (1u << 27), avx = ecx & (1u << 28), fma = ecx & (1u << 12);
  if (!osxsave || !avx) return f;
  const uint64_t xcr0 = read_xcr0();
  const bool os_ymm = (xcr0 & 0x6) == 0x6;             // SSE + AVX state
  const bool os_zmm = (xcr0 & 0xE6) == 0xE6;           // + opmask, ZMM_Hi256, Hi16_ZMM
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return f;
  const bool avx2 = ebx & (1u << 5);
  const bool avx512f = ebx & (1u << 16), avx512dq = ebx & (1u << 17);
  const bool avx512bw = ebx & (1u << 30), avx512vl = ebx & (1u << 31);
  f.avx2_fma = os_ymm && avx2 && fma;
  f.avx512 = f.avx2_fma && os_zmm && avx512f && avx512dq && avx512bw && avx512vl;
  return f;
}
#endif

CpuIsa detect_best() {
#if defined(IRONNET_HAVE_X86_KERNELS)
  const X86Features f = detect_x86();
  if (f.avx512) return CpuIsa::Avx512;
  if (f.avx2_fma) return CpuIsa::Avx2;
#endif
  return CpuIsa::Portable;
}

std::atomic<int>& active_slot() {
  static std::atomic<int> slot{static_cast<int>(best_supported_isa())};
  return slot;
}

}  // namespace

const char* isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::Portable: return "portable";
    case CpuIsa::Avx2: return "avx2";
    case CpuIsa::Avx512: return "avx512";
  }
  return "?";
}

CpuIsa parse_isa(const std::string& name) {
  for (CpuIsa isa : {CpuIsa::Portable, CpuIsa::Avx2, CpuIsa::Avx512})
    if (name == isa_name(isa)) return isa;
  fail<ValueError>("unknown CPU ISA '", name, "': expected 'portable', 'avx2' or 'avx512'");
}

CpuIsa best_supported_isa() {
  static const CpuIsa best = detect_best();
  return best;
}

bool isa_supported(CpuIsa isa) { return static_cast<int>(isa) <= static_cast<int>(best_supported_isa()); }

std::vector<CpuIsa> supported_isas() {
  std::vector<CpuIsa> out;
  for (int i = static_cast<int>(best_supported_isa()); i >= 0; --i) out.push_back(static_cast<CpuIsa>(i));
  return out;
}

CpuIsa active_isa() { return static_cast<CpuIsa>(active_slot().load(std::memory_order_relaxed)); }

void set_active_isa(CpuIsa isa) {
  if (!isa_supported(isa))
    fail<ValueError>("CPU ISA '", isa_name(isa), "' is not supported on this machine (best is '",
                     isa_name(best_supported_isa()), "')");
  active_slot().store(static_cast<int>(isa), std::memory_order_relaxed);
}

}  // namespace ironnet
