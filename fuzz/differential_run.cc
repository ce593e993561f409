// RunTranscript and CheckTiersAgree: the fast tier must be indistinguishable from the
// reference tier (runtime/fast_interpreter.md), on any verified module.
#include "fuzz/differential_run.h"

#include <algorithm>
#include <vector>

#include "fuzz/checked_run.h"
#include "fuzz/invariants.h"
#include "fuzz/module_generator.h"
#include "runtime/verifier.h"

namespace trinity::fuzz {
namespace {

void Record(std::string& out, const Instance& instance, const Result<HostValue, Trap>& r,
            std::string_view what, bool heap) {
  out += "== ";
  out += what;
  if (r.ok()) {
    out += "\nresult: " + r.value().ToString();
  } else {
    const Trap& t = r.error();
    out += "\ntrap: " + t.ToString() + "\nstack:";
    for (const TrapFrame& f : t.stack) out += " " + f.function + ":" + std::to_string(f.line);
  }
  out += "\nfuel: " + std::to_string(instance.fuel_used()) + "\n";
  if (heap) out += "heap: " + std::to_string(instance.heap_bytes()) + "\n";
}

void CallEveryExport(std::string& out, Instance& instance, bool heap) {
  const Module& m = instance.module();
  for (const Export& e : m.exports) {
    std::vector<HostValue> args(m.functions[e.function].arity);
    Record(out, instance, instance.Call(e.name, args), "export " + e.name, heap);
  }
}

}  // namespace

std::string RunTranscript(std::shared_ptr<const Module> module, ExecutionTier tier,
                          std::shared_ptr<TraceEngineFactory> jit, bool heap) {
  std::string out;
  HostFunctions host;
  for (const std::string& name : module->imports) {
    host.Register(name, HostFunctions::kVariadic, [&out, name](HostArgs args) -> Result<HostValue, std::string> {
      HostValue echo = HostValue::Array({});
      for (size_t i = 0; i < args.size(); ++i) echo.items.push_back(args.Get(i));
      out += "host " + name + echo.ToString() + "\n";
      if (args.size() > 0 && args.IsInt(0) && args.Int(0) < 0) return Err(std::string("negative"));
      return echo;
    });
  }
  InstanceOptions options;
  options.limits = FuzzLimits();
  options.tier = tier;
  options.jit = std::move(jit);
  options.print = [&out](std::string_view s) {
    out += "print: ";
    out += s;
  };
  auto created = Instance::Create(module, host, std::move(options));
  if (!created.ok()) return "create failed: " + created.error();
  Instance& instance = *created.value();
  Record(out, instance, instance.Start(), "start", heap);
  CallEveryExport(out, instance, heap);
  instance.Reset();
  out += "reset heap: " + std::to_string(instance.heap_bytes()) + "\n";
  CallEveryExport(out, instance, heap);
  return out;
}

std::shared_ptr<const Module> DifferentialModule(const uint8_t* data, size_t size) {
  if (data[0] % 2 == 0) {
    Module m = GenerateModule({data + 1, size - 1});
    auto verified = VerifyModule(m);
    if (!verified.ok()) InvariantFailed("a generated module does not verify", verified.error().ToString());
    return CheckWireRoundTrip(m);
  }
  return CompileChecked(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
}

void CheckTiersAgree(std::shared_ptr<const Module> module, std::shared_ptr<TraceEngineFactory> jit) {
  const bool with_jit = jit != nullptr;
  std::string reference = RunTranscript(module, ExecutionTier::kReference, nullptr, !with_jit);
  std::string fast = RunTranscript(module, ExecutionTier::kFast, std::move(jit), !with_jit);
  if (reference == fast) return;
  size_t at = std::mismatch(reference.begin(), reference.end(), fast.begin(), fast.end()).first -
              reference.begin();
  size_t from = at > 400 ? at - 400 : 0;
  InvariantFailed(with_jit ? "the trace JIT disagrees with the reference tier"
                           : "the fast tier disagrees with the reference tier",
                  "at byte " + std::to_string(at) + "\n--- reference:\n" +
                      reference.substr(from, 1200) + "\n--- fast:\n" + fast.substr(from, 1200));
}

}  // namespace trinity::fuzz
