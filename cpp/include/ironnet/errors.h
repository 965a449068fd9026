// Typed errors thrown by op entry points; the bindings turn them into Python exceptions.
#pragma once
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace ironnet {

// Becomes ValueError: bad shapes, sizes or argument values.
struct ValueError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Becomes TypeError: wrong dtype or wrong kind of argument.
struct TypeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Becomes RuntimeError: the device or its driver failed (e.g. a CUDA call).
struct DeviceError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline std::string shape_str(const std::vector<int64_t>& shape) {
  std::ostringstream out;
  out << '(';
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  if (shape.size() == 1) out << ',';
  out << ')';
  return out.str();
}

// Builds a message from any streamable pieces: fail<ValueError>("gemm: ", a, " vs ", b).
template <class Error, class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  throw Error(out.str());
}

}  // namespace ironnet
