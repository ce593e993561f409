// Execution tiers for the conformance suite: every tier (interpreter, JIT, MPK-isolated,
// process sandbox, ...) runs the same compiled programs and reports the same Outcome, so
// one set of .tri expectations checks them all. A tier registers itself at static init.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/trinity.h"

namespace trinity::conformance {

// A compiled conformance program, ready to load.
struct Program {
  std::string name;              // file stem, e.g. "arith_int_wrap"
  std::string path;              // for messages
  std::vector<uint8_t> module;   // wire-format bytes from WriteModule
  Limits limits;
};

struct TrapInfo {
  std::string kind;      // TrapKindName(): "division by zero", ...
  uint32_t line = 0;
  std::string message;
  std::string text;      // Trap::ToString(), for failure messages
  std::string stack;     // every frame as "function:line", innermost first
};

struct Outcome {
  std::string output;                 // everything print() wrote
  std::optional<TrapInfo> trap;       // how top-level code ended, if it trapped
  std::optional<std::string> setup_error;  // load/link failure: the program never ran
  uint64_t fuel_used = 0;             // Instance::fuel_used() after the run, where known
};

class Tier {
 public:
  virtual ~Tier() = default;
  virtual std::string Name() const = 0;  // identifier-safe: becomes part of test names
  virtual Outcome Run(const Program& program) = 0;
};

// Tiers live for the whole process; registration order is the instantiation order.
void RegisterTier(std::unique_ptr<Tier> tier);
const std::vector<std::unique_ptr<Tier>>& RegisteredTiers();

// Used by tier files: `static TierRegistration reg(std::make_unique<MyTier>());`
struct TierRegistration {
  explicit TierRegistration(std::unique_ptr<Tier> tier) { RegisterTier(std::move(tier)); }
};

}  // namespace trinity::conformance
