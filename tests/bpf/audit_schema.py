#!/usr/bin/env python3
# Checks `trinity audit --json` output (a file of JSON lines) against the schema documented
# in bpf/README.md: every line parses, carries the common fields with their types, and
# each event's own object has its fields. Prints the first problem and exits 1.
import json
import re
import sys

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")
HEX = re.compile(r"^0x[0-9a-f]+$")
TIERS = {"reference", "fast", "jit", "process"}
EVENTS = {
    "instance_create": [], "instance_destroy": [], "call_entry": ["call"], "call_exit": ["call"],
    "trap": ["trap"], "host_call": ["host"], "host_return": ["host"], "jit_emit": ["jit"],
    "domain_enter": ["domain"], "domain_exit": ["domain"], "seccomp_violation": ["seccomp"],
    "kernel_sigsys": ["seccomp"], "kernel_pkuerr": ["fault"], "kernel_pkey_fault": ["fault"],
}


def need(obj, key, kind, where):
    if key not in obj:
        raise ValueError(f"{where}: missing '{key}'")
    if not isinstance(obj[key], kind) or (kind is int and isinstance(obj[key], bool)):
        raise ValueError(f"{where}: '{key}' is {type(obj[key]).__name__}")
    return obj[key]


def check_event(e, where):
    if not RFC3339.match(need(e, "time", str, where)):
        raise ValueError(f"{where}: time {e['time']} is not RFC 3339 with ns")
    need(e, "ktime_ns", int, where)
    name = need(e, "event", str, where)
    if name not in EVENTS:
        raise ValueError(f"{where}: unknown event {name}")
    source = need(e, "source", str, where)
    if source not in ("usdt", "kernel"):
        raise ValueError(f"{where}: unknown source {source}")
    p = need(e, "process", dict, where)
    for key in ("pid", "tid", "ppid", "uid", "cgroup_id"):
        need(p, key, int, where + ".process")
    need(p, "comm", str, where + ".process")
    need(p, "seccomp", str, where + ".process")
    if not RFC3339.match(need(p, "start_time", str, where + ".process")):
        raise ValueError(f"{where}: process.start_time is not RFC 3339")
    if "instance" in e:
        need(e, "instance", int, where)
    if "tier" in e and e["tier"] not in TIERS:
        raise ValueError(f"{where}: unknown tier {e['tier']}")
    for part in EVENTS[name]:
        need(e, part, dict, where)
    if name == "call_exit" and e["call"].get("outcome") not in ("return", "trap"):
        raise ValueError(f"{where}: call_exit without outcome")
    if "trap" in e:
        need(e["trap"], "kind", str, where + ".trap")
        need(e["trap"], "message", str, where + ".trap")
    if "seccomp" in e:
        s = e["seccomp"]
        need(s, "nr", int, where + ".seccomp")
        need(s, "arch", str, where + ".seccomp")
        if need(s, "action", str, where + ".seccomp") not in ("trap", "kill", "reported"):
            raise ValueError(f"{where}: seccomp.action {s['action']}")
    if "jit" in e:
        if not HEX.match(need(e["jit"], "addr", str, where + ".jit")):
            raise ValueError(f"{where}: jit.addr is not hex")
        need(e["jit"], "size", int, where + ".jit")
        need(e["jit"], "name", str, where + ".jit")
    if "domain" in e:
        need(e["domain"], "instance", int, where + ".domain")
        if not HEX.match(need(e["domain"], "pkru", str, where + ".domain")):
            raise ValueError(f"{where}: domain.pkru is not hex")
        if "pkey" not in e["domain"]:
            raise ValueError(f"{where}: domain without pkey")
    if source == "kernel":
        need(e, "attested", bool, where)


def main():
    lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
    if not lines:
        print("no lines")
        return 1
    for n, line in enumerate(lines, 1):
        where = f"line {n}"
        try:
            obj = json.loads(line)
            kind = need(obj, "type", str, where)
            if kind == "event":
                check_event(obj, where)
            elif kind == "lost_events":
                for key in ("count", "ring_full", "queue_full"):
                    need(obj, key, int, where)
                if obj["count"] != obj["ring_full"] + obj["queue_full"]:
                    raise ValueError(f"{where}: count is not ring_full + queue_full")
            else:
                raise ValueError(f"{where}: unknown type {kind}")
        except (ValueError, json.JSONDecodeError) as err:
            print(f"{err}\n{line}")
            return 1
    print(f"{len(lines)} lines ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
