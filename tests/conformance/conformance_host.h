// The host functions conformance programs import (host_add, host_fail), shared by every
// tier, and the conversion of a Trap into what the suite compares.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "runtime/trinity.h"
#include "tests/conformance/tier.h"

namespace trinity::conformance {

HostFunctions ConformanceHost();

// Loads (reads and verifies) a program's module; on failure sets `error` to
// "load failed: ..." and returns null.
std::shared_ptr<const Module> LoadProgram(const Program& program, std::optional<std::string>& error);

// Options every tier starts from: the program's limits, print() appended to `output`.
InstanceOptions ProgramOptions(const Program& program, std::string& output);

// A Trap as the suite compares it.
TrapInfo ToTrapInfo(const Trap& trap);

// Runs a program's top-level code on one interpreter tier, unisolated, as a host would.
Outcome RunOnTier(const Program& program, ExecutionTier tier);

}  // namespace trinity::conformance
