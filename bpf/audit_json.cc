// Formatting of audit events as JSON lines and as text (see audit_json.h).
#include "bpf/audit_json.h"

#include <linux/audit.h>
#include <seccomp.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>

#include "runtime/trinity.h"

namespace trinity::bpf {
namespace {

int64_t NowNs(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
  }
  if (n == 2 && c < 0xc2) return 0;  // overlong
  return n;
}

std::string ArchName(uint32_t arch) {
  switch (arch) {
    case AUDIT_ARCH_X86_64: return "x86_64";
    case AUDIT_ARCH_I386: return "i386";
    case AUDIT_ARCH_AARCH64: return "aarch64";
    default: return Hex(arch);
  }
}

std::string SyscallName(uint32_t arch, int nr) {
  char* name = seccomp_syscall_resolve_num_arch(arch, nr);
  if (name == nullptr) return "";
  std::string s(name);
  std::free(name);
  return s;
}

std::string SeccompModeName(int mode) {
  switch (mode) {
    case 0: return "none";
    case 1: return "strict";
    case 2: return "filter";
    case 3: return "dead";
    default: return "unknown";
  }
}

std::string TrapKindText(int kind) {
  if (kind < 0 || kind > static_cast<int>(TrapKind::kInternal)) return "kind " + std::to_string(kind);
  return std::string(TrapKindName(static_cast<TrapKind>(kind)));
}

// Appends `"key":value` pairs, with the commas between them.
class JsonObject {
 public:
  JsonObject& Raw(std::string_view key, const std::string& value) {
    out_ += out_.size() > 1 ? "," : "";
    out_ += JsonString(key) + ":" + value;
    return *this;
  }
  JsonObject& Str(std::string_view key, std::string_view value) { return Raw(key, JsonString(value)); }
  JsonObject& Num(std::string_view key, uint64_t value) { return Raw(key, std::to_string(value)); }
  JsonObject& Int(std::string_view key, int64_t value) { return Raw(key, std::to_string(value)); }
  JsonObject& Bool(std::string_view key, bool value) { return Raw(key, value ? "true" : "false"); }
  std::string Close() { return out_ + "}"; }

 private:
  std::string out_ = "{";
};

}  // namespace

WallClock::WallClock() : offset_ns_(NowNs(CLOCK_REALTIME) - NowNs(CLOCK_MONOTONIC)) {}

