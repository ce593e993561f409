#!/usr/bin/env python3
# Benchmark runner: runs every program in bench/programs on Trinity, Lua 5.4, LuaJIT
# (interpreter and JIT) and native C, interleaved, checks that all print the same
# checksum, and writes a median table, JSON and a gnuplot chart under bench/results/.
"""Usage: python3 bench/run.py [--runs N] [--quick] [--only a,b] [--callgrind] ...

See bench/README.md for what each program measures and how to read the output.
"""

import argparse
import datetime
import json
import math
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)
PROGRAMS_DIR = os.path.join(BENCH_DIR, "programs")

# name -> (full size, quick size). Full sizes aim at roughly 0.5-3 s for the Trinity
# interpreter; quick sizes only prove the programs run and agree (CI smoke, callgrind).
PROGRAMS = {
    "fib": (32, 20),
    "loop": (20_000_000, 100_000),
    "sieve": (4_000_000, 20_000),
    "mandelbrot": (800, 40),
    "nbody": (200_000, 1_000),
    "spectralnorm": (500, 30),
    "binarytrees": (14, 8),
    "fannkuch": (9, 7),
    "strings": (3_000, 30),
    "wordfreq": (1_000_000, 10_000),
}

# Column order of every table; ratios are taken against these two baselines.
# "trinity" is the default (fast) interpreter tier; "trinity ref" the reference tier;
# "trinity jit" the fast tier with the trace JIT (--jit=on).
RUNTIMES = ["trinity", "trinity ref", "trinity jit", "lua5.4", "luajit -joff", "luajit", "c"]
BASE_INTERP = "luajit -joff"
BASE_NATIVE = "c"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5, help="timed runs per program and runtime (default 5)")
    p.add_argument("--warmup", type=int, default=1, help="untimed runs first (default 1)")
    p.add_argument("--quick", action="store_true", help="tiny sizes, for CI smoke; writes quick.* not latest.*")
    p.add_argument("--only", default="", help="comma-separated program names")
    p.add_argument("--runtimes", default=",".join(RUNTIMES), help="comma-separated subset of: " + ", ".join(RUNTIMES))
    p.add_argument("--trinity", default="",
                   help="trinity binary (default: build //tools:trinity with bazel -c opt and use that)")
    p.add_argument("--no-build", action="store_true", help="never invoke bazel; use the last opt build")
    p.add_argument("--lua", default="lua5.4")
    p.add_argument("--luajit", default="luajit")
    p.add_argument("--cc", default=os.environ.get("CC", "cc"))
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per run before it counts as failed")
    p.add_argument("--callgrind", action="store_true",
                   help="also count instructions (Ir) of the interpreters under valgrind, at quick size")
    p.add_argument("--out", default=os.path.join(BENCH_DIR, "results"), help="results directory")
    p.add_argument("--note", default="", help="free text recorded in the JSON and Markdown (e.g. machine load)")
    p.add_argument("--name", default="", help="basename of result files (default latest, or quick with --quick)")
    return p.parse_args(argv)


# --- locating and building the runtimes ------------------------------------------------

def which(cmd):
    return shutil.which(cmd) if os.sep not in cmd else (cmd if os.access(cmd, os.X_OK) else None)


# bazel-bin follows whichever configuration built last (other builds on this machine
# may be asan or ubsan), so the opt output directory is named explicitly.
OPT_TRINITY = os.path.join(REPO_DIR, "bazel-out", "k8-opt", "bin", "tools", "trinity")


