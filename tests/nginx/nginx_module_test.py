#!/usr/bin/env python3
# End-to-end tests of ngx_http_trinity_module inside Debian's nginx: configuration-time
# verification, the request map and responses, parameters, per-request resets, hostile
# plugins (deadline, memory bomb, recursion, errors) with their error-log lines, and a
# worker under the nginx-worker seccomp policy. Each test starts its own nginx on a free
# loopback port and stops it; every wait is bounded.
"""Usage: nginx_module_test.py PATH/TO/ngx_http_trinity_module.so"""

import concurrent.futures
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

MODULE = None
PLUGINS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plugins")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    """One nginx master with `workers` workers serving `locations` (nginx.conf text)."""

    def __init__(self, locations, http_extra="", workers=1):
        # /tmp, not Bazel's TMPDIR: the workers run as nobody and must reach the directory.
        self.dir = tempfile.mkdtemp(prefix="ngx_trinity_test.", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.error_log = os.path.join(self.dir, "error.log")
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(f"""
load_module {MODULE};
daemon off;
master_process on;
worker_processes {workers};
error_log {self.error_log} info;
pid {self.dir}/nginx.pid;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {self.dir}/body;
  client_body_buffer_size 64k;
  {http_extra}
  server {{
    listen 127.0.0.1:{self.port};
    {locations}
  }}
}}
""")
        # A file to serve statically (workers run as nobody: world-readable).
        os.mkdir(os.path.join(self.dir, "static"), 0o755)
        with open(os.path.join(self.dir, "static", "hello.txt"), "w") as f:
            f.write("static hello\n")
        os.chmod(os.path.join(self.dir, "static", "hello.txt"), 0o644)
        self.proc = None

    def test_config(self):
        """Runs `nginx -t`; returns (exit status, combined output)."""
        r = subprocess.run([NGINX, "-t", "-p", self.dir, "-c", self.conf],
                           capture_output=True, text=True, timeout=60)
        return r.returncode, r.stdout + r.stderr

    def start(self):
        self.proc = subprocess.Popen([NGINX, "-p", self.dir, "-c", self.conf],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("nginx exited at start: " + self.proc.stderr.read() + self.log())
            if self.workers() and self._accepts():
                return self
            time.sleep(0.05)
        raise AssertionError("nginx did not start within 30 s: " + self.log())

    def _accepts(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def workers(self):
        """PIDs of the master's worker processes."""
        return children(self.proc.pid) if self.proc is not None else []

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: workers finish and exit
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.proc.stderr.close()
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        try:
            with open(self.error_log) as f:
                return f.read()
        except OSError:
            return ""

    def request(self, path, method="GET", body=None, headers=None, timeout=20, chunked=False):
        """Returns (status, headers dict with lower-case names, body text, seconds)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        start = time.monotonic()
        try:
            conn.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
            resp = conn.getresponse()
            data = resp.read().decode("utf-8", "replace")
            return (resp.status, {k.lower(): v for k, v in resp.getheaders()}, data,
                    time.monotonic() - start)
        finally:
            conn.close()


def children(pid):
    """PIDs whose parent is `pid`, from /proc (no procps needed)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def plugin(name):
    return os.path.join(PLUGINS, name)


class ServerTest(unittest.TestCase):
    """Starts one server per test from `locations`; checks the workers never crashed."""

    def serve(self, locations, **kw):
        server = Nginx(locations, **kw)
        self.addCleanup(server.cleanup)
        server.start()
        self.addCleanup(self.assert_no_worker_crashed, server)
        return server

    def assert_no_worker_crashed(self, server):
        log = server.log()
        self.assertNotIn("exited on signal", log)
        self.assertNotRegex(log, r"\[(alert|emerg|crit)\]")


