// `trinity run`: load (always through the verifier), instantiate with the command-line
// limits and the CLI's host functions, run the top-level code, then call the entry.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "runtime/module.h"
#include "runtime/trinity.h"
#include "tools/cli_commands.h"
#include "tools/cli_host_functions.h"
#include "tools/cli_input.h"

namespace trinity::cli {
namespace {

Limits LimitsFrom(const CliArgs& args) {
  Limits limits;
  if (args.fuel) limits.fuel = *args.fuel;
  if (args.max_heap) limits.max_heap_bytes = static_cast<size_t>(*args.max_heap);
  if (args.max_depth) limits.max_depth = static_cast<uint32_t>(*args.max_depth);
  if (args.timeout_ms) {
    // Clamp so the deadline arithmetic inside the VM cannot overflow.
    uint64_t ms = std::min<uint64_t>(*args.timeout_ms, uint64_t{1} << 40);
    limits.timeout = std::chrono::milliseconds(static_cast<int64_t>(ms));
  }
  return limits;
}

// Kind, message, innermost function and line, then one line per frame.
int ReportTrap(const Trap& trap, const Module& module, const std::string& input_name) {
  const std::string& file = module.source_name.empty() ? input_name : module.source_name;
  std::string out = "trinity: trap: " + trap.ToString() + "\n";
  for (const TrapFrame& frame : trap.stack) {
    out += "  at fn " + frame.function + " (" + file;
    if (frame.line != 0) out += ":" + std::to_string(frame.line);
    out += ")\n";
  }
  return Report(Failure{kExitTrap, out});
}

void PrintResult(const HostValue& v) {
  if (v.type == HostValue::Type::kNil) return;
  std::string text = v.ToString() + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
}

}  // namespace

int RunCommand(const CliArgs& args) {
  auto input = ReadInput(args.input);
  if (!input) return Report(input.error());
  auto module = LoadVerified(input.value());
  if (!module) return Report(module.error());
  const Module& m = *module.value();

  std::string entry;
  if (args.entry) {
    if (m.FindExport(*args.entry) == kNoFunction) {
      std::string known;
      for (const Export& e : m.exports) known += (known.empty() ? "" : ", ") + e.name;
      return Report(Failure{kExitUsage, "trinity: " + args.input + " exports no function '" +
                                            *args.entry + "' (exports: " +
                                            (known.empty() ? "none" : known) + ")\n"});
    }
    entry = *args.entry;
  } else if (m.FindExport("main") != kNoFunction) {
    entry = "main";
  }

  InstanceOptions options;
  options.limits = LimitsFrom(args);
  options.print = [](std::string_view s) { std::fwrite(s.data(), 1, s.size(), stdout); };
  HostFunctions host = CliHostFunctions();
  auto instance = Instance::Create(module.value(), host, options);
  if (!instance) {
    return Report(Failure{kExitInvalidInput,
                          "trinity: cannot instantiate " + args.input + ": " +
                              instance.error() + "\n"});
  }
  auto started = instance.value()->Start();
  if (!started) return ReportTrap(started.error(), m, args.input);
  if (entry.empty()) return kExitOk;

  std::vector<HostValue> call_args;
  for (const std::string& a : args.plugin_args) call_args.push_back(HostValue::String(a));
  auto result = instance.value()->Call(entry, call_args);
  if (!result) return ReportTrap(result.error(), m, args.input);
  PrintResult(result.value());
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace trinity::cli
