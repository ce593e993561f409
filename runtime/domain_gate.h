// The hook through which the isolation layer wraps plugin execution: the runtime calls
// RunPlugin around the interpreter loop and RunHost around every host function it calls
// from there, without knowing what the gate does (MPK domain switches, fault containment).
#pragma once

#include <functional>
#include <optional>

namespace trinity {

struct Trap;

class DomainGate {
 public:
  virtual ~DomainGate() = default;
  // Runs `body` — plugin execution — inside the plugin's protection domain and returns to
  // the caller's domain afterwards on every path. If the gate contains a fault while
  // `body` runs (for example a protection-key violation), `body` is abandoned and the
  // gate returns the Trap describing it; the runtime then resets the instance, because
  // the abandoned execution may have left its heap half-updated.
  virtual std::optional<Trap> RunPlugin(const std::function<void()>& body) = 0;
  // Runs `body` — a host function called by the plugin — back in the host's domain, and
  // re-enters the plugin's domain afterwards (also when `body` throws).
  virtual void RunHost(const std::function<void()>& body) = 0;
};

}  // namespace trinity
