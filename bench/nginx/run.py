#!/usr/bin/env python3
# nginx benchmark: the same three handlers (hello, compute, route) served by
# ngx_http_trinity_module and by lua-nginx-module (libnginx-mod-http-lua, LuaJIT) in
# Debian's nginx on 127.0.0.1, measured with wrk in interleaved rounds; and a soak of the
# compute handler with 1 % trapping requests. Writes bench/results/nginx.{json,md}.
"""Usage: python3 bench/nginx/run.py [--rounds N] [--duration S] [--soak N] ...

See bench/nginx/README.md for what is measured and how to read the tables.
"""

import argparse
import datetime
import json
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RESULTS = os.path.join(REPO, "bench", "results")
# bazel-bin follows whichever configuration built last; the opt output is named directly.
OPT_MODULE = os.path.join(REPO, "bazel-out", "k8-opt", "bin", "hosts", "nginx",
                          "ngx_http_trinity_module.so")
LUA_MODULES = ["/usr/lib/nginx/modules/ndk_http_module.so",
               "/usr/lib/nginx/modules/ngx_http_lua_module.so"]

HANDLERS = {
    # name -> (wrk path or script, what the handler does)
    "hello": ("/hello", "(a) trivial hello"),
    "compute": ("/compute?n=200&scale=3&name=bench", "(b) query args + 200 iterations + ~1 KB body"),
    "route": ("wrk/route_paths.lua", "(c) URI routing over 20 patterns"),
}
SERVERS = ["trinity", "lua"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3); medians are reported")
    p.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    p.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    p.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    p.add_argument("--workers", type=int, default=1, help="nginx workers for each server (default 1)")
    p.add_argument("--only", default="", help="comma-separated subset of hello,compute,route")
    p.add_argument("--soak", type=int, default=0, help="after the rounds, N requests to compute with 1%% trapping")
    p.add_argument("--soak-only", action="store_true", help="skip the rounds")
    p.add_argument("--module", default="", help="ngx_http_trinity_module.so (default: bazel build -c opt)")
    p.add_argument("--no-build", action="store_true", help="never invoke bazel; use the last opt build")
    p.add_argument("--note", default="", help="free text recorded with the results (machine load)")
    p.add_argument("--out", default=RESULTS)
    p.add_argument("--name", default="nginx", help="basename of the result files")
    return p.parse_args(argv)


