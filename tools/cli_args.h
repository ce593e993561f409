// Command-line parsing for the `trinity` command: which command, which file, which
// limits. Parsing never exits; a bad command line comes back as a kExitUsage Failure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/result.h"
#include "runtime/trinity.h"
#include "tools/cli_status.h"

namespace trinity::cli {

enum class Command { kHelp, kVersion, kRun, kCompile, kAsm, kDisasm, kVerify, kPolicy, kAttest, kAudit };

// `run --sandbox`: which seccomp policy the process locks itself into before plugin code
// runs. `run --isolate`: where plugin code runs.
enum class Isolate { kDefault, kNone, kMpk, kProcess };

struct CliArgs {
  Command command = Command::kHelp;
  std::optional<Command> help_for;  // `trinity COMMAND --help`
  std::string input;                // as given on the command line
  std::string output;               // -o
  std::optional<std::string> entry;  // run --entry
  std::optional<uint64_t> fuel;
  std::optional<uint64_t> max_heap;
  std::optional<uint64_t> max_depth;
  std::optional<uint64_t> max_stack;
  std::optional<uint64_t> timeout_ms;
  std::optional<uint64_t> max_source;          // run, compile: CompileLimits
  std::optional<uint64_t> max_compile_memory;
  std::vector<std::string> plugin_args;  // run: after `--`
  std::string sandbox;                   // run, attest: "strict", "server", "none"; "" = default
  Isolate isolate = Isolate::kDefault;
  ExecutionTier tier = ExecutionTier::kFast;  // run --tier
  bool jit = false;                      // run --jit=on|off
  std::optional<uint64_t> jit_hot;       // run --jit-hot=N: back-edges before recording
  bool perf_map = false;                 // run --perf-map: /tmp/perf-PID.map for perf report
  bool jit_stats = false;                // run --jit-stats: traces, aborts, code size on stderr
  std::vector<std::string> allow_read, allow_write, allow_append;  // run: grants
  std::string policy_action;             // policy: "show" or "list"
  std::string policy_name;               // policy show NAME
  std::vector<std::string> audit_words;  // audit: its options, parsed by cli_audit.cc
};

// argv without the program name.
Result<CliArgs, Failure> ParseArgs(const std::vector<std::string>& argv);

}  // namespace trinity::cli
