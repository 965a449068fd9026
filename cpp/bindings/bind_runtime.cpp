// Build facts, threads, CPU ISA choice and CUDA device queries: what show_config() reports.
#include <omp.h>
#include <pybind11/stl.h>

#include "bindings/common.h"
#include "ironnet/cpu_features.h"
#include "ironnet/cuda_api.h"
#include "ironnet/fma_peak.h"
#include "ironnet/matmul_precision.h"
#include "ironnet/parallel.h"

#ifndef IRONNET_VERSION
#define IRONNET_VERSION "dev"
#endif
#ifndef IRONNET_COMPILER
#define IRONNET_COMPILER "unknown"
#endif

namespace ironnet::bindings {

void bind_runtime(py::module_& m) {
  m.def("build_info", [] {
    py::dict info;
    info["version"] = IRONNET_VERSION;
    info["compiler"] = IRONNET_COMPILER;
    info["openmp"] = _OPENMP;
    info["cuda_compiled"] = cuda::compiled();
    info["cuda_runtime"] = cuda::runtime_version();
    return info;
  });

  m.def("get_num_threads", &get_num_threads);
  m.def("set_num_threads", &set_num_threads, py::arg("n"));

  m.def("get_cpu_isa", [] { return std::string(isa_name(active_isa())); });
  m.def("set_cpu_isa", [](const std::string& name) { set_active_isa(parse_isa(name)); }, py::arg("isa"));
  m.def("best_cpu_isa", [] { return std::string(isa_name(best_supported_isa())); });
  m.def("supported_cpu_isas", [] {
    std::vector<std::string> names;
    for (CpuIsa isa : supported_isas()) names.emplace_back(isa_name(isa));
    return names;
  });

  m.def(
      "measure_fma_peak",
      [](int threads, const std::string& isa, double seconds) { return measure_fma_peak(threads, parse_isa(isa), seconds); },
      py::arg("threads"), py::arg("isa"), py::arg("seconds") = 0.2, py::call_guard<py::gil_scoped_release>());

  m.def("cuda_compiled", &cuda::compiled);
  m.def("cuda_device_count", &cuda::device_count);
  m.def("cuda_device_name", &cuda::device_name, py::arg("index") = 0);
  m.def("cuda_synchronize", &cuda::synchronize, py::arg("index") = 0, py::call_guard<py::gil_scoped_release>());
  m.def("cuda_allow_tf32", &allow_tf32);
  m.def("cuda_set_allow_tf32", &set_allow_tf32, py::arg("allow"));
  m.def(
      "cuda_memory_stats",
      [](int index) {
        const cuda::MemoryStats s = cuda::memory_stats(index);
        py::dict out;
        out["allocated"] = s.allocated;
        out["reserved"] = s.reserved;
        out["peak_allocated"] = s.peak_allocated;
        return out;
      },
      py::arg("index") = 0);
  m.def("cuda_empty_cache", &cuda::empty_cache, py::call_guard<py::gil_scoped_release>());
}

}  // namespace ironnet::bindings
