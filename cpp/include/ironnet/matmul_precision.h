// Whether float32 matrix products on CUDA may run on TF32 tensor cores, the counterpart of
// torch.backends.cuda.matmul.allow_tf32. TF32 rounds each input to 10 mantissa bits (relative error
// up to 2^-11 per input) and accumulates in float32: about 8x the float32 throughput, at about 1e-3
// relative accuracy. Off by default, so results match the CPU to float32 accuracy unless a user opts
// in. One process-wide switch, read by every CUDA GEMM launch (so it also covers the GEMMs inside
// other ops); header-only so that both the core and the CUDA library see the same flag.
#pragma once
#include <atomic>

namespace ironnet {

namespace detail {
inline std::atomic<bool> allow_tf32_flag{false};
}  // namespace detail

inline bool allow_tf32() { return detail::allow_tf32_flag.load(std::memory_order_relaxed); }
inline void set_allow_tf32(bool allow) { detail::allow_tf32_flag.store(allow, std::memory_order_relaxed); }

}  // namespace ironnet
