#!/usr/bin/env python3
# Dynamic fast-tier instruction and pair counts over the benchmark programs: the
# measurements superinstructions are chosen from (runtime/fast_interpreter.md). Builds
# //bench:opcode_pairs (the runtime with TRINITY_FAST_PROFILE), compiles each program with
# //tools:trinity, runs it, and writes bench/results/opcode_pairs.{md,json}.
"""Usage: python3 bench/opcode_pairs.py [--size quick|full] [--only a,b] [--top N]

Shares are averaged over programs (each program weighs the same), so one long-running
benchmark cannot decide alone which pairs look hot.
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)
sys.path.insert(0, BENCH_DIR)
from run import PROGRAMS  # noqa: E402  (one list of programs and sizes)

OPT_BIN = os.path.join(REPO_DIR, "bazel-out", "k8-opt", "bin")


def build():
    r = subprocess.run(["bazel", "build", "-c", "opt", "//bench:opcode_pairs", "//tools:trinity"],
                       cwd=REPO_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit("build failed:\n" + r.stderr[-3000:])


def profile(name, size, tmp):
    tbc = os.path.join(tmp, name + ".tbc")
    subprocess.run([os.path.join(OPT_BIN, "tools", "trinity"), "compile",
                    os.path.join(BENCH_DIR, "programs", name + ".tri"), "-o", tbc],
                   check=True, stderr=subprocess.DEVNULL)
    out = subprocess.run([os.path.join(OPT_BIN, "bench", "opcode_pairs"), tbc, str(size)],
                         check=True, capture_output=True, text=True).stdout
    ops, pairs = collections.Counter(), collections.Counter()
    for line in out.splitlines():
        words = line.split()
        if words[0] == "op":
            ops[words[1]] = int(words[2])
        elif words[0] == "pair":
            pairs[(words[1], words[2])] = int(words[3])
    return ops, pairs


def mean_shares(per_program):
    """Average over programs of each key's share of that program's total."""
    shares = collections.Counter()
    for counts in per_program.values():
        total = sum(counts.values()) or 1
        for k, v in counts.items():
            shares[k] += v / total / len(per_program)
    return shares


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", choices=["quick", "full"], default="quick")
    p.add_argument("--only", default="")
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--no-build", action="store_true")
    p.add_argument("--out", default=os.path.join(BENCH_DIR, "results"))
    args = p.parse_args(argv)
    names = [n for n in PROGRAMS if not args.only or n in args.only.split(",")]
    if not args.no_build:
        build()
    ops_of, pairs_of = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in names:
            size = PROGRAMS[n][0 if args.size == "full" else 1]
            ops_of[n], pairs_of[n] = profile(n, size, tmp)
            print("%-13s %12d instructions" % (n, sum(ops_of[n].values())), file=sys.stderr)
    op_shares, pair_shares = mean_shares(ops_of), mean_shares(pairs_of)

    lines = ["# Fast-tier dynamic instruction counts", "",
             "- command: `python3 bench/opcode_pairs.py --size %s`" % args.size,
             "- programs: " + ", ".join("%s(%s)" % (n, PROGRAMS[n][0 if args.size == "full" else 1])
                                        for n in names),
             "- share: the instruction's (pair's) fraction of each program's executed fast "
             "instructions (pairs), averaged over the programs", "",
             "## Executed instructions per program", "", "| program | instructions |", "|---|---:|"]
    lines += ["| %s | %s |" % (n, "{:,}".format(sum(ops_of[n].values()))) for n in names]
    lines += ["", "## Instructions (top %d)" % args.top, "", "| instruction | share | count |", "|---|---:|---:|"]
    total_ops = collections.Counter()
    for c in ops_of.values():
        total_ops.update(c)
    for op, share in op_shares.most_common(args.top):
        lines.append("| `%s` | %.2f%% | %s |" % (op, 100 * share, "{:,}".format(total_ops[op])))
    lines += ["", "## Adjacent pairs (top %d)" % args.top, "", "| first | then | share | count |",
              "|---|---|---:|---:|"]
    total_pairs = collections.Counter()
    for c in pairs_of.values():
        total_pairs.update(c)
    for (a, b), share in pair_shares.most_common(args.top):
        lines.append("| `%s` | `%s` | %.2f%% | %s |" % (a, b, 100 * share, "{:,}".format(total_pairs[(a, b)])))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "opcode_pairs.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(args.out, "opcode_pairs.json"), "w") as f:
        json.dump({"size": args.size,
                   "ops": {n: dict(c) for n, c in ops_of.items()},
                   "pairs": {n: {"%s %s" % k: v for k, v in c.items()} for n, c in pairs_of.items()}},
                  f, indent=1, sort_keys=True)
        f.write("\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
