// Help and version text of the `trinity` command, one place for every command's usage.
#pragma once

#include <string>
#include <string_view>

#include "tools/cli_args.h"

namespace trinity::cli {

inline constexpr std::string_view kVersionText = "trinity 0.1.0 (bytecode 1.0)\n";

std::string_view OverallHelp();
// Run's and compile's texts show the limits' defaults (Limits, lang::CompileLimits).
std::string CommandHelp(Command command);

}  // namespace trinity::cli
