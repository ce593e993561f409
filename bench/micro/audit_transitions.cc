// Host <-> plugin transitions for the audit overhead measurement (bench/audit_overhead.sh):
// N calls of a trivial export (2 probe hits each: call_entry, call_exit), then N calls of an
// export that calls one host function (4 hits: call_entry, host_call, host_return,
// call_exit). Prints ns per call of each; deterministic work, so callgrind counts
// instructions per call exactly (`audit_transitions N call|host` runs one half). Build with --copt=-DTRINITY_NO_PROBES for the baseline.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "lang/compiler.h"
#include "runtime/module_writer.h"
#include "runtime/trinity.h"

namespace {

constexpr const char* kPlugin = R"(
import fn host_id(x)
export fn add1(x) { return x + 1 }
export fn via_host(x) { return host_id(x) + 1 }
)";

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "audit_transitions: %s\n", why.c_str());
  std::exit(1);
}

double NsPerCall(trinity::Instance& inst, const char* fn, long n) {
  std::vector<trinity::HostValue> args{trinity::HostValue::Int(1)};
  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) {
    if (!inst.Call(fn, args).ok()) Die(std::string(fn) + " trapped");
  }
  std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
  return took.count() / static_cast<double>(n);
}

}  // namespace

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 200000;
  auto compiled = trinity::lang::CompileSource(kPlugin, "audit_transitions.tri");
  if (!compiled.ok()) Die("fixture does not compile");
  auto module = trinity::LoadModule(trinity::WriteModule(compiled.value()));
  if (!module.ok()) Die(module.error().ToString());
  trinity::HostFunctions host;
  host.Register("host_id", 1, [](trinity::HostArgs a) -> trinity::Result<trinity::HostValue, std::string> {
    return trinity::HostValue::Int(a.Int(0));
  });
  auto inst = trinity::Instance::Create(module.value(), host);
  if (!inst.ok()) Die(inst.error());
  // argv[2]: "call" or "host" runs only that half (for callgrind's per-call counts).
  const std::string only = argc > 2 ? argv[2] : "";
  std::printf("calls %ld\n", n);
  if (only != "host") std::printf("export_call_ns %.1f\n", NsPerCall(*inst.value(), "add1", n));
  if (only != "call") std::printf("host_round_trip_ns %.1f\n", NsPerCall(*inst.value(), "via_host", n));
  return 0;
}
