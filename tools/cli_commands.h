// The `trinity` subcommands. Each returns the process exit status (cli_status.h) and
// writes its output and diagnostics itself.
#pragma once

#include "tools/cli_args.h"

namespace trinity::cli {

int RunCommand(const CliArgs& args);      // cli_run.cc
int CompileCommand(const CliArgs& args);  // compile and asm: input -> .tbc
int DisasmCommand(const CliArgs& args);
int VerifyCommand(const CliArgs& args);
int PolicyCommand(const CliArgs& args);    // cli_policy.cc
int AttestCommand(const CliArgs& args);    // cli_attest.cc
int AuditCommand(const CliArgs& args);     // cli_audit.cc

// Prints a Failure's message on stderr and returns its status.
int Report(const Failure& failure);

}  // namespace trinity::cli
