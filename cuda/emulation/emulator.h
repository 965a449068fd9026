// What the emulated runtime (runtime.cpp) and the block scheduler (scheduler.cpp) share.
#pragma once
#include <cuda_runtime.h>

#include <string>

namespace ironnet_emulation {

// Makes `error` the calling host thread's last error (what cudaGetLastError returns next);
// cudaGetErrorString(error) then adds `detail`.
void record_error(cudaError_t error, const std::string& detail);

}  // namespace ironnet_emulation
