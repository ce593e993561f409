#!/usr/bin/env python3
# What the eBPF observer costs (issue 13): detached probes (callgrind instructions per
# call, and wall time, against a build with -DTRINITY_NO_PROBES), attached probes (ns per
# transition in `trinity audit --mode events` and `--mode counters`), and the benchmark
# programs' slowdown with the observer attached. Writes bench/results/audit_overhead.{md,json}.
"""Usage: python3 bench/audit_overhead.py [--reps N] [--calls N] [--note TEXT]  (as root)"""

import argparse
import datetime
import importlib.util
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def bazel_build(targets, extra):
    subprocess.run(["bazel", "build", *extra, *targets], cwd=REPO_DIR, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = subprocess.run(["bazel", "info", *extra, "bazel-bin"], cwd=REPO_DIR, check=True,
                         capture_output=True, text=True).stdout.strip()
    return out


def transitions(binary, calls, only=""):
    out = subprocess.run([binary, str(calls)] + ([only] if only else []), capture_output=True,
                         text=True, check=True).stdout
    return {k: float(v) for k, v in (line.split() for line in out.splitlines())}


def callgrind_per_call(binary, only, tmp):
    """Instructions per call: the difference between two run lengths, so set-up cancels."""
    counts = []
    for n in (2000, 4000):
        out = os.path.join(tmp, "cg.out")
        res = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                              binary, str(n), only], capture_output=True, text=True, check=True)
        line = [l for l in res.stderr.splitlines() if "Collected" in l][0]
        counts.append(int(line.split(":")[1].strip().replace(",", "")))
    return (counts[1] - counts[0]) / 2000.0


class Audit:
    """`trinity audit` attached to `binary` for the duration of a `with` block."""

    def __init__(self, trinity, binary, mode, root):
        self.argv = [trinity, "audit", "--json", "--mode", mode, "--binary", binary, "--pin-root", root]

    def __enter__(self):
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=self.err)
        for _ in range(600):
            self.err.seek(0)
            if b"): attached" in self.err.read():
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.err.seek(0)
        raise RuntimeError("trinity audit did not attach: " + self.err.read().decode())

    def __exit__(self, *exc):
        self.proc.send_signal(2)
        self.proc.wait(timeout=120)
        self.err.seek(0)
        self.summary = self.err.read().decode().strip().splitlines()[-1]