class ConfigurationTime(unittest.TestCase):
    def check_rejected(self, locations, *expected):
        server = Nginx(locations)
        self.addCleanup(server.cleanup)
        status, out = server.test_config()
        self.assertNotEqual(status, 0, out)
        for text in expected:
            self.assertIn(text, out)

    def test_good_plugin_passes_nginx_t(self):
        server = Nginx(f"location / {{ content_by_trinity_file {plugin('echo.tri')}; }}")
        self.addCleanup(server.cleanup)
        status, out = server.test_config()
        self.assertEqual(status, 0, out)
        self.assertIn("test is successful", out)

    def test_compile_error_names_file_line_and_column(self):
        path = plugin("bad.tri")
        self.check_rejected(f"location / {{ content_by_trinity_file {path}; }}",
                            f"{path}:4:1: error:", "rejected (compile error)")

    def test_module_without_handle_is_refused(self):
        self.check_rejected(f"location / {{ content_by_trinity_file {plugin('no_handle.tri')}; }}",
                            "must export fn handle(req)")

    def test_imports_nginx_does_not_offer_are_refused(self):
        self.check_rejected(
            f"location / {{ content_by_trinity_file {plugin('unknown_import.tri')}; }}",
            "'open_socket'", "nginx offers param(name) and log(msg)")

    def test_bytecode_is_verified(self):
        with tempfile.NamedTemporaryFile(suffix=".tbc", delete=False) as f:
            f.write(b"TRNY\x01\x00garbage")
        self.addCleanup(os.unlink, f.name)
        self.check_rejected(f"location / {{ content_by_trinity_file {f.name}; }}",
                            "rejected (load error)")

    def test_bad_directive_arguments(self):
        self.check_rejected(
            f"location / {{ content_by_trinity_file {plugin('echo.tri')}; trinity_limits fuel=x; }}",
            'invalid parameter "fuel=x"')
        self.check_rejected(
            f"location / {{ content_by_trinity_file {plugin('echo.tri')}; trinity_trap_status 200; }}",
            "value must be between 400 and 599")

    def test_unknown_seccomp_policy(self):
        server = Nginx(f"location / {{ content_by_trinity_file {plugin('echo.tri')}; }}",
                       http_extra="trinity_seccomp bogus;")
        self.addCleanup(server.cleanup)
        status, out = server.test_config()
        self.assertNotEqual(status, 0)
        self.assertIn("no seccomp policy 'bogus'", out)

    def test_isolation_mpk_insists_on_protection_keys(self):
        server = Nginx(f"location / {{ content_by_trinity_file {plugin('echo.tri')}; }}",
                       http_extra="trinity_isolation mpk;")
        self.addCleanup(server.cleanup)
        status, out = server.test_config()
        pku = "pku" in open("/proc/cpuinfo").read().split()
        if pku and not os.environ.get("TRINITY_DISABLE_MPK"):
            self.assertEqual(status, 0, out)
        else:
            self.assertNotEqual(status, 0, out)
            self.assertIn("trinity_isolation mpk:", out)


