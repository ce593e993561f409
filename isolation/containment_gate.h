// The gate used where MPK is unavailable (or not wanted): no domain switch, only fault
// containment, so seccomp traps still end the call with a Trap instead of the process.
#pragma once

#include <functional>
#include <optional>

#include "runtime/domain_gate.h"
#include "runtime/trinity.h"

namespace trinity::isolation {

class ContainmentGate final : public DomainGate {
 public:
  std::optional<Trap> RunPlugin(const std::function<void()>& body) override;
  void RunHost(const std::function<void()>& body) override;
};

}  // namespace trinity::isolation
