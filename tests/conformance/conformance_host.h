// The host functions conformance programs import (host_add, host_fail), shared by every
// tier, and the conversion of a Trap into what the suite compares.
#pragma once

#include "runtime/trinity.h"
#include "tests/conformance/tier.h"

namespace trinity::conformance {

HostFunctions ConformanceHost();

// A Trap as the suite compares it.
TrapInfo ToTrapInfo(const Trap& trap);

}  // namespace trinity::conformance
