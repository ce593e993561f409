#!/usr/bin/env python3
"""Re-runs the memory attacks of issue 11 against a `trinity` binary and prints, for each,
the peak resident memory of the whole process tree (command plus any worker: /proc
sampled every 20 ms, and the command's own maximum from wait4), with how the run ended. Not part of CI (it takes a minute and
hundreds of MB at its peaks); the README's memory-model table comes from it:

    bazel build -c opt //tools:trinity
    python3 tests/attacks/rss_attacks.py bazel-bin/tools/trinity

Every case runs with --max-heap 64m; the budget column is what the limits allow:
2 x heap + stack budget, or the compiler's memory budget, plus a fixed overhead.
"""
import os
import subprocess
import sys
import tempfile
import time

HEAP = ["--max-heap", "64m"]


def write_cases(d):
    def put(name, text):
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    put("deep.tri", "fn f(n) { return f(n + 1) }\nexport fn main() { return f(0) }\n")
    put("selfref_to_log.tri", "import fn log(msg)\nexport fn main() {\n  let m = {}\n"
        "  for i in 0..64 { m[i] = m }\n  log(m)\n}\n")
    put("shared_string_to_log.tri", "import fn log(msg)\nexport fn main() {\n"
        "  let s = repeat(\"x\", 30000000)\n  let a = []\n  for i in 0..20 { push(a, s) }\n"
        "  log(a)\n}\n")
    put("full_heap_print.tri", "export fn main() {\n  let s = repeat(\"x\", 60000000)\n"
        "  print(s)\n  print(str([s]))\n}\n")
    with open(os.path.join(d, "big_source.tri"), "w") as f:
        f.write("export fn main() {\n  let x = 0\n")
        n = 0
        while f.tell() < 10_000_000:
            f.write(f"  x = x + {n % 1000} * 2 - 1\n")
            n += 1
        f.write("  return x\n}\n")
    with open(os.path.join(d, "globals.tri"), "w") as f:
        for i in range(700_000):
            f.write(f"let g{i} = 0\n")
    put("print_300mib.tri", "export fn main() {\n  let s = repeat(\"x\", 1048575)\n"
        "  for i in 0..300 { print(s) }\n}\n")
    put("print_forever.tri", "export fn main() {\n  let s = repeat(\"x\", 1048575)\n"
        "  while true { print(s) }\n}\n")
    put("spin.tri", "export fn main() { while true { } }\n")


CASES = [
    # (what, file, extra flags, budget in MiB beyond the fixed overhead)
    ("1 deep recursion, --max-depth 1e8", "deep.tri", ["--max-depth", "100000000"], 2 * 64 + 1),
    ("1 same, --max-stack 64m", "deep.tri", ["--max-depth", "100000000", "--max-stack", "64m"], 2 * 64 + 64),
    ("2 self-referencing map to log()", "selfref_to_log.tri", [], 2 * 64 + 1),
    ("2 20 refs to a 30 MB string to log()", "shared_string_to_log.tri", [], 2 * 64 + 1),
    ("2 60 MB string printed, then str([it])", "full_heap_print.tri", [], 2 * 64 + 1),
    ("3 10 MB source (456k statements)", "big_source.tri", [], 128),
    ("3 same, --max-source 16m", "big_source.tri", ["--max-source", "16m"], 128),
    ("3 same, --max-source 16m --isolate=process", "big_source.tri", ["--max-source", "16m", "--isolate=process"], 128),
    ("3 700k globals, --max-source 16m", "globals.tri", ["--max-source", "16m"], 128),
    ("4 print 1 MiB x 300, --isolate=process", "print_300mib.tri", ["--isolate=process"], 2 * 64 + 1),
    ("4 print 1 MiB forever, --isolate=process", "print_forever.tri", ["--isolate=process"], 2 * 64 + 1),
    ("5 while true {}, --isolate=process", "spin.tri", ["--isolate=process"], 2 * 64 + 1),
]


def tree(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out


def rss(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def measure(cmd, limit_s=120):
    start = time.time()
    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        peak = 0
        while True:
            # wait4's maximum RSS of the command (and its reaped workers) catches peaks
            # between samples; the samples add up the live processes of the tree.
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid != 0:
                peak = max(peak, usage.ru_maxrss * 1024)
                code = os.waitstatus_to_exitcode(status)
                break
            peak = max(peak, sum(rss(x) for x in tree(p.pid)))
            if time.time() - start > limit_s:
                p.kill()
            time.sleep(0.02)
        err.seek(0)
        lines = err.read(2000).decode(errors="replace").splitlines()
    ending = next((l for l in lines if l.startswith(("trinity:", "[plugin]")) or ": error:" in l),
                  "finished" if code == 0 else "")
    ending = ending.replace(os.path.dirname(cmd[2]) + "/", "")
    if len(ending) > 90:
        ending = ending[:87] + "..."
    return code, time.time() - start, peak / 2**20, ending


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "bazel-bin/tools/trinity")
    with tempfile.TemporaryDirectory() as d:
        write_cases(d)
        print("| case | exit | seconds | peak RSS (MiB) | budget (MiB) | how it ended |")
        print("|---|---:|---:|---:|---:|---|")
        for what, name, flags, budget in CASES:
            code, secs, peak, ending = measure([binary, "run", os.path.join(d, name)] + HEAP + flags)
            print(f"| {what} | {code} | {secs:.1f} | {peak:.0f} | {budget} | {ending.replace('|', '/')} |")


if __name__ == "__main__":
    main()