def locate_trinity(args):
    if args.trinity:
        if which(args.trinity):
            return os.path.abspath(args.trinity)
        log("trinity: %s not found; its column is n/a" % args.trinity)
        return None
    if not args.no_build:
        # Always build: a no-op when up to date, and it keeps a stale binary out of the table.
        bazel = shutil.which("bazel")
        if not bazel:
            log("trinity: bazel not found; using the last build if there is one")
        else:
            log("trinity: bazel build -c opt //tools:trinity")
            r = subprocess.run([bazel, "build", "-c", "opt", "//tools:trinity"], cwd=REPO_DIR,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if r.returncode != 0:
                log("trinity: build failed:\n" + "\n".join(l for l in r.stderr.splitlines()
                                                            if "linux-sandbox" not in l)[-3000:])
                return None
    if which(OPT_TRINITY):
        return OPT_TRINITY
    log("trinity: %s missing; its column is n/a" % os.path.relpath(OPT_TRINITY, REPO_DIR))
    return None


def build_c(args, names, tmp):
    """Compiles each C program; returns name -> executable (missing on failure)."""
    exes = {}
    cc = which(args.cc)
    if not cc:
        log("c: compiler %r not found; its column is n/a" % args.cc)
        return exes
    for name in names:
        exe = os.path.join(tmp, name)
        src = os.path.join(PROGRAMS_DIR, name + ".c")
        r = subprocess.run([cc, "-O2", "-o", exe, src, "-lm"], capture_output=True, text=True)
        if r.returncode != 0:
            log("c: %s failed to compile:\n%s" % (name, r.stderr))
            continue
        exes[name] = exe
    return exes


def commands(args, names, tmp):
    """runtime -> (name, size) -> argv, for the runtimes that are present."""
    wanted = [r.strip() for r in args.runtimes.split(",") if r.strip()]
    for r in wanted:
        if r not in RUNTIMES:
            sys.exit("unknown runtime %r (choose from %s)" % (r, ", ".join(RUNTIMES)))
    available = {}
    if "trinity" in wanted or "trinity ref" in wanted or "trinity jit" in wanted:
        trinity = locate_trinity(args)
        if trinity:
            # A private copy: another bazel build in this workspace may replace or delete
            # the output while the benchmark runs.
            copy = os.path.join(tmp, "trinity")
            shutil.copy2(trinity, copy)
            log("trinity: using a copy of %s" % trinity)
            trinity = copy
            # --timeout 0: benchmarks have their own --timeout; the CLI's default 10 s
            # deadline is for untrusted plugins.
            if "trinity" in wanted:
                available["trinity"] = lambda n, s: [trinity, "run", os.path.join(PROGRAMS_DIR, n + ".tri"),
                                                     "--timeout", "0", "--", str(s)]
            if "trinity jit" in wanted:
                available["trinity jit"] = lambda n, s: [trinity, "run", "--jit=on",
                                                         os.path.join(PROGRAMS_DIR, n + ".tri"),
                                                         "--timeout", "0", "--", str(s)]
            if "trinity ref" in wanted:
                available["trinity ref"] = lambda n, s: [trinity, "run", "--tier=reference",
                                                         os.path.join(PROGRAMS_DIR, n + ".tri"),
                                                         "--timeout", "0", "--", str(s)]
    lua = which(args.lua)
    if "lua5.4" in wanted:
        if lua:
            available["lua5.4"] = lambda n, s: [lua, os.path.join(PROGRAMS_DIR, n + ".lua"), str(s)]
        else:
            log("lua5.4: %r not found; its column is n/a" % args.lua)
    luajit = which(args.luajit)
    if not luajit and ("luajit" in wanted or BASE_INTERP in wanted):
        log("luajit: %r not found; its columns are n/a" % args.luajit)
    if luajit and BASE_INTERP in wanted:
        available[BASE_INTERP] = lambda n, s: [luajit, "-joff", os.path.join(PROGRAMS_DIR, n + ".lua"), str(s)]
    if luajit and "luajit" in wanted:
        available["luajit"] = lambda n, s: [luajit, os.path.join(PROGRAMS_DIR, n + ".lua"), str(s)]
    if "c" in wanted:
        exes = build_c(args, names, tmp)
        if exes:
            available["c"] = lambda n, s: [exes[n], str(s)] if n in exes else None
    return [r for r in RUNTIMES if r in wanted], available


# --- running -----------------------------------------------------------------------------

def run_once(argv, timeout):
    """Runs argv once; returns dict(wall, user, sys, maxrss_kb, out, rc, err)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL)
        except OSError as e:
            return {"rc": None, "err": str(e)}
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return {"rc": None, "err": "timeout after %gs" % timeout}
        wall = time.perf_counter() - start
        # communicate() already reaped the child; its rusage is in RUSAGE_CHILDREN deltas,
        # which are only exact because runs never overlap.
        err.seek(0)
        err_text = err.read().decode(errors="replace")[-2000:]
    return {"wall": wall, "out": out.decode(errors="replace").strip(), "rc": proc.returncode, "err": err_text}


def run_measured(argv, timeout):
    before = _children_usage()
    res = run_once(argv, timeout)
    after = _children_usage()
    if res.get("rc") is not None:
        res["user"] = after[0] - before[0]
        res["sys"] = after[1] - before[1]
    return res


def _children_usage():
    import resource
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime, u.ru_stime


def peak_rss_kb(argv, timeout):
    """Peak RSS of one extra run, via GNU time (RUSAGE_CHILDREN only keeps a running max)."""
    gnu_time = "/usr/bin/time"
    if not os.access(gnu_time, os.X_OK):
        return None
    with tempfile.NamedTemporaryFile(mode="r") as f:
        r = subprocess.run([gnu_time, "-f", "%M", "-o", f.name] + argv, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=timeout)
        if r.returncode != 0:
            return None
        try:
            return int(f.read().strip().splitlines()[-1])
        except (ValueError, IndexError):
            return None


def callgrind_ir(argv, tmp, timeout):
    """Instructions executed (Ir) for one run under callgrind, or None."""
    valgrind = shutil.which("valgrind")
    if not valgrind:
        return None
    out_file = os.path.join(tmp, "callgrind.out")
    if os.path.exists(out_file):
        os.remove(out_file)
    r = subprocess.run([valgrind, "--tool=callgrind", "--callgrind-out-file=" + out_file] + argv,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
    if r.returncode != 0 or not os.path.exists(out_file):
        return None
    with open(out_file) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    return None


# --- summarising -------------------------------------------------------------------------

def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def fmt_time(t):
    return "n/a" if t is None else ("%.3f" % t if t < 100 else "%.1f" % t)


def fmt_ratio(r):
    return "n/a" if r is None else ("%.2f" % r if r < 100 else "%.0f" % r)


def table(header, rows):
    """Aligned plain-text table."""
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def summary_tables(names, runtimes, results):
    """Returns [(title, header, rows)] for medians and the two ratio tables."""
    med = lambda n, r: results[n][r].get("median") if r in results[n] else None
    tables = []
    header = ["program"] + runtimes
    rows = [[n] + [fmt_time(med(n, r)) for r in runtimes] for n in names]
    tables.append(("Median wall time (s)", header, rows))
    for base in (BASE_INTERP, BASE_NATIVE):
        rows = []
        for n in names:
            b = med(n, base)
            rows.append([n] + [fmt_ratio(med(n, r) / b) if b and med(n, r) else "n/a" for r in runtimes])
        gm = []
        for r in runtimes:
            g = geomean([med(n, r) / med(n, base) for n in names if med(n, base) and med(n, r)])
            gm.append(fmt_ratio(g))
        rows.append(["geomean"] + gm)
        tables.append(("Ratio to %s (lower is faster)" % base, header, rows))
    return tables


def machine_info():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "uname": _uname_a(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "loadavg": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def _uname_a():
    try:
        return subprocess.run(["uname", "-a"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return " ".join(x for x in platform.uname() if x)


def versions(args, runtimes):
    v = {}
    probes = {"lua5.4": [args.lua, "-v"], "luajit": [args.luajit, "-v"], "c": [args.cc, "--version"]}
    for r, argv in probes.items():
        if r in runtimes or (r == "luajit" and BASE_INTERP in runtimes):
            try:
                p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
                v[r] = (p.stdout or p.stderr).strip().splitlines()[0]
            except (OSError, IndexError, subprocess.TimeoutExpired):
                pass
    # Debian's luajit and OpenResty's luajit2 both print "LuaJIT 2.1.0-beta3": name the
    # package that owns the binary (tools/setup.sh installs luajit2).
    if "luajit" in v:
        exe = os.path.realpath(shutil.which(args.luajit) or args.luajit)
        p = subprocess.run(["dpkg-query", "-S", exe], capture_output=True, text=True)
        if p.returncode == 0:
            pkg = p.stdout.split(":")[0]
            ver = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg],
                                 capture_output=True, text=True).stdout
            v["luajit"] += " (Debian package %s %s)" % (pkg, ver)
    return v


def write_chart(path, names, runtimes, results, tmp):
    """Log-scale clustered bars of time relative to C, one cluster per program."""
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        log("chart: gnuplot not found, no PNG written")
        return False
    # gnuplot refuses a histogram column with no valid point, so absent runtimes are left out.
    shown = [r for r in runtimes if r != BASE_NATIVE and any(results[n].get(r, {}).get("median") for n in names)]
    if not shown:
        return False
    data = os.path.join(tmp, "ratios.dat")
    with open(data, "w") as f:
        f.write("program " + " ".join('"%s"' % r for r in shown) + "\n")
        for n in names:
            c = results[n].get(BASE_NATIVE, {}).get("median")
            vals = []
            for r in shown:
                m = results[n].get(r, {}).get("median")
                vals.append("%.6g" % (m / c) if m and c else "NaN")
            f.write(n + " " + " ".join(vals) + "\n")
    # Bars grow up from the bottom of a log axis, so it must sit below the smallest ratio.
    low = min([0.5] + [v / results[n][BASE_NATIVE]["median"] / 1.5 for n in names for r in shown
                       for v in [results[n].get(r, {}).get("median")] if v and results[n].get(BASE_NATIVE, {}).get("median")])
    plots = ", ".join("'%s' using %d:xtic(1) title columnheader(%d)" % (data, i + 2, i + 2) for i in range(len(shown)))
    script = "\n".join([
        "set terminal pngcairo size 1200,600 noenhanced" if _has_cairo(gnuplot) else "set terminal png size 1200,600 noenhanced",
        "set output '%s'" % path,
        "set title 'Run time relative to C (log scale, lower is faster)'",
        "set style data histograms",
        "set style histogram clustered gap 1",
        "set style fill solid 0.8 border -1",
        "set logscale y",
        "set yrange [%g:*]" % low,
        "set grid ytics",
        "set key top left",
        "set xtics rotate by -30",
        "plot " + plots,
    ])
    r = subprocess.run([gnuplot], input=script, text=True, capture_output=True)
    if r.returncode != 0:
        log("chart: gnuplot failed: " + r.stderr.strip())
        if os.path.exists(path):
            os.remove(path)
        return False
    return True


def _has_cairo(gnuplot):
    r = subprocess.run([gnuplot, "-e", "set terminal"], capture_output=True, text=True)
    return "pngcairo" in (r.stdout + r.stderr)


STARTUP = "empty"  # bench/programs/empty.{tri,lua}: start-up only, for the callgrind table


def callgrind_ratio_table(callgrind, names, cg_runtimes):
    """Ir ratios to luajit -joff, whole process and net of each runtime's start-up."""
    if BASE_INTERP not in cg_runtimes:
        return []
    others = [r for r in cg_runtimes if r != BASE_INTERP]
    start = callgrind.get(STARTUP, {})
    header = ["program"] + ["%s" % r for r in others] + ["%s, net of start-up" % r for r in others if start.get(r)]
    rows, logs = [], {h: [] for h in header[1:]}
    for n in names:
        base = callgrind[n].get(BASE_INTERP)
        row = [n]
        for r in others:
            v = callgrind[n].get(r)
            ratio = v / base if v and base else None
            row.append(fmt_ratio(ratio))
            logs[r].append(ratio)
        for r in others:
            if not start.get(r):
                continue
            v, b0, s0 = callgrind[n].get(r), start.get(BASE_INTERP), start.get(r)
            ratio = (v - s0) / (base - b0) if v and base and b0 and base > b0 else None
            row.append(fmt_ratio(ratio))
            logs["%s, net of start-up" % r].append(ratio)
        rows.append(row)
    rows.append(["geomean"] + [fmt_ratio(geomean(logs[h])) for h in header[1:]])
    return ["## Instruction ratio to %s (callgrind, lower is fewer)" % BASE_INTERP, "",
            md_table(header, rows), ""]


def write_markdown(path, meta, tables, results, names, callgrind, problems):
    lines = ["# Trinity benchmark results", ""]
    lines += ["- date: %s" % meta["machine"]["date"],
              "- machine: `%s`" % meta["machine"]["uname"],
              "- cpu: %s (%s logical cores), load average at start: %s" % (
                  meta["machine"]["cpu"], meta["machine"]["cores"],
                  " ".join("%.2f" % x for x in meta["machine"]["loadavg"] or [])),
              "- command: `%s`" % meta["command"],
              "- runs: %d timed after %d warm-up, interleaved; %s sizes" % (
                  meta["runs"], meta["warmup"], "quick" if meta["quick"] else "full"),
              "- sizes: " + ", ".join("%s=%s" % (n, meta["sizes"][n]) for n in names)]
    for k, v in meta["versions"].items():
        lines.append("- %s: %s" % (k, v))
    if meta.get("note"):
        lines.append("- note: " + meta["note"])
    lines.append("")
    for title, header, rows in tables:
        lines += ["## " + title, "", md_table(header, rows), ""]
    rss_rows = []
    for n in names:
        rss_rows.append([n] + [str(results[n][r]["peak_rss_kb"]) if results[n].get(r, {}).get("peak_rss_kb") else "n/a"
                               for r in meta["runtimes"]])
    lines += ["## Peak RSS (KiB, one run)", "", md_table(["program"] + meta["runtimes"], rss_rows), ""]
    if callgrind:
        cg_runtimes = sorted({r for per in callgrind.values() for r in per}, key=RUNTIMES.index)
        cg_names = [n for n in names if n in callgrind] + ([STARTUP] if STARTUP in callgrind else [])
        rows = [[n] + [("{:,}".format(callgrind[n][r]) if callgrind[n].get(r) else "n/a") for r in cg_runtimes]
                for n in cg_names]
        lines += ["## Instructions executed (callgrind Ir, quick sizes)", "",
                  "`%s` is a program that does nothing: each runtime's start-up." % STARTUP, "",
                  md_table(["program"] + cg_runtimes, rows), ""]
        lines += callgrind_ratio_table(callgrind, [n for n in names if n in callgrind], cg_runtimes)
    if problems:
        lines += ["## Problems", ""] + ["- " + p for p in problems] + [""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def _display_path(arg, tmp):
    """Command words as recorded: temp copies as $TMP/name, the rest relative to the repo."""
    if arg.startswith(tmp + os.sep):
        return "$TMP/" + os.path.relpath(arg, tmp)
    return os.path.relpath(arg, REPO_DIR) if arg.startswith(REPO_DIR + os.sep) else arg


# --- main --------------------------------------------------------------------------------

def main(argv):
    args = parse_args(argv)
    names = list(PROGRAMS)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        for n in names:
            if n not in PROGRAMS:
                sys.exit("unknown program %r (choose from %s)" % (n, ", ".join(PROGRAMS)))
    sizes = {n: PROGRAMS[n][1 if args.quick else 0] for n in names}
    os.makedirs(args.out, exist_ok=True)
    name = args.name or ("quick" if args.quick else "latest")
    tmp = tempfile.mkdtemp(prefix="trinity-bench-")
    problems = []
    try:
        # `runtimes` are the table columns; a runtime that is not installed keeps its
        # column, filled with n/a, so tables from different machines line up.
        runtimes, argv_of = commands(args, names, tmp)
        for r in runtimes:
            if r not in argv_of:
                problems.append("%s not available: column n/a" % r)
        if not argv_of:
            sys.exit("no runtime available")
        log("runtimes: %s; programs: %s" % (", ".join(r for r in runtimes if r in argv_of), ", ".join(names)))

        results = {n: {} for n in names}
        # Warm-up doubles as the correctness pass: every output must match before timing.
        for n in names:
            for r in runtimes:
                if r not in argv_of:
                    continue
                cmd = argv_of[r](n, sizes[n])
                if cmd is None:
                    continue
                res = {}
                for _ in range(max(1, args.warmup)):
                    res = run_once(cmd, args.timeout)
                entry = {"cmd": cmd, "times": []}
                if res.get("rc") != 0:
                    entry["error"] = "exit %s: %s" % (res.get("rc"), res.get("err", "").strip()[-300:])
                    problems.append("%s on %s failed: %s" % (n, r, entry["error"]))
                    log("FAIL %s on %s: %s" % (n, r, entry["error"]))
                else:
                    entry["checksum"] = res["out"]
                results[n][r] = entry
            sums = {r: e["checksum"] for r, e in results[n].items() if "checksum" in e}
            if len(set(sums.values())) > 1:
                problems.append("%s: checksums disagree: %s" % (n, "; ".join("%s=%r" % kv for kv in sums.items())))
                log("MISMATCH %s: %s" % (n, sums))
            else:
                log("ok %-13s %s" % (n, next(iter(sums.values()), "(no output)")))

        # Timed runs: rounds over all programs and runtimes, so load changes on this
        # machine spread over every column instead of hitting one.
        for i in range(args.runs):
            for n in names:
                for r in runtimes:
                    e = results[n].get(r)
                    if not e or "error" in e:
                        continue
                    res = run_measured(e["cmd"], args.timeout)
                    if res.get("rc") != 0 or res["out"] != e["checksum"]:
                        e["error"] = "run %d: exit %s, output %r" % (i + 1, res.get("rc"), res.get("out"))
                        problems.append("%s on %s: %s" % (n, r, e["error"]))
                        continue
                    e["times"].append(res["wall"])
                    e.setdefault("user", []).append(res["user"])
                    e.setdefault("sys", []).append(res["sys"])
            log("round %d/%d done" % (i + 1, args.runs))

        for n in names:
            for r, e in results[n].items():
                if e["times"] and "error" not in e:
                    e["median"] = statistics.median(e["times"])
                    e["min"] = min(e["times"])
                    e["peak_rss_kb"] = peak_rss_kb(e["cmd"], args.timeout)

        callgrind = {}
        if args.callgrind:
            if not shutil.which("valgrind"):
                problems.append("valgrind not found: no instruction counts")
            else:
                interpreters = [r for r in ("trinity", "trinity ref", "lua5.4", BASE_INTERP) if r in argv_of]
                for n in names + [STARTUP]:
                    callgrind[n] = {}
                    for r in interpreters:
                        cmd = argv_of[r](n, PROGRAMS[n][1] if n in PROGRAMS else 0)
                        ir = callgrind_ir(cmd, tmp, args.timeout * 10)
                        callgrind[n][r] = ir
                        log("callgrind %-13s %-13s %s" % (n, r, ir))

        tables = summary_tables(names, runtimes, results)
        for title, header, rows in tables:
            print("\n" + title)
            print(table(header, rows))
        if problems:
            print("\nProblems:")
            for p in problems:
                print("  " + p)

        meta = {
            "command": " ".join(shlex.quote(a) for a in ["python3", os.path.relpath(__file__, os.getcwd())] + argv),
            "machine": machine_info(),
            "versions": versions(args, runtimes),
            "runs": args.runs,
            "warmup": args.warmup,
            "quick": args.quick,
            "sizes": sizes,
            "runtimes": runtimes,
            "note": "wall-clock medians; the trinity column includes compiling the .tri source on each run"
                    + ("; " + args.note if args.note else ""),
        }
        if "trinity" in argv_of or "trinity ref" in argv_of:
            meta["versions"]["trinity"] = os.path.relpath(args.trinity or OPT_TRINITY, REPO_DIR)
        geo = {}
        for title, header, rows in tables[1:]:
            geo[title] = dict(zip(header[1:], rows[-1][1:]))
        doc = {"meta": meta, "results": results, "geomeans": geo, "callgrind_ir": callgrind,
               "problems": problems}
        for n in names:
            for r, e in results[n].items():
                e["cmd"] = " ".join(shlex.quote(_display_path(a, tmp)) for a in e["cmd"])
        json_path = os.path.join(args.out, name + ".json")
        with open(json_path, "w") as f:
            json.dump(doc, f, indent=2, sort_keys=False)
            f.write("\n")
        md_path = os.path.join(args.out, name + ".md")
        write_markdown(md_path, meta, tables, results, names, callgrind, problems)
        png_path = os.path.join(args.out, name + ".png")
        wrote_png = BASE_NATIVE in argv_of and write_chart(png_path, names, runtimes, results, tmp)
        log("wrote %s, %s%s" % (json_path, md_path, (", " + png_path) if wrote_png else ""))
        bad = [p for p in problems if "disagree" in p or "failed" in p or "exit" in p]
        return 1 if bad else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