def load_programs():
    spec = importlib.util.spec_from_file_location("bench_run", os.path.join(BENCH_DIR, "run.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.PROGRAMS


def run_suite(trinity, programs):
    times = {}
    for name, (size, _quick) in programs.items():
        start = time.monotonic()
        subprocess.run([trinity, "run", os.path.join(BENCH_DIR, "programs", name + ".tri"), "--", str(size)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times[name] = time.monotonic() - start
    return times


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--calls", type=int, default=200000)
    p.add_argument("--note", default="")
    p.add_argument("--bazel-out", default="",
                   help="use the binaries already built under this bazel-out directory (k8-opt and "
                        "k8-optnoprobes) instead of building them")
    args = p.parse_args()
    tmp = tempfile.mkdtemp(prefix="audit_overhead_")
    root = "/sys/fs/bpf/trinity_bench_%d" % os.getpid()
    try:
        if args.bazel_out:
            bin_probes = os.path.join(args.bazel_out, "k8-opt", "bin")
            bin_none = os.path.join(args.bazel_out, "k8-optnoprobes", "bin")
        else:
            log("building (with probes, and with -DTRINITY_NO_PROBES)")
            bin_probes = bazel_build(["//bench:audit_transitions", "//tools:trinity"], [])
            bin_none = bazel_build(["//bench:audit_transitions", "//tools:trinity"],
                                   ["--copt=-DTRINITY_NO_PROBES", "--platform_suffix=noprobes"])
        for src, dst in [("bench/audit_transitions", "with_probes"), ("tools/trinity", "trinity")]:
            shutil.copy2(os.path.join(bin_probes, src), os.path.join(tmp, dst))
        shutil.copy2(os.path.join(bin_none, "bench/audit_transitions"), os.path.join(tmp, "no_probes"))
        shutil.copy2(os.path.join(bin_none, "tools/trinity"), os.path.join(tmp, "trinity_no_probes"))
        with_probes, no_probes = os.path.join(tmp, "with_probes"), os.path.join(tmp, "no_probes")
        trinity, trinity_none = os.path.join(tmp, "trinity"), os.path.join(tmp, "trinity_no_probes")

        log("callgrind: instructions per call, detached")
        ir = {}
        for label, binary in [("no_probes", no_probes), ("detached", with_probes)]:
            ir[label] = {only: callgrind_per_call(binary, only, tmp) for only in ("call", "host")}

        log("wall time per call: no probes / detached / attached (events, counters)")
        wall = {k: {"export_call_ns": [], "host_round_trip_ns": []}
                for k in ("no_probes", "detached", "events", "counters")}
        for rep in range(args.reps):
            for label in wall:
                if label in ("events", "counters"):
                    with Audit(trinity, with_probes, label, root):
                        r = transitions(with_probes, args.calls)
                else:
                    r = transitions(no_probes if label == "no_probes" else with_probes, args.calls)
                for k in wall[label]:
                    wall[label][k].append(r[k])
        med = {l: {k: statistics.median(v) for k, v in d.items()} for l, d in wall.items()}

        log("benchmark programs: trinity without probes / detached / attached")
        programs = load_programs()
        suite = {k: {n: [] for n in programs} for k in ("no_probes", "detached", "events", "counters")}
        for rep in range(max(3, args.reps // 2)):
            for label in suite:
                if label in ("events", "counters"):
                    with Audit(trinity, trinity, label, root):
                        t = run_suite(trinity, programs)
                else:
                    t = run_suite(trinity_none if label == "no_probes" else trinity, programs)
                for n, v in t.items():
                    suite[label][n].append(v)
        suite_med = {l: {n: statistics.median(v) for n, v in d.items()} for l, d in suite.items()}
        geo = lambda l: math.exp(statistics.mean(math.log(suite_med[l][n] / suite_med["detached"][n]) for n in programs))

        doc = {
            "date": datetime.date.today().isoformat(),
            "note": args.note,
            "loadavg_at_end": os.getloadavg(),
            "callgrind_instructions_per_call": ir,
            "wall_ns_per_call_median": med,
            "wall_ns_per_call_runs": wall,
            "suite_seconds_median": suite_med,
            "suite_ratio_geomean_vs_detached": {l: geo(l) for l in suite},
        }
        os.makedirs(os.path.join(BENCH_DIR, "results"), exist_ok=True)
        with open(os.path.join(BENCH_DIR, "results", "audit_overhead.json"), "w") as f:
            json.dump(doc, f, indent=2)
        write_markdown(doc, programs)
        log("wrote bench/results/audit_overhead.{md,json}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_markdown(doc, programs):
    ir, med, sm = doc["callgrind_instructions_per_call"], doc["wall_ns_per_call_median"], doc["suite_seconds_median"]
    per_transition = lambda label: {
        "call": (med[label]["export_call_ns"] - med["detached"]["export_call_ns"]) / 2,
        "host": (med[label]["host_round_trip_ns"] - med["detached"]["host_round_trip_ns"]) / 4}
    lines = [
        "# eBPF observer overhead (`bench/audit_overhead.py`)",
        "",
        "Date %s. %s Load average at the end: %s." % (doc["date"], doc["note"],
                                                     ", ".join("%.1f" % x for x in doc["loadavg_at_end"])),
        "",
        "## Detached: instructions per call (callgrind, exact)",
        "",
        "| | no probes (`-DTRINITY_NO_PROBES`) | probes, detached | difference |",
        "|---|---:|---:|---:|",
    ]
    for only, title in (("call", "export call (2 probes)"), ("host", "host -> plugin -> host (4 probes)")):
        a, b = ir["no_probes"][only], ir["detached"][only]
        lines.append("| %s | %.1f | %.1f | %+.1f |" % (title, a, b, b - a))
    lines += [
        "",
        "## Wall time per call, median ns",
        "",
        "| | no probes | detached | attached, events | attached, counters |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, title in (("export_call_ns", "export call"), ("host_round_trip_ns", "host round trip")):
        lines.append("| %s | %s |" % (title, " | ".join("%.0f" % med[l][key] for l in
                                                          ("no_probes", "detached", "events", "counters"))))
    lines += ["", "Per probe hit while attached (ns): " + "; ".join(
        "%s %.0f (export call), %.0f (host round trip)" % (l, per_transition(l)["call"], per_transition(l)["host"])
        for l in ("events", "counters")) + ".", ""]
    lines += [
        "## Benchmark programs (`bench/programs`, full sizes), median seconds",
        "",
        "| program | no probes | detached | attached, events | attached, counters |",
        "|---|---:|---:|---:|---:|",
    ]
    for n in programs:
        lines.append("| %s | %s |" % (n, " | ".join("%.3f" % sm[l][n] for l in ("no_probes", "detached", "events", "counters"))))
    g = doc["suite_ratio_geomean_vs_detached"]
    lines.append("| **geomean vs detached** | %s |" % " | ".join("%.3f" % g[l] for l in ("no_probes", "detached", "events", "counters")))
    lines.append("")
    with open(os.path.join(BENCH_DIR, "results", "audit_overhead.md"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