std::string WallClock::Rfc3339(uint64_t monotonic_ns) const {
  int64_t ns = static_cast<int64_t>(monotonic_ns) + offset_ns_;
  time_t secs = static_cast<time_t>(ns / 1'000'000'000);
  tm utc{};
  gmtime_r(&secs, &utc);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<long long>(ns % 1'000'000'000));
  return buf;
}

std::string TierName(int tier) {
  switch (tier) {
    case 0: return "reference";
    case 1: return "fast";
    case 2: return "jit";
    case 3: return "process";
    default: return "tier " + std::to_string(tier);
  }
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = Utf8Length(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (n > 1) {
      out.append(s.substr(i, n));
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
    i += n;
  }
  return out + "\"";
}

std::string EventJson(const AuditEvent& e, const WallClock& clock) {
  JsonObject o;
  o.Str("type", "event").Str("time", clock.Rfc3339(e.ktime_ns)).Num("ktime_ns", e.ktime_ns);
  o.Str("event", e.event).Str("source", e.source);
  const AuditProcess& p = e.process;
  o.Raw("process", JsonObject()
                       .Num("pid", p.pid)
                       .Num("tid", p.tid)
                       .Num("ppid", p.ppid)
                       .Num("uid", p.uid)
                       .Str("comm", p.comm)
                       .Num("cgroup_id", p.cgroup_id)
                       .Str("start_time", clock.Rfc3339(p.start_time_ns))
                       .Str("seccomp", SeccompModeName(p.seccomp_mode))
                       .Close());
  if (e.instance) o.Num("instance", *e.instance);
  if (e.tier) o.Str("tier", TierName(*e.tier));
  if (e.call) {
    JsonObject c;
    if (!e.call->function.empty()) c.Str("function", e.call->function);
    if (e.event == "call_exit") {
      c.Str("outcome", e.call->trap_kind ? "trap" : "return");
      if (e.call->trap_kind) c.Str("trap_kind", TrapKindText(*e.call->trap_kind));
    }
    if (e.call->worker != 0) c.Num("worker", e.call->worker);
    o.Raw("call", c.Close());
  }
  if (e.trap) {
    o.Raw("trap", JsonObject().Str("kind", TrapKindText(e.trap->kind)).Str("message", e.trap->message).Close());
  }
  if (e.host) {
    JsonObject h;
    h.Num("import", e.host->import);
    if (!e.host->name.empty()) h.Str("name", e.host->name);
    o.Raw("host", h.Close());
  }
  if (e.domain) {
    JsonObject d;
    d.Num("instance", e.domain->id);
    if (e.domain->pkey) {
      d.Int("pkey", *e.domain->pkey);
    } else {
      d.Raw("pkey", "null");
    }
    d.Str("pkru", Hex(e.domain->pkru));
    o.Raw("domain", d.Close());
  }
  if (e.seccomp) {
    JsonObject s;
    s.Int("nr", e.seccomp->nr);
    std::string name = SyscallName(e.seccomp->arch, e.seccomp->nr);
    if (!name.empty()) s.Str("name", name);
    s.Str("arch", ArchName(e.seccomp->arch)).Str("action", e.seccomp->action).Str("ip", Hex(e.seccomp->ip));
    o.Raw("seccomp", s.Close());
  }
  if (e.jit) {
    o.Raw("jit", JsonObject().Str("addr", Hex(e.jit->addr)).Num("size", e.jit->size).Str("name", e.jit->name).Close());
  }
  if (e.fault) {
    JsonObject f;
    f.Str("addr", Hex(e.fault->addr));
    if (e.fault->ip != 0) f.Str("ip", Hex(e.fault->ip));
    if (e.fault->error_code) f.Str("error_code", Hex(*e.fault->error_code));
    if (e.fault->pkey) f.Int("pkey", *e.fault->pkey);
    o.Raw("fault", f.Close());
  }
  if (e.source == "kernel") o.Bool("attested", e.attested);
  return o.Close();
}

std::string LostEventsJson(uint64_t ring_full, uint64_t queue_full) {
  return JsonObject()
      .Str("type", "lost_events")
      .Num("count", ring_full + queue_full)
      .Num("ring_full", ring_full)
      .Num("queue_full", queue_full)
      .Close();
}

std::string EventText(const AuditEvent& e, const WallClock& clock) {
  std::string line = clock.Rfc3339(e.ktime_ns) + " " + e.event + " pid " + std::to_string(e.process.pid) +
                     " tid " + std::to_string(e.process.tid) + " " + e.process.comm;
  if (e.instance) line += " instance " + std::to_string(*e.instance);
  if (e.tier) line += " " + TierName(*e.tier);
  if (e.call) {
    if (!e.call->function.empty()) line += " fn " + e.call->function;
    if (e.call->trap_kind) line += " trapped (" + TrapKindText(*e.call->trap_kind) + ")";
    if (e.call->worker != 0) line += " worker " + std::to_string(e.call->worker);
  }
  if (e.trap) line += " " + TrapKindText(e.trap->kind) + ": " + e.trap->message;
  if (e.host) line += " import " + std::to_string(e.host->import) + (e.host->name.empty() ? "" : " " + e.host->name);
  if (e.domain) {
    line += " domain " + std::to_string(e.domain->id) + " pkru " + Hex(e.domain->pkru);
    if (e.domain->pkey) line += " pkey " + std::to_string(*e.domain->pkey);
  }
  if (e.seccomp) {
    std::string name = SyscallName(e.seccomp->arch, e.seccomp->nr);
    line += " syscall " + (name.empty() ? std::to_string(e.seccomp->nr) : name) + " (" + e.seccomp->action + ")";
  }
  if (e.jit) line += " " + std::to_string(e.jit->size) + " bytes at " + Hex(e.jit->addr) + " " + e.jit->name;
  if (e.fault) {
    line += " addr " + Hex(e.fault->addr);
    if (e.fault->pkey) line += " pkey " + std::to_string(*e.fault->pkey);
  }
  if (e.source == "kernel") line += e.attested ? " [kernel, attested]" : " [kernel]";
  return line;
}

std::string LostEventsText(uint64_t ring_full, uint64_t queue_full) {
  return "lost " + std::to_string(ring_full + queue_full) + " events (" + std::to_string(ring_full) +
         " ring buffer full, " + std::to_string(queue_full) + " queue full)";
}

}  // namespace trinity::bpf
