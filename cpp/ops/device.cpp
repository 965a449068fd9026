#include "ops/device.h"

#include <sstream>

#include "ironnet/errors.h"

namespace ironnet::ops {

Device common_device(const char* op, std::initializer_list<NamedTensor> tensors) {
  const Tensor* first = nullptr;
  bool mixed = false;
  for (const auto& [name, tensor] : tensors) {
    if (tensor == nullptr || !tensor->defined()) continue;
    if (first == nullptr)
      first = tensor;
    else if (tensor->device() != first->device())
      mixed = true;
  }
  if (first == nullptr) fail<ValueError>(op, ": no tensor to take the device from");
  if (!mixed) return first->device();
  std::ostringstream list;
  const char* separator = "";
  for (const auto& [name, tensor] : tensors) {
    if (tensor == nullptr || !tensor->defined()) continue;
    list << separator << name << ' ' << shape_str(tensor->shape()) << " on " << tensor->device().str();
    separator = ", ";
  }
  fail<ValueError>(op, ": tensors are on different devices: ", list.str(),
                   "; move them to one device with .to(...) first");
}

}  // namespace ironnet::ops
