// Element types and devices a Tensor can have.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace ironnet {

// float32 is the compute type; the integer types hold labels and indices.
enum class DType : uint8_t { Float32 = 0, Int32 = 1, Int64 = 2 };

inline size_t itemsize(DType dtype) { return dtype == DType::Int64 ? 8 : 4; }

inline const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::Float32: return "float32";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
  }
  return "?";
}

enum class DeviceType : uint8_t { CPU = 0, CUDA = 1 };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  bool operator==(const Device& other) const { return type == other.type && index == other.index; }
  bool operator!=(const Device& other) const { return !(*this == other); }
  // "cpu", "cuda" (device 0) or "cuda:N".
  std::string str() const {
    if (is_cpu()) return "cpu";
    return index == 0 ? "cuda" : "cuda:" + std::to_string(index);
  }
};

}  // namespace ironnet
