// Marks a function compiled for both the host and the GPU when nvcc compiles the including file, and
// a plain host function otherwise: one definition shared by the CPU and CUDA kernels, so both devices
// compute the same thing by construction (see dropout_mask.h, image_taps.h).
#pragma once

#if defined(__CUDACC__)
#define IRONNET_HOST_DEVICE __host__ __device__
#else
#define IRONNET_HOST_DEVICE
#endif
