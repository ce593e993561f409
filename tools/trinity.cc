// The `trinity` command: run, compile, assemble, disassemble and verify plugins.
// This file only dispatches; each command lives in its own cli_*.cc file.
#include <cstdio>
#include <string>
#include <vector>

#include "tools/cli_args.h"
#include "tools/cli_commands.h"
#include "tools/cli_help.h"
#include "tools/cli_sandbox.h"

int main(int argc, char** argv) {
  using namespace trinity::cli;
  std::vector<std::string> words(argv + (argc > 0 ? 1 : 0), argv + argc);
  auto parsed = ParseArgs(words);
  if (!parsed) return Report(parsed.error());
  const CliArgs& args = parsed.value();
  switch (args.command) {
    case Command::kHelp: {
      std::string text = args.help_for ? CommandHelp(*args.help_for) : std::string(OverallHelp());
      if (args.help_for == Command::kRun) text += "\n" + MpkStatusLine();
      std::fwrite(text.data(), 1, text.size(), stdout);
      return kExitOk;
    }
    case Command::kVersion: {
      std::string text = std::string(kVersionText) + MpkStatusLine();
      std::fwrite(text.data(), 1, text.size(), stdout);
      return kExitOk;
    }
    case Command::kRun: return RunCommand(args);
    case Command::kCompile:
    case Command::kAsm: return CompileCommand(args);
    case Command::kDisasm: return DisasmCommand(args);
    case Command::kVerify: return VerifyCommand(args);
    case Command::kPolicy: return PolicyCommand(args);
    case Command::kAttest: return AttestCommand(args);
    case Command::kAudit: return AuditCommand(args);
  }
  return kExitUsage;
}
