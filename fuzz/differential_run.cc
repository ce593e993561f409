// RunTranscript and CheckTiersAgree: the fast tier must be indistinguishable from the
// reference tier (runtime/fast_interpreter.md), on any verified module.
#include "fuzz/differential_run.h"

#include <algorithm>
#include <vector>

#include "fuzz/checked_run.h"
#include "fuzz/invariants.h"

namespace trinity::fuzz {
namespace {

void Record(std::string& out, const Instance& instance, const Result<HostValue, Trap>& r,
            std::string_view what) {
  out += "== ";
  out += what;
  if (r.ok()) {
    out += "\nresult: " + r.value().ToString();
  } else {
    const Trap& t = r.error();
    out += "\ntrap: " + t.ToString() + "\nstack:";
    for (const TrapFrame& f : t.stack) out += " " + f.function + ":" + std::to_string(f.line);
  }
  out += "\nfuel: " + std::to_string(instance.fuel_used()) +
         "\nheap: " + std::to_string(instance.heap_bytes()) + "\n";
}

void CallEveryExport(std::string& out, Instance& instance) {
  const Module& m = instance.module();
  for (const Export& e : m.exports) {
    std::vector<HostValue> args(m.functions[e.function].arity);
    Record(out, instance, instance.Call(e.name, args), "export " + e.name);
  }
}

}  // namespace

std::string RunTranscript(std::shared_ptr<const Module> module, ExecutionTier tier) {
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
  options.print = [&out](std::string_view s) {
    out += "print: ";
    out += s;
  };
  auto created = Instance::Create(module, host, std::move(options));
  if (!created.ok()) return "create failed: " + created.error();
  Instance& instance = *created.value();
  Record(out, instance, instance.Start(), "start");
  CallEveryExport(out, instance);
  instance.Reset();
  out += "reset heap: " + std::to_string(instance.heap_bytes()) + "\n";
  CallEveryExport(out, instance);
  return out;
}

void CheckTiersAgree(std::shared_ptr<const Module> module) {
  std::string reference = RunTranscript(module, ExecutionTier::kReference);
  std::string fast = RunTranscript(module, ExecutionTier::kFast);
  if (reference == fast) return;
  size_t at = std::mismatch(reference.begin(), reference.end(), fast.begin(), fast.end()).first -
              reference.begin();
  size_t from = at > 400 ? at - 400 : 0;
  InvariantFailed("the fast tier disagrees with the reference tier",
                  "at byte " + std::to_string(at) + "\n--- reference:\n" +
                      reference.substr(from, 1200) + "\n--- fast:\n" + fast.substr(from, 1200));
}

}  // namespace trinity::fuzz