class Requests(ServerTest):
    def setUp(self):
        self.server = self.serve(f"""
    location /echo {{ content_by_trinity_file {plugin('echo.tri')}; trinity_max_body 1k; }}
    location /respond {{ content_by_trinity_file {plugin('respond.tri')}; }}
    location /params {{
      content_by_trinity_file {plugin('params.tri')};
      trinity_param greeting "hello from nginx.conf";
    }}
    location /counter {{ content_by_trinity_file {plugin('counter.tri')}; }}
""")

    def test_request_map(self):
        status, _, body, _ = self.server.request(
            "/echo/a%20b?x=1&y=two+words&z=%26amp&x=3&flag",
            headers={"X-Test": "yes", "X-Multi": "one"})
        self.assertEqual(status, 200, body)
        self.assertIn("method=GET\n", body)
        self.assertIn("uri=/echo/a b\n", body)
        self.assertIn("query=x=1&y=two+words&z=%26amp&x=3&flag\n", body)
        self.assertIn('args={"x": "3", "y": "two words", "z": "&amp", "flag": ""}\n', body)
        self.assertIn("x-test=yes\n", body)
        self.assertIn("body=\n", body)

    def test_repeated_headers_are_joined(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        conn.putrequest("GET", "/echo")
        conn.putheader("X-Multi", "one")
        conn.putheader("X-Multi", "two")
        conn.endheaders()
        body = conn.getresponse().read().decode()
        conn.close()
        self.assertIn("x-multi=one, two\n", body)

    def test_body_is_passed_and_bounded(self):
        status, _, body, _ = self.server.request("/echo", "POST", body="a=1&b=2")
        self.assertEqual(status, 200)
        self.assertIn("method=POST\n", body)
        self.assertIn("body=a=1&b=2\n", body)
        status, _, _, _ = self.server.request("/echo", "POST", body="x" * 2000)
        self.assertEqual(status, 413)
        # Chunked bodies have no length up front: checked once read.
        def chunks():
            yield b"x" * 800
            yield b"y" * 800
        status, _, _, _ = self.server.request("/echo", "POST", body=chunks(), chunked=True)
        self.assertEqual(status, 413)
        status, _, body, _ = self.server.request("/echo", "POST", body=iter([b"ab", b"cd"]),
                                                 chunked=True)
        self.assertEqual(status, 200)
        self.assertIn("body=abcd\n", body)

    def test_head_sends_headers_only(self):
        status, headers, body, _ = self.server.request("/echo", "HEAD")
        self.assertEqual(status, 200)
        self.assertEqual(body, "")
        self.assertGreater(int(headers["content-length"]), 10)

    def test_string_result_is_200_text(self):
        status, headers, _, _ = self.server.request("/echo")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/plain")

    def test_map_result_sets_status_headers_and_body(self):
        status, headers, body, _ = self.server.request("/respond?kind=created")
        self.assertEqual(status, 201)
        self.assertEqual(headers["x-plugin"], "trinity")
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(body, '{"ok": true}')
        status, _, body, _ = self.server.request("/respond?kind=empty")
        self.assertEqual(status, 204)
        self.assertEqual(body, "")

    def test_invalid_results_are_500_and_logged(self):
        status, _, _, _ = self.server.request("/respond?kind=number")
        self.assertEqual(status, 500)
        status, headers, _, _ = self.server.request("/respond?kind=badheader")
        self.assertEqual(status, 500)
        self.assertNotIn("bad name", headers)
        log = self.server.log()
        self.assertIn("handle must return a string or a map", log)
        self.assertIn("got int", log)

    def test_params_and_log(self):
        status, _, body, _ = self.server.request("/params/x")
        self.assertEqual(status, 200)
        self.assertEqual(body, "hello from nginx.conf nil\n")
        self.assertRegex(self.server.log(),
                         r"\[notice\].*trinity: plugin \".*params.tri\": params plugin saw /params/x")

    def test_instances_are_reset_between_requests(self):
        for i in range(5):
            status, _, body, _ = self.server.request(f"/counter?id={i}")
            self.assertEqual(status, 200)
            self.assertEqual(body, f"1 {i}\n")

    def test_concurrent_requests_never_share_an_instance(self):
        def one(i):
            return self.server.request(f"/counter?id={i}")[2]
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            bodies = list(pool.map(one, range(200)))
        self.assertEqual(bodies, [f"1 {i}\n" for i in range(200)])


class HostilePlugins(ServerTest):
    def setUp(self):
        self.path = plugin("hostile.tri")
        self.server = self.serve(f"""
    location /h {{ content_by_trinity_file {self.path}; trinity_limits timeout=300 heap=4m fuel=0; }}
    location /fuel {{ content_by_trinity_file {self.path}; trinity_limits fuel=5000 timeout=5000; }}
    location /custom {{
      content_by_trinity_file {self.path};
      trinity_limits timeout=100 fuel=0;
      trinity_trap_status 503;
    }}
""")
        self.worker = self.server.workers()

    def tearDown(self):
        # The same worker is still there: no trap cost a process.
        self.assertEqual(self.server.workers(), self.worker)

    def assert_trap_logged(self, kind, line, function="handle"):
        pattern = (r"\[error\].*trinity: plugin \"" + re.escape(self.path) +
                   rf"\" trapped in fn {function} at line {line}: {kind}:")
        self.assertRegex(self.server.log(), pattern)

    def test_endless_loop_ends_at_the_deadline_and_the_worker_keeps_serving(self):
        status, _, _, seconds = self.server.request("/h?do=loop")
        self.assertEqual(status, 500)
        self.assertGreaterEqual(seconds, 0.25)
        self.assertLess(seconds, 10)
        self.assert_trap_logged("deadline exceeded", 13)
        self.assertEqual(self.server.request("/h")[:3:2], (200, "fine\n"))

    def test_other_requests_are_served_after_a_loop(self):
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            loops = [pool.submit(self.server.request, "/h?do=loop") for _ in range(3)]
            fine = [pool.submit(self.server.request, "/h") for _ in range(20)]
            self.assertEqual([f.result()[0] for f in loops], [500] * 3)
            self.assertEqual([f.result()[2] for f in fine], ["fine\n"] * 20)

    def test_memory_bomb_hits_the_heap_limit(self):
        status, _, _, seconds = self.server.request("/h?do=bomb")
        self.assertEqual(status, 500)
        self.assert_trap_logged("out of memory", 7, function="bomb")
        self.assertEqual(self.server.request("/h")[0], 200)

    def test_runaway_recursion_is_a_stack_overflow(self):
        self.assertEqual(self.server.request("/h?do=recurse")[0], 500)
        self.assert_trap_logged("stack overflow", 3, function="recurse")

    def test_plugin_errors_and_arithmetic_traps(self):
        self.assertEqual(self.server.request("/h?do=error")[0], 500)
        self.assert_trap_logged("error", 17)
        self.assertIn("plugin gave up", self.server.log())
        self.assertEqual(self.server.request("/h?do=div")[0], 500)
        self.assert_trap_logged("division by zero", 18)

    def test_fuel_limit(self):
        self.assertEqual(self.server.request("/fuel?do=loop")[0], 500)
        self.assert_trap_logged("fuel exhausted", 13)

    def test_trap_status_is_configurable(self):
        status, _, _, seconds = self.server.request("/custom?do=loop")
        self.assertEqual(status, 503)
        self.assertLess(seconds, 5)
        self.assertEqual(self.server.request("/custom")[0], 200)


class Isolation(ServerTest):
    def test_worker_under_the_nginx_worker_seccomp_policy_still_serves(self):
        server = self.serve(f"""
    location /h {{ content_by_trinity_file {plugin('hostile.tri')}; trinity_limits timeout=200; }}
    location /echo {{ content_by_trinity_file {plugin('echo.tri')}; }}
    location /static/ {{ root .; }}  # relative to the prefix: the server's directory
""", http_extra="trinity_seccomp nginx-worker;")
        [worker] = server.workers()
        with open(f"/proc/{worker}/status") as f:
            self.assertRegex(f.read(), r"Seccomp:\s+2")  # filter mode
        self.assertIn('worker runs under seccomp policy "nginx-worker"', server.log())
        for _ in range(20):
            self.assertEqual(server.request("/h")[:3:2], (200, "fine\n"))
        self.assertEqual(server.request("/echo", "POST", body="x" * 100)[0], 200)
        # A body arriving well after its headers: nginx waits for it in the event loop
        # and asks how much is there (ioctl FIONREAD).
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(b"POST /echo HTTP/1.0\r\nContent-Length: 4\r\n\r\n")
            time.sleep(0.3)
            s.sendall(b"abcd")
            reply = b""
            while chunk := s.recv(4096):
                reply += chunk
        self.assertTrue(reply.startswith(b"HTTP/1.1 200"), reply)
        self.assertIn(b"body=abcd\n", reply)
        self.assertEqual(server.request("/h?do=loop")[0], 500)
        self.assertEqual(server.request("/h?do=bomb")[0], 500)
        status, _, body, _ = server.request("/static/hello.txt")  # open, sendfile
        self.assertEqual((status, body), (200, "static hello\n"))
        # Log reopening runs in the filtered worker too (openat, dup2).
        os.kill(server.proc.pid, signal.SIGUSR1)
        time.sleep(0.5)
        self.assertEqual(server.request("/h")[0], 200)
        self.assertEqual(server.workers(), [worker])

    def test_default_isolation_follows_the_cli_rules(self):
        server = self.serve(f"location / {{ content_by_trinity_file {plugin('echo.tri')}; }}")
        self.assertEqual(server.request("/")[0], 200)
        pku = "pku" in open("/proc/cpuinfo").read().split()
        if not pku:
            self.assertIn("running plugins without MPK isolation", server.log())


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    MODULE = os.path.abspath(sys.argv.pop(1))
    if not os.access(NGINX, os.X_OK):
        sys.exit("nginx is not installed (tools/setup.sh installs it)")
    unittest.main(verbosity=2)
