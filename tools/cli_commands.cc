// `trinity compile`, `asm`, `disasm` and `verify`: file-to-file and file-to-text commands
// that never run plugin code.
#include "tools/cli_commands.h"

#include <cstdio>

#include "lang/disassembler.h"
#include "runtime/module_writer.h"
#include "tools/cli_input.h"

namespace trinity::cli {

int Report(const Failure& failure) {
  std::fflush(stdout);
  std::fputs(failure.message.c_str(), stderr);
  return failure.status;
}

int CompileCommand(const CliArgs& args) {
  auto input = ReadInput(args.input, CompileLimitsFrom(args));
  if (!input) return Report(input.error());
  InputKind want = args.command == Command::kAsm ? InputKind::kAssembly : InputKind::kSource;
  if (input->kind != want) {
    return Report(Failure{kExitUsage, std::string("trinity: ") +
                                          (want == InputKind::kAssembly ? "asm expects a .tasm"
                                                                        : "compile expects a .tri") +
                                          " file, got " + args.input + "\n"});
  }
  auto module = ToModule(input.value());
  if (!module) return Report(module.error());
  auto written = WriteOutput(args.output, WriteModule(module.value()));
  if (!written) return Report(written.error());
  return kExitOk;
}

int DisasmCommand(const CliArgs& args) {
  auto input = ReadInput(args.input, CompileLimitsFrom(args));
  if (!input) return Report(input.error());
  auto module = ToModule(input.value());
  if (!module) return Report(module.error());
  std::string text = lang::Disassemble(module.value());
  std::fwrite(text.data(), 1, text.size(), stdout);
  return kExitOk;
}

int VerifyCommand(const CliArgs& args) {
  auto input = ReadInput(args.input, CompileLimitsFrom(args));
  if (!input) return Report(input.error());
  auto module = LoadVerified(input.value());
  if (!module) return Report(module.error());
  std::puts("ok");
  return kExitOk;
}

}  // namespace trinity::cli
