// Input files of the `trinity` command: path resolution (bazel run), reading, and turning
// .tri / .tasm / .tbc into a module. Running always goes through LoadModule, so whatever
// the input kind, the verifier sees the bytes before any plugin code runs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lang/compiler.h"
#include "runtime/module.h"
#include "runtime/result.h"
#include "tools/cli_args.h"
#include "tools/cli_status.h"

namespace trinity::cli {

enum class InputKind { kSource, kBytecode, kAssembly };

struct Input {
  std::string name;  // as given; used in messages and as the module's source name
  InputKind kind = InputKind::kBytecode;
  std::string bytes;
  lang::CompileLimits compile;  // for a source: what compiling it may use
};

// Relative paths are taken from $BUILD_WORKING_DIRECTORY when set (under `bazel run` the
// process starts in the runfiles tree, not where the user typed the command).
std::string ResolvePath(const std::string& path);

// A source is read only up to one byte past compile.max_source_bytes (the compiler then
// reports it as too large); other inputs up to the module size cap.
Result<Input, Failure> ReadInput(const std::string& path, const lang::CompileLimits& compile = {});
// --max-source and --max-compile-memory over the defaults.
lang::CompileLimits CompileLimitsFrom(const CliArgs& args);
Result<Unit, Failure> WriteOutput(const std::string& path, const std::vector<uint8_t>& bytes);

// Compiles or assembles as needed; bytecode is parsed but not verified.
Result<Module, Failure> ToModule(const Input& input);
// Wire bytes: bytecode as read, anything else through ToModule + WriteModule.
Result<std::vector<uint8_t>, Failure> ToBytes(const Input& input);
// ToBytes + LoadModule (parse and verify).
Result<std::shared_ptr<const Module>, Failure> LoadVerified(const Input& input);
// LoadModule on wire bytes already made from `input` (so a source is compiled only once).
Result<std::shared_ptr<const Module>, Failure> LoadVerified(const Input& input,
                                                            const std::vector<uint8_t>& bytes);

}  // namespace trinity::cli
