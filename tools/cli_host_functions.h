// The host functions the `trinity` command offers to plugins: log, clock_ms, getenv.
// `trinity run --help` documents them; keep the two in step.
#pragma once

#include "runtime/trinity.h"

namespace trinity::cli {

HostFunctions CliHostFunctions();

}  // namespace trinity::cli
