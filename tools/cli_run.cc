// `trinity run`: load (always through the verifier), instantiate with the command-line
// limits and the CLI's host functions, lock down (--sandbox), run the top-level code, then
// call the entry — in this process, or in a sandboxed worker (--isolate=process).
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "isolation/containment_gate.h"
#include "isolation/kernel_checks.h"
#include "isolation/mpk_isolation.h"
#include "isolation/process_tier.h"
#include "jit/trace_jit.h"
#include "runtime/module.h"
#include "runtime/trinity.h"
#include "tools/cli_commands.h"
#include "tools/cli_input.h"
#include "tools/cli_sandbox.h"

namespace trinity::cli {
namespace {

Limits LimitsFrom(const CliArgs& args) {
  Limits limits;
  if (args.fuel) limits.fuel = *args.fuel;
  if (args.max_heap) limits.max_heap_bytes = static_cast<size_t>(*args.max_heap);
  if (args.max_depth) limits.max_depth = static_cast<uint32_t>(*args.max_depth);
  if (args.max_stack) limits.max_stack_bytes = static_cast<size_t>(*args.max_stack);
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

// --isolate=process: one strict worker runs the whole plugin; its output streams back
// while it runs. Grants are opened in the worker, before it locks itself down.
int RunInWorker(const CliArgs& args, const SandboxPlan& plan, std::vector<uint8_t> bytes,
                const Module& m, const std::string& entry) {
  // Fail on bad grants here, with the usual message, rather than inside the worker.
  if (auto host = SandboxedHostFunctions(args); !host) return Report(host.error());
  isolation::ProcessSupervisor::Options options;
  options.policy = plan.policy;
  options.without_landlock = isolation::WithoutLandlock::kLoad;
  NoteIfProcStaysVisible(plan);
  options.make_host = [&args] {
    auto host = SandboxedHostFunctions(args);
    return host ? std::move(host.value()) : HostFunctions{};
  };
  auto supervisor = isolation::ProcessSupervisor::Start(std::move(options));
  if (!supervisor) return Report(Failure{kExitInvalidInput, "trinity: " + supervisor.error() + "\n"});
  isolation::ProcessRequest request;
  request.module = std::move(bytes);
  request.entry = entry;
  request.args = args.plugin_args;
  request.limits = LimitsFrom(args);
  // Output is written as the worker produces it: none of it waits for the result.
  isolation::ProcessResult result = supervisor.value()->Run(
      request, [](std::string_view text) {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);  // the worker's host functions write to stderr directly
      });
  if (result.setup_error) {
    return Report(Failure{kExitInvalidInput, "trinity: cannot run " + args.input + " in a worker: " +
                                                 *result.setup_error + "\n"});
  }
  if (result.trap) return ReportTrap(*result.trap, m, args.input);
  if (result.result) std::fputs((*result.result + "\n").c_str(), stdout);
  std::fflush(stdout);
  return kExitOk;
}

// In this process: the instance is created, then the process locks down, then plugin code
// runs. After lock-down the command only prints and exits.
// --jit-stats: what the JIT did, on stderr.
void PrintJitStats(const jit::TraceJit& tracer) {
  const jit::JitStats& s = tracer.stats();
  std::fprintf(stderr,
               "trinity: jit: %llu traces + %llu tree paths (%llu bytes of code, %.3f ms "
               "compiling), %llu aborts, %llu loops left to the interpreter, %llu trace "
               "entries, %llu side exits\n",
               static_cast<unsigned long long>(s.traces.load()),
               static_cast<unsigned long long>(s.tree_paths.load()),
               static_cast<unsigned long long>(s.code_bytes.load()), s.compile_ns.load() / 1e6,
               static_cast<unsigned long long>(s.aborts.load()),
               static_cast<unsigned long long>(s.blacklisted.load()),
               static_cast<unsigned long long>(s.entries.load()),
               static_cast<unsigned long long>(s.exits.load()));
  if (!tracer.last_abort().empty()) {
    std::fprintf(stderr, "trinity: jit: last abort: %s\n", tracer.last_abort().c_str());
  }
}

int RunHere(const CliArgs& args, SandboxPlan plan,
            std::shared_ptr<const Module> module, const std::string& entry) {
  const Module& m = *module;
  auto host = SandboxedHostFunctions(args);
  if (!host) return Report(host.error());
  InstanceOptions options;
  options.limits = LimitsFrom(args);
  options.tier = args.tier;
  options.print = [](std::string_view s) { std::fwrite(s.data(), 1, s.size(), stdout); };
  std::shared_ptr<jit::TraceJit> tracer;
  if (args.jit && args.tier == ExecutionTier::kFast) {
    jit::JitOptions jit_options;
    if (args.jit_hot) jit_options.hot_loop = static_cast<int32_t>(*args.jit_hot);
    jit_options.perf_map = args.perf_map;
    // Developers: TRINITY_JIT_DUMP=1 prints every trace's IR and every abort.
    const char* dump = std::getenv("TRINITY_JIT_DUMP");
    jit_options.dump = dump != nullptr && *dump != '\0' && std::string_view(dump) != "0";
    if (plan.isolate == Isolate::kMpk && isolation::MpkAvailable()) {
      // Trace code carries the host-protected key: plugin code can run it, not touch it.
      jit_options.tag_code = [](void* base, size_t length) {
        return isolation::ProtectHostRegion(base, length, PROT_NONE).ok();
      };
    }
    // Where the kernel module is loaded, it checks every trace's pages are read+execute
    // only and traces them (trinity:jit_code); a refusal means W^X does not hold, and the
    // process stops rather than run that code.
    jit_options.on_publish = [](const void* code, size_t size, const std::string& name) {
      auto registered = isolation::RegisterJitCode(code, size, name);
      if (!registered.ok()) {
        std::fprintf(stderr, "trinity: the kernel refuses JIT code %s: %s\n", name.c_str(),
                     registered.error().c_str());
        std::fflush(stderr);
        std::_Exit(kExitSoftware);
      }
    };
    tracer = jit::MakeTraceJit(jit_options);
    if (tracer->code_region().base == nullptr) {
      return Report(Failure{kExitInvalidInput,
                            "trinity: --jit=on: " + tracer->arena_error() + "\n"});
    }
    options.jit = tracer;
    plan.jit_code = isolation::JitCodeRegion{reinterpret_cast<uintptr_t>(tracer->code_region().base),
                                             tracer->code_region().size};
  }
  // Declared before the instance, which must be destroyed first.
  std::unique_ptr<isolation::MpkDomain> domain;
  isolation::ContainmentGate containment;
  if (plan.isolate == Isolate::kMpk) {
    // All the memory the instance may use is reserved and tagged here, before lock-down.
    auto created = isolation::MpkDomain::Create(plan.mpk_required
                                                    ? isolation::IsolationPolicy::kRequired
                                                    : isolation::IsolationPolicy::kPreferred,
                                                options.limits);
    if (!created) return Report(Failure{kExitInvalidInput, "trinity: " + created.error() + "\n"});
    domain = std::move(created.value());
    domain->Configure(options);
  } else if (plan.policy != nullptr) {
    options.gate = &containment;  // seccomp traps end the call, not the process
  }
  auto instance = Instance::Create(std::move(module), host.value(), options);
  if (!instance) {
    return Report(Failure{kExitInvalidInput,
                          "trinity: cannot instantiate " + args.input + ": " +
                              instance.error() + "\n"});
  }
  if (auto locked = LockDown(plan); !locked) return Report(locked.error());
  auto finish = [&](int status) {
    if (args.jit_stats && tracer) PrintJitStats(*tracer);
    if (plan.policy != nullptr) ExitLockedDown(status);
    return status;
  };
  auto started = instance.value()->Start();
  if (!started) return finish(ReportTrap(started.error(), m, args.input));
  if (entry.empty()) return finish(kExitOk);

  std::vector<HostValue> call_args;
  for (const std::string& a : args.plugin_args) call_args.push_back(HostValue::String(a));
  auto result = instance.value()->Call(entry, call_args);
  if (!result) return finish(ReportTrap(result.error(), m, args.input));
  PrintResult(result.value());
  std::fflush(stdout);
  return finish(kExitOk);
}

}  // namespace

int RunCommand(const CliArgs& args) {
  auto input = ReadInput(args.input, CompileLimitsFrom(args));
  if (!input) return Report(input.error());
  // Compiled (or assembled) once: the worker gets these same bytes.
  auto bytes = ToBytes(input.value());
  if (!bytes) return Report(bytes.error());
  auto module = LoadVerified(input.value(), bytes.value());
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

  const SandboxPlan plan = PlanSandbox(args);
  if (plan.isolate == Isolate::kProcess) {
    if (args.tier != ExecutionTier::kFast) {
      return Report(Failure{kExitUsage, "trinity: --tier=reference runs in this process only; "
                                        "drop --isolate=process\n"});
    }
    if (args.jit) {
      return Report(Failure{kExitUsage, "trinity: --jit=on runs in this process only (process "
                                        "workers interpret); drop --isolate=process\n"});
    }
    return RunInWorker(args, plan, std::move(bytes.value()), m, entry);
  }
  return RunHere(args, plan, module.value(), entry);
}

}  // namespace trinity::cli
