// Decoding of ring buffer records (see event_decode.h). Strings from the kernel side are
// bounded, NUL-terminated buffers; they are read only up to their size.
#include "bpf/event_decode.h"

#include <cstring>
#include <string>

#include "runtime/trinity.h"

namespace trinity::bpf {
namespace {

static_assert(TRINITY_TRAP_KINDS == static_cast<int>(TrapKind::kInternal) + 1,
              "observer_abi.h's trap_counts must list every trinity::TrapKind");
static_assert(sizeof(trap_counts) == TRINITY_TRAP_KINDS * sizeof(__u64));

template <size_t N>
std::string Bounded(const char (&s)[N]) {
  return std::string(s, strnlen(s, N));
}

}  // namespace

const char* EventTypeName(uint32_t type) {
  switch (type) {
    case EV_INSTANCE_CREATE: return "instance_create";
    case EV_INSTANCE_DESTROY: return "instance_destroy";
    case EV_CALL_ENTRY: return "call_entry";
    case EV_CALL_EXIT: return "call_exit";
    case EV_TRAP: return "trap";
    case EV_HOST_CALL: return "host_call";
    case EV_HOST_RETURN: return "host_return";
    case EV_JIT_EMIT: return "jit_emit";
    case EV_DOMAIN_ENTER: return "domain_enter";
    case EV_DOMAIN_EXIT: return "domain_exit";
    case EV_SECCOMP_VIOLATION: return "seccomp_violation";
    case EV_WORKER_CALL_ENTRY: return "call_entry";
    case EV_WORKER_CALL_EXIT: return "call_exit";
    case EV_KERNEL_SIGSYS: return "kernel_sigsys";
    case EV_KERNEL_PKUERR: return "kernel_pkuerr";
    case EV_KERNEL_PKEY_FAULT: return "kernel_pkey_fault";
  }
  return "unknown";
}

std::optional<int> PluginKeyOf(uint32_t pkru) {
  std::optional<int> key;
  for (int k = 1; k < 16; ++k) {
    if (((pkru >> (2 * k)) & 3u) != 0) continue;
    if (key) return std::nullopt;
    key = k;
  }
  return key;
}

AuditEvent EventDecoder::Decode(const trinity_event& e) {
  AuditEvent out;
  out.event = EventTypeName(e.type);
  out.source = e.type >= EV_KERNEL_SIGSYS ? "kernel" : "usdt";
  out.ktime_ns = e.ktime_ns;
  out.attested = (e.flags & EVENT_ATTESTED) != 0;
  out.process.pid = e.pid;
  out.process.tid = e.tid;
  out.process.ppid = e.ppid;
  out.process.uid = e.uid;
  out.process.comm = Bounded(e.comm);
  out.process.cgroup_id = e.cgroup_id;
  out.process.start_time_ns = e.start_time;
  out.process.seccomp_mode = e.seccomp_mode;
  if (e.instance != 0) out.instance = e.instance;
  if (e.tier >= 0) out.tier = e.tier;
  switch (e.type) {
    case EV_CALL_ENTRY:
    case EV_WORKER_CALL_ENTRY:
    case EV_CALL_EXIT:
    case EV_WORKER_CALL_EXIT: {
      AuditCall call;
      call.function = Bounded(e.u.call.function);
      if (e.u.call.trap_kind >= 0) call.trap_kind = e.u.call.trap_kind;
      call.worker = e.u.call.worker;
      out.call = std::move(call);
      break;
    }
    case EV_TRAP:
      out.trap = AuditTrap{static_cast<int>(e.u.trap.kind), Bounded(e.u.trap.message)};
      break;
    case EV_HOST_CALL:
    case EV_HOST_RETURN:
      out.host = AuditHostCall{e.u.host.import, Bounded(e.u.host.name)};
      break;
    case EV_JIT_EMIT:
      out.jit = AuditJit{e.u.jit.addr, e.u.jit.size, Bounded(e.u.jit.name)};
      break;
    case EV_DOMAIN_ENTER:
    case EV_DOMAIN_EXIT: {
      AuditDomain d;
      d.id = e.u.domain.id;
      d.pkru = e.u.domain.pkru;
      auto key = std::make_pair(e.pid, e.u.domain.id);
      if (e.type == EV_DOMAIN_ENTER) {
        d.pkey = PluginKeyOf(d.pkru);
        if (d.pkey) domain_keys_[key] = *d.pkey;
      } else if (auto it = domain_keys_.find(key); it != domain_keys_.end()) {
        d.pkey = it->second;  // the key of the domain being left
      }
      out.domain = d;
      break;
    }
    case EV_SECCOMP_VIOLATION:
    case EV_KERNEL_SIGSYS: {
      AuditSeccomp s;
      s.nr = e.u.seccomp.nr;
      s.arch = e.u.seccomp.arch;
      s.ip = e.u.seccomp.ip;
      switch (e.u.seccomp.action) {
        case SECCOMP_ACTION_TRAP: s.action = "trap"; break;
        case SECCOMP_ACTION_KILL: s.action = "kill"; break;
        default: s.action = "reported"; break;
      }
      out.seccomp = s;
      break;
    }
    case EV_KERNEL_PKUERR:
    case EV_KERNEL_PKEY_FAULT: {
      AuditFault f;
      f.addr = e.u.fault.addr;
      f.ip = e.u.fault.ip;
      if (e.type == EV_KERNEL_PKEY_FAULT) f.error_code = e.u.fault.error_code;
      if (e.u.fault.pkey >= 0) f.pkey = e.u.fault.pkey;
      out.fault = f;
      break;
    }
    default:
      break;
  }
  return out;
}

}  // namespace trinity::bpf