# --- servers ---------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def locate_module(args):
    if args.module:
        return os.path.abspath(args.module)
    if not args.no_build:
        log("trinity: bazel build -c opt //hosts/nginx:module")
        r = subprocess.run(["bazel", "build", "-c", "opt", "//hosts/nginx:module"], cwd=REPO,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            sys.exit("module build failed:\n" + r.stderr[-3000:])
    if not os.path.exists(OPT_MODULE):
        sys.exit("missing " + OPT_MODULE)
    return OPT_MODULE


def locations(kind):
    if kind == "trinity":
        handler = "content_by_trinity_file {}/{{}}.tri;".format(HERE)
        extra = "trinity_limits fuel=0 heap=16m timeout=1000;"
    else:
        handler = "content_by_lua_file {}/{{}}.lua;".format(HERE)
        extra = ""
    return "\n".join([
        "location = /hello {{ {} }}".format(handler.format("hello")),
        "location = /compute {{ {} {} }}".format(handler.format("compute"), extra),
        "location / {{ {} {} }}".format(handler.format("route"), extra),
    ])


class Server:
    def __init__(self, kind, module, workers):
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix="bench_nginx_%s." % kind, dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.error_log = os.path.join(self.dir, "error.log")
        modules = [module] if kind == "trinity" else LUA_MODULES
        conf = "".join("load_module %s;\n" % m for m in modules) + """
daemon off;
master_process on;
worker_processes %d;
error_log %s warn;
pid %s/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:%d;
    %s
  }
}
""" % (workers, self.error_log, self.dir, self.port, locations(kind))
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen(["nginx", "-p", self.dir, "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("%s nginx exited: %s" % (kind, self.proc.stderr.read()))
            if len(self.workers()) == workers:
                try:
                    self.get("/hello")
                    return
                except OSError:
                    pass
            time.sleep(0.1)
        raise SystemExit("%s nginx did not start" % kind)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def get(self, path):
        try:
            with urllib.request.urlopen(self.url(path), timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def workers(self):
        """PIDs of the master's workers, from /proc (no procps needed)."""
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % entry) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                found.append(int(entry))
        return sorted(found)

    def worker_rss_kib(self):
        total = 0
        for pid in self.workers():
            try:
                with open("/proc/%d/status" % pid) as f:
                    total += int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
            except (OSError, AttributeError):
                pass
        return total

    def worker_cpu_seconds(self):
        """User + system CPU time of the workers so far (a measure load does not move much)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.workers():
            try:
                with open("/proc/%d/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
            except (OSError, IndexError):
                pass
        return total / ticks

    def log_text(self):
        with open(self.error_log) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


# --- wrk -------------------------------------------------------------------------------

def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def wrk(args, server, handler, env=None, duration=None, extra=()):
    target, _ = HANDLERS[handler]
    cmd = ["wrk", "-t", str(args.threads), "-c", str(args.connections),
           "-d", "%ds" % (duration or args.duration), "--latency", "--timeout", "5s"]
    if target.endswith(".lua"):
        cmd += ["-s", os.path.join(HERE, target), server.url("/")]
    else:
        cmd += [server.url(target)]
    cmd += list(extra)
    r = subprocess.run(cmd, capture_output=True, text=True, env=env,
                       timeout=(duration or args.duration) * 3 + 600)
    if r.returncode != 0:
        raise SystemExit("wrk failed: " + r.stderr)
    out = r.stdout
    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", out, re.M))
    errors = re.search(r"Socket errors: (.*)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": to_ms(lat["50"]),
        "p99_ms": to_ms(lat["99"]),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "socket_errors": errors.group(1) if errors else "",
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "raw": out,
    }


# --- checks, rounds, soak --------------------------------------------------------------

def check_same_answers(servers):
    """Both implementations must answer the benchmark requests identically."""
    paths = ["/hello", "/compute?n=200&scale=3&name=bench", "/compute?n=7&name=x",
             "/api/v1/users/42/posts/7", "/docs/guide/intro", "/nope/nothing", "/health"]
    for path in paths:
        answers = {s.kind: s.get(path) for s in servers}
        if len(set(answers.values())) != 1:
            raise SystemExit("implementations disagree on %s: %r" % (path, answers))
    log("check: both servers give identical answers on %d paths" % len(paths))


def run_rounds(args, servers, handlers):
    samples = {h: {s.kind: [] for s in servers} for h in handlers}
    for r in range(args.rounds):
        for h in handlers:
            order = servers if r % 2 == 0 else list(reversed(servers))
            for s in order:
                cpu_before = s.worker_cpu_seconds()
                res = wrk(args, s, h)
                res["cpu_us_per_request"] = 1e6 * (s.worker_cpu_seconds() - cpu_before) / max(1, res["requests"])
                res["rss_kib"] = s.worker_rss_kib()
                res["load"] = os.getloadavg()[0]
                res.pop("raw")
                samples[h][s.kind].append(res)
                log("round %d %-8s %-8s %9.0f req/s  p50 %6.2f ms  p99 %7.2f ms  cpu %5.1f us/req  rss %6d KiB  load %.1f"
                    % (r + 1, h, s.kind, res["rps"], res["p50_ms"], res["p99_ms"], res["cpu_us_per_request"],
                       res["rss_kib"], res["load"]))
    summary = {}
    for h in handlers:
        summary[h] = {}
        for kind, runs in samples[h].items():
            summary[h][kind] = {
                "rps": statistics.median(x["rps"] for x in runs),
                "p50_ms": statistics.median(x["p50_ms"] for x in runs),
                "p99_ms": statistics.median(x["p99_ms"] for x in runs),
                "cpu_us_per_request": statistics.median(x["cpu_us_per_request"] for x in runs),
                "rss_kib": max(x["rss_kib"] for x in runs),
            }
    return samples, summary


def soak(args, module):
    """N requests to compute, 1 % on the trapping path, RSS sampled once a second."""
    server = Server("trinity", module, 1)
    try:
        [worker] = server.workers()
        rss = []
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                rss.append(server.worker_rss_kib())
                stop.wait(1.0)

        sampler = threading.Thread(target=sample)
        sampler.start()
        # wrk runs for a duration, not a count: short runs until the total is reached.
        start = time.monotonic()
        statuses, socket_errors, runs = {}, [], 0
        while sum(statuses.values()) < args.soak:
            cmd = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", "10s",
                   "--timeout", "5s", "-s", os.path.join(HERE, "wrk", "soak.lua"), server.url("/")]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            runs += 1
            for a, b in re.findall(r"^status (\d+) (\d+)$", r.stdout, re.M):
                statuses[int(a)] = statuses.get(int(a), 0) + int(b)
            err = re.search(r"Socket errors: (.*)", r.stdout)
            if err:
                socket_errors.append(err.group(1))
            if runs % 10 == 0:
                log("soak: %d requests so far, worker RSS %d KiB" % (sum(statuses.values()), rss[-1] if rss else 0))
        seconds = time.monotonic() - start
        stop.set()
        sampler.join()
        total = sum(statuses.values())
        text = server.log_text()
        traps = len(re.findall(r"trapped in fn handle at line \d+: error: trap requested", text))
        warm = rss[max(1, len(rss) // 10):] or rss
        result = {
            "requests": total,
            "wrk_runs": runs,
            "seconds": round(seconds, 1),
            "statuses": statuses,
            "unexpected_statuses": sum(n for s, n in statuses.items() if s not in (200, 500)),
            "trap_responses": statuses.get(500, 0),
            "traps_logged": traps,
            "socket_errors": socket_errors,
            "worker_crashes": text.count("exited on signal"),
            "same_worker": server.workers() == [worker],
            "rss_kib_samples": rss,
            "rss_kib_after_warmup_min": min(warm),
            "rss_kib_after_warmup_max": max(warm),
            "rss_growth_after_warmup_pct": round(100.0 * (max(warm) - min(warm)) / min(warm), 2),
        }
        expected_traps = total / 100
        result["ok"] = (result["unexpected_statuses"] == 0 and result["worker_crashes"] == 0
                        and result["same_worker"] and total >= args.soak
                        # each 10 s run restarts the 1-in-100 count and may end with
                        # requests in flight whose answers (and log lines) wrk never reads
                        and abs(result["trap_responses"] - expected_traps) <= runs + args.connections
                        and 0 <= result["traps_logged"] - result["trap_responses"] <= runs * args.connections
                        and result["rss_growth_after_warmup_pct"] <= 5.0)
        log("soak: %d requests in %.0f s, statuses %s, crashes %d, RSS %d..%d KiB after warm-up (%.2f %%): %s"
            % (total, seconds, statuses, result["worker_crashes"], result["rss_kib_after_warmup_min"],
               result["rss_kib_after_warmup_max"], result["rss_growth_after_warmup_pct"],
               "OK" if result["ok"] else "FAILED"))
        return result
    finally:
        server.stop()


# --- output ----------------------------------------------------------------------------

def version(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    return (r.stdout + r.stderr).strip().splitlines()[0] if (r.stdout + r.stderr).strip() else "?"


def luajit_package():
    r = subprocess.run(["dpkg-query", "-S", os.path.realpath("/usr/lib/x86_64-linux-gnu/libluajit-5.1.so.2")],
                       capture_output=True, text=True)
    pkg = r.stdout.split(":")[0] if r.returncode == 0 else "?"
    v = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True).stdout
    return "%s %s" % (pkg, v)


def markdown(meta, summary, soak_result):
    lines = ["# nginx: Trinity module vs lua-nginx-module", "",
             "- date: %s" % meta["date"],
             "- machine: %s, %d cores; load average %.1f before, %.1f after" % (
                 meta["cpu"], meta["cores"], meta["load_before"], meta["load_after"]),
             "- nginx: %s; lua-nginx-module %s on %s" % (meta["nginx"], meta["lua_module"], meta["luajit"]),
             "- %d worker(s) per server; wrk %d thread(s), %d connections, %d s per run, %d interleaved rounds (medians)" % (
                 meta["workers"], meta["threads"], meta["connections"], meta["duration"], meta["rounds"]),
             "- command: `%s`" % meta["command"]]
    if meta["note"]:
        lines.append("- note: %s" % meta["note"])
    if summary:
        lines += ["", "| handler | req/s ratio | p50 ratio | p99 ratio | RSS ratio | CPU/req ratio | Trinity req/s | Lua req/s | Trinity p50 / p99 ms | Lua p50 / p99 ms | Trinity / Lua worker CPU µs/req | Trinity / Lua worker RSS KiB |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for h, kinds in summary.items():
            t, l = kinds["trinity"], kinds["lua"]
            lines.append("| %s | **%.2f** | %.2f | %.2f | %.2f | %.2f | %.0f | %.0f | %.2f / %.2f | %.2f / %.2f | %.1f / %.1f | %d / %d |" % (
                HANDLERS[h][1], t["rps"] / l["rps"], t["p50_ms"] / l["p50_ms"], t["p99_ms"] / l["p99_ms"],
                t["rss_kib"] / l["rss_kib"], t["cpu_us_per_request"] / l["cpu_us_per_request"],
                t["rps"], l["rps"], t["p50_ms"], t["p99_ms"], l["p50_ms"], l["p99_ms"],
                t["cpu_us_per_request"], l["cpu_us_per_request"], t["rss_kib"], l["rss_kib"]))
        lines += ["", "Ratios are Trinity / Lua: above 1 is better for req/s; below 1 is better for latency, "
                  "RSS and worker CPU time per request (user + system, from /proc; the figure machine load "
                  "moves least)."]
    if soak_result:
        s = soak_result
        lines += ["", "## Soak", "",
                  "%d requests to (b) in %.0f s, 1 in 100 on the trapping path: statuses %s; "
                  "%d traps logged; %d unexpected statuses; %d worker crashes; same worker throughout: %s; "
                  "worker RSS after warm-up %d..%d KiB (%.2f %% spread). Verdict: **%s**." % (
                      s["requests"], s["seconds"], s["statuses"], s["traps_logged"],
                      s["unexpected_statuses"], s["worker_crashes"], s["same_worker"],
                      s["rss_kib_after_warmup_min"], s["rss_kib_after_warmup_max"],
                      s["rss_growth_after_warmup_pct"], "pass" if s["ok"] else "FAIL")]
    return "\n".join(lines) + "\n"


def main(argv):
    args = parse_args(argv)
    for tool in ("nginx", "wrk"):
        if not shutil.which(tool):
            sys.exit("%s is not installed (tools/setup.sh installs it)" % tool)
    handlers = [h.strip() for h in args.only.split(",") if h.strip()] or list(HANDLERS)
    module_src = locate_module(args)
    tmp = tempfile.mkdtemp(prefix="bench_nginx.")
    try:
        # A private copy: a bazel build in this tree may replace the output meanwhile.
        module = os.path.join(tmp, "ngx_http_trinity_module.so")
        shutil.copy2(module_src, module)
        os.chmod(module, 0o755)
        load_before = os.getloadavg()[0]
        samples, summary = {}, {}
        if not args.soak_only:
            servers = [Server(k, module, args.workers) for k in SERVERS]
            try:
                check_same_answers(servers)
                samples, summary = run_rounds(args, servers, handlers)
            finally:
                for s in servers:
                    s.stop()
        soak_result = soak(args, module) if args.soak else None
        meta = {
            "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
            "cores": os.cpu_count(),
            "load_before": load_before,
            "load_after": os.getloadavg()[0],
            "nginx": version(["nginx", "-v"]).replace("nginx version: ", ""),
            "lua_module": subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libnginx-mod-http-lua"],
                                         capture_output=True, text=True).stdout,
            "luajit": luajit_package(),
            "workers": args.workers, "threads": args.threads, "connections": args.connections,
            "duration": args.duration, "rounds": args.rounds, "note": args.note,
            "command": "python3 bench/nginx/run.py " + shlex.join(argv),
        }
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, args.name + ".json"), "w") as f:
            json.dump({"meta": meta, "summary": summary, "runs": samples, "soak": soak_result}, f, indent=1)
        text = markdown(meta, summary, soak_result)
        with open(os.path.join(args.out, args.name + ".md"), "w") as f:
            f.write(text)
        print(text)
        return 0 if soak_result is None or soak_result["ok"] else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
