// ContainmentGate: RunContained around plugin code, containment suspended around host code.
#include "isolation/containment_gate.h"

#include "isolation/fault_containment.h"

namespace trinity::isolation {

std::optional<Trap> ContainmentGate::RunPlugin(const std::function<void()>& body) {
  std::optional<ContainedFault> fault = RunContained(body);
  if (!fault) return std::nullopt;
  return TrapFromFault(*fault);
}

void ContainmentGate::RunHost(const std::function<void()>& body) {
  ContainmentSuspension suspended;
  body();
}

}  // namespace trinity::isolation
