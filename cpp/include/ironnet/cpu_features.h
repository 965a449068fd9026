// Which SIMD instruction set the CPU kernels use, detected once by CPUID and overridable for tests.
#pragma once
#include <string>
#include <vector>

namespace ironnet {

enum class CpuIsa { Portable = 0, Avx2 = 1, Avx512 = 2 };

const char* isa_name(CpuIsa isa);
// Parses "portable", "avx2" or "avx512"; throws ValueError otherwise.
CpuIsa parse_isa(const std::string& name);

// The best ISA this CPU and OS support and this build compiled kernels for.
CpuIsa best_supported_isa();
// Every ISA usable here, best first.
std::vector<CpuIsa> supported_isas();
bool isa_supported(CpuIsa isa);

// The ISA kernels use now: best_supported_isa() unless set_active_isa chose a lesser one.
CpuIsa active_isa();
// Throws ValueError when `isa` is not supported on this machine.
void set_active_isa(CpuIsa isa);

}  // namespace ironnet
