// The domain gate of one MPK-isolated instance: the single enter path (host → plugin) and
// exit path (plugin → host) of its protection domain, used by every call into the plugin
// and every host function the plugin calls, with fault containment around plugin code.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "runtime/domain_gate.h"
#include "runtime/trinity.h"

namespace trinity::isolation {

class KeyPool;
struct DomainRecord;

class MpkGate final : public DomainGate {
 public:
  MpkGate(KeyPool& pool, uint32_t slot);

  // Pins a hardware key for the domain, saves the caller's PKRU in the protected table,
  // switches to the plugin's PKRU (checked), runs `body` contained, switches back to the
  // saved PKRU (checked) — on return, on exception and after a contained fault.
  std::optional<Trap> RunPlugin(const std::function<void()>& body) override;
  // The reverse, with containment suspended: host code faults like host code.
  void RunHost(const std::function<void()>& body) override;

 private:
  void EnterPlugin(DomainRecord& r);
  void ExitToHost(DomainRecord& r);

  KeyPool& pool_;
  uint32_t slot_;
};

}  // namespace trinity::isolation
