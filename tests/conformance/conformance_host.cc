// host_add keeps ints as ints so programs can tell a host result from a float promotion;
// host_fail turns its argument into a host error.
#include "tests/conformance/conformance_host.h"

#include <string>

namespace trinity::conformance {

HostFunctions ConformanceHost() {
  HostFunctions host;
  host.Register("host_add", 2, [](HostArgs args) -> Result<HostValue, std::string> {
    if (args.IsInt(0) && args.IsInt(1)) {
      return HostValue::Int(static_cast<int64_t>(static_cast<uint64_t>(args.Int(0)) +
                                                 static_cast<uint64_t>(args.Int(1))));
    }
    return HostValue::Float(args.Number(0) + args.Number(1));
  });
  host.Register("host_fail", 1, [](HostArgs args) -> Result<HostValue, std::string> {
    return Err(std::string(args.String(0)));
  });
  return host;
}

std::shared_ptr<const Module> LoadProgram(const Program& program, std::optional<std::string>& error) {
  auto module = LoadModule(program.module);
  if (!module.ok()) {
    error = "load failed: " + module.error().ToString();
    return nullptr;
  }
  return module.value();
}

InstanceOptions ProgramOptions(const Program& program, std::string& output) {
  InstanceOptions options;
  options.limits = program.limits;
  options.print = [&output](std::string_view text) { output.append(text); };
  return options;
}

TrapInfo ToTrapInfo(const Trap& trap) {
  std::string stack;
  for (const TrapFrame& f : trap.stack) stack += f.function + ":" + std::to_string(f.line) + " ";
  return TrapInfo{std::string(TrapKindName(trap.kind)), trap.line, trap.message, trap.ToString(),
                  stack};
}

Outcome RunOnTier(const Program& program, ExecutionTier tier) {
  Outcome out;
  std::shared_ptr<const Module> module = LoadProgram(program, out.setup_error);
  if (!module) return out;
  InstanceOptions options = ProgramOptions(program, out.output);
  options.tier = tier;
  auto instance = Instance::Create(module, ConformanceHost(), options);
  if (!instance.ok()) {
    out.setup_error = "instance creation failed: " + instance.error();
    return out;
  }
  auto result = instance.value()->Start();
  if (!result.ok()) out.trap = ToTrapInfo(result.error());
  out.fuel_used = instance.value()->fuel_used();
  return out;
}

}  // namespace trinity::conformance
