// End-to-end tests of the `trinity` command: runs the built binary on files written to
// TEST_TMPDIR (and on examples/) and checks stdout, stderr and the exit status.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace {

struct Outcome {
  int status = -1;
  std::string out, err;
};

std::string TmpDir() {
  const char* t = std::getenv("TEST_TMPDIR");
  return t ? t : "/tmp";
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string WriteTmp(const std::string& name, const std::string& content) {
  std::string path = TmpDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

// The binary sits at tools/trinity in the runfiles tree the test starts in.
std::string Binary() {
  std::string local = "tools/trinity";
  if (std::ifstream(local).good()) return local;
  const char* src = std::getenv("TEST_SRCDIR");
  return std::string(src ? src : ".") + "/trinity/tools/trinity";
}

// `args` is pasted into a shell command line; tests only pass simple words.
Outcome Trinity(const std::string& args, const std::string& env = "") {
  std::string out = TmpDir() + "/stdout.txt", err = TmpDir() + "/stderr.txt";
  std::string cmd = env + " " + Binary() + " " + args + " >" + out + " 2>" + err;
  int raw = std::system(cmd.c_str());
  Outcome o;
  o.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  o.out = Slurp(out);
  o.err = Slurp(err);
  return o;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

constexpr const char* kFib = R"(fn fib(n) {
  if n < 2 { return n }
  return fib(n - 1) + fib(n - 2)
}
export fn main() { return fib(20) }
)";

TEST(TrinityCli, RunsFibAndPrintsTheResult) {
  std::string path = WriteTmp("fib.tri", kFib);
  Outcome o = Trinity("run " + path);
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "6765\n");
  EXPECT_EQ(o.err, "");
}

TEST(TrinityCli, RunsEveryExample) {
  Outcome fib = Trinity("run examples/fib.tri");
  EXPECT_EQ(fib.status, 0) << fib.err;
  EXPECT_EQ(fib.out, "fib(30) = 832040\n");
  Outcome hello = Trinity("run examples/hello.tri");
  EXPECT_EQ(hello.out, "hello, world\n");
  Outcome tasm = Trinity("run examples/fib.tasm");
  EXPECT_EQ(tasm.status, 0) << tasm.err;
  EXPECT_EQ(tasm.out, "832040\n");
  Outcome headers = Trinity("run examples/headers.tri");
  EXPECT_EQ(headers.status, 0) << headers.err;
  EXPECT_TRUE(Contains(headers.out, "Content-Type: text/html;  charset=utf-8\n")) << headers.out;
  EXPECT_TRUE(Contains(headers.out, "Accept: text/html, application/json\n")) << headers.out;
  EXPECT_FALSE(Contains(headers.out, "Keep-Alive")) << headers.out;
  EXPECT_FALSE(Contains(headers.out, "X-Trace")) << headers.out;
  Outcome api = Trinity("run examples/api_handler.tri");
  EXPECT_EQ(api.status, 0) << api.err;
  EXPECT_TRUE(Contains(api.out, "{\"user\":42,\"items\":2,\"total\":\"24.00\",\"currency\":\"USD\"}")) << api.out;
  EXPECT_TRUE(Contains(api.out, "{\"error\":\"bad signature\",\"kind\":\"error\"}")) << api.out;
  EXPECT_TRUE(Contains(api.out, "at byte offset 13")) << api.out;
  EXPECT_TRUE(Contains(api.out, "HTTP/1.1 404 Not Found")) << api.out;
  Outcome words = Trinity("run examples/wordcount.tri");
  EXPECT_EQ(words.status, 0) << words.err;
  EXPECT_TRUE(Contains(words.out, "words: 20000 distinct:")) << words.out;
  EXPECT_EQ(words.out, Trinity("run examples/wordcount.tri").out);  // deterministic
  Outcome host = Trinity("run examples/host_calls.tri");
  EXPECT_EQ(host.status, 0) << host.err;
  EXPECT_TRUE(Contains(host.err, "[plugin] starting\n")) << host.err;
  EXPECT_EQ(host.out, "total 299995\n");
}

TEST(TrinityCli, EntryArgumentsAndHostFunctions) {
  std::string path = WriteTmp("args.tri", R"(import fn getenv(name)
import fn log(msg)
export fn greet(a, b) {
  log("greeting")
  return a + "+" + b + ":" + str(getenv("TRINITY_TEST_VAR")) + ":" + str(getenv("NO_SUCH_VAR_X"))
}
export fn quiet() { }
)");
  Outcome o = Trinity("run " + path + " --entry greet -- x y", "TRINITY_TEST_VAR=hi");
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "x+y:hi:nil\n");
  EXPECT_EQ(o.err, "[plugin] greeting\n");
  Outcome nil = Trinity("run " + path + " --entry=quiet");
  EXPECT_EQ(nil.status, 0) << nil.err;
  EXPECT_EQ(nil.out, "");  // nil results are not printed
  Outcome missing = Trinity("run " + path + " --entry nope");
  EXPECT_EQ(missing.status, 2);
  EXPECT_TRUE(Contains(missing.err, "greet, quiet")) << missing.err;
}

TEST(TrinityCli, HelpAndVersion) {
  Outcome v = Trinity("--version");
  EXPECT_EQ(v.status, 0);
  EXPECT_TRUE(v.out.starts_with("trinity 0.1.0 (bytecode 1.1)\nmemory protection keys: ")) << v.out;
  Outcome h = Trinity("--help");
  EXPECT_EQ(h.status, 0);
  EXPECT_TRUE(Contains(h.out, "usage: trinity")) << h.out;
  for (const char* cmd : {"compile", "asm", "disasm", "verify"}) {
    Outcome c = Trinity(std::string(cmd) + " --help");
    EXPECT_EQ(c.status, 0);
    EXPECT_TRUE(Contains(c.out, std::string("usage: trinity ") + cmd)) << c.out;
  }
  Outcome run = Trinity("run --help");
  EXPECT_EQ(run.status, 0);
  for (const char* doc : {"--fuel", "--max-heap", "--timeout", "log(msg)", "clock_ms()",
                          "getenv(name)"}) {
    EXPECT_TRUE(Contains(run.out, doc)) << doc;
  }
  // Every limit shows its default.
  for (const char* doc : {"(default 10000; 0 = none)", "(default 0 = unlimited)", "(default 256m)",
                          "--max-stack BYTES", "(default 1m)", "(default 512)", "(default 128m)",
                          "memory protection keys: "}) {
    EXPECT_TRUE(Contains(run.out, doc)) << doc << "\n" << run.out;
  }
}

TEST(TrinityCli, UsageErrorsExitTwo) {
  std::string path = WriteTmp("ok.tri", "print(1)\n");
  struct Case {
    std::string args, says;
  } cases[] = {
      {"", "missing command"},
      {"frobnicate x", "unknown command 'frobnicate'"},
      {"run", "run needs a FILE"},
      {"run " + path + " --bogus", "unknown option '--bogus'"},
      {"run " + path + " --fuel abc", "--fuel expects a non-negative integer, got 'abc'"},
      {"run " + path + " --fuel", "--fuel needs a value"},
      {"run " + path + " --max-heap 12q", "--max-heap expects"},
      {"run " + path + " --max-depth 0", "--max-depth expects"},
      {"compile " + path, "compile needs -o OUTPUT"},
      {"run " + path + " extra", "unexpected argument 'extra'"},
      {"disasm " + TmpDir() + "/notes.txt", "expected a .tri, .tbc or .tasm"},
  };
  WriteTmp("notes.txt", "hello");
  for (const Case& c : cases) {
    Outcome o = Trinity(c.args);
    EXPECT_EQ(o.status, 2) << c.args << "\n" << o.err;
    EXPECT_TRUE(Contains(o.err, c.says)) << c.args << "\n" << o.err;
  }
}

TEST(TrinityCli, RelativePathsFollowBuildWorkingDirectory) {
  WriteTmp("relative.tri", "print(\"found\")\n");
  Outcome o = Trinity("run relative.tri", "BUILD_WORKING_DIRECTORY=" + TmpDir());
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "found\n");
}

TEST(TrinityCli, UnreadableFileExits66) {
  Outcome o = Trinity("run " + TmpDir() + "/does_not_exist.tri");
  EXPECT_EQ(o.status, 66);
  EXPECT_TRUE(Contains(o.err, "does_not_exist.tri")) << o.err;
}

TEST(TrinityCli, CompileErrorExits65WithPosition) {
  std::string path = WriteTmp("bad.tri", "let x = 1\nlet y = (x + \n");
  Outcome o = Trinity("run " + path);
  EXPECT_EQ(o.status, 65);
  EXPECT_TRUE(Contains(o.err, path + ":3:1:") || Contains(o.err, path + ":2:")) << o.err;
  Outcome undeclared = Trinity("compile " + WriteTmp("undeclared.tri", "print(nope)\n") +
                               " -o " + TmpDir() + "/u.tbc");
  EXPECT_EQ(undeclared.status, 65);
  EXPECT_TRUE(Contains(undeclared.err, "undeclared.tri:1:7:")) << undeclared.err;
}

TEST(TrinityCli, CompileLimitsStopOversizedSources) {
  std::string big;
  while (big.size() <= (size_t{1} << 20)) big += "let x" + std::to_string(big.size()) + " = 0\n";
  std::string path = WriteTmp("huge.tri", big);
  Outcome o = Trinity("run " + path);
  EXPECT_EQ(o.status, 65);
  EXPECT_TRUE(Contains(o.err, path + ":1:1: error: source too large: more than 1048576 bytes"))
      << o.err.substr(0, 400);
  Outcome c = Trinity("compile " + path + " -o " + TmpDir() + "/huge.tbc");
  EXPECT_EQ(c.status, 65);
  EXPECT_TRUE(Contains(c.err, "source too large")) << c.err.substr(0, 400);
  // A source under the size limit that needs more compiler memory than allowed.
  Outcome m = Trinity("run --max-source 2m --max-compile-memory 1m " + path);
  EXPECT_EQ(m.status, 65);
  EXPECT_TRUE(Contains(m.err, "program too large to compile: it needs more than 1048576 bytes"))
      << m.err.substr(0, 400);
  EXPECT_LT(m.err.size(), 2000u);
  Outcome bad = Trinity("run --max-source lots " + path);
  EXPECT_EQ(bad.status, 2);
}

TEST(TrinityCli, RejectedModuleExits65) {
  // Stack underflow with an explicit stack= so the assembler accepts it.
  std::string tasm = WriteTmp("underflow.tasm", ".func main stack=1\n  pop\n  ret\n.end\n"
                                                ".export main main\n");
  std::string tbc = TmpDir() + "/underflow.tbc";
  Outcome a = Trinity("asm " + tasm + " -o " + tbc);
  ASSERT_EQ(a.status, 0) << a.err;
  Outcome v = Trinity("verify " + tbc);
  EXPECT_EQ(v.status, 65);
  EXPECT_TRUE(Contains(v.err, "function 'main'")) << v.err;
  EXPECT_TRUE(Contains(v.err, "underflow")) << v.err;
  Outcome r = Trinity("run " + tbc);
  EXPECT_EQ(r.status, 65);
  EXPECT_EQ(r.out, "");
  // Garbage with the right extension.
  Outcome g = Trinity("run " + WriteTmp("garbage.tbc", "\x7fTBC\x09\x00"));
  EXPECT_EQ(g.status, 65);
  EXPECT_TRUE(Contains(g.err, "invalid module")) << g.err;
  // Assembly errors carry file:line:col.
  Outcome e = Trinity("asm " + WriteTmp("typo.tasm", ".func f\n  lod 1\n.end\n") + " -o " +
                      TmpDir() + "/typo.tbc");
  EXPECT_EQ(e.status, 65);
  EXPECT_TRUE(Contains(e.err, "typo.tasm:2:3: unknown mnemonic 'lod'")) << e.err;
}

TEST(TrinityCli, TrapExitsOneWithKindLineAndStack) {
  std::string path = WriteTmp("trap.tri", R"(fn divide(a, b) {
  return a / b
}
fn outer(x) {
  return divide(x, 0)
}
export fn main() {
  return outer(7)
}
)");
  Outcome o = Trinity("run " + path);
  EXPECT_EQ(o.status, 1);
  EXPECT_TRUE(Contains(o.err, "division by zero")) << o.err;
  EXPECT_TRUE(Contains(o.err, "divide")) << o.err;
  EXPECT_TRUE(Contains(o.err, "  at fn divide (" + path + ":2)\n")) << o.err;
  EXPECT_TRUE(Contains(o.err, "  at fn outer (" + path + ":5)\n")) << o.err;
  EXPECT_TRUE(Contains(o.err, "  at fn main (" + path + ":8)\n")) << o.err;
}

// Both interpreter tiers give the same output, and the same trap with the same stack.
TEST(TrinityCli, TierFlagSelectsTheInterpreter) {
  std::string fib = WriteTmp("tier_fib.tri", kFib);
  for (const char* tier : {"fast", "reference"}) {
    Outcome o = Trinity("run --tier=" + std::string(tier) + " " + fib);
    EXPECT_EQ(o.status, 0) << tier << ": " << o.err;
    EXPECT_EQ(o.out, "6765\n") << tier;
  }
  std::string trap = WriteTmp("tier_trap.tri", "fn f(m) {\n  return m.missing\n}\n"
                                               "export fn main() {\n  return f({})\n}\n");
  Outcome fast = Trinity("run --tier fast " + trap);
  Outcome reference = Trinity("run --tier reference " + trap);
  EXPECT_EQ(fast.status, 1);
  EXPECT_TRUE(Contains(fast.err, "  at fn f (" + trap + ":2)\n  at fn main (" + trap + ":5)\n"))
      << fast.err;
  EXPECT_EQ(fast.err, reference.err);
  Outcome bad = Trinity("run --tier=jit " + fib);
  EXPECT_EQ(bad.status, 2);
  EXPECT_TRUE(Contains(bad.err, "--tier expects fast or reference")) << bad.err;
  Outcome worker = Trinity("run --tier=reference --isolate=process " + fib);
  EXPECT_EQ(worker.status, 2);
  EXPECT_TRUE(Contains(worker.err, "runs in this process only")) << worker.err;
}

TEST(TrinityCli, TopLevelTrapAlsoExitsOne) {
  Outcome o = Trinity("run " + WriteTmp("toplevel.tri", "let a = [1]\nprint(a[5])\n"));
  EXPECT_EQ(o.status, 1);
  EXPECT_TRUE(Contains(o.err, "index out of range")) << o.err;
}

TEST(TrinityCli, FuelLimitTraps) {
  std::string path = WriteTmp("spin.tri", "export fn main() {\n  while true { }\n}\n");
  Outcome o = Trinity("run " + path + " --fuel 10000");
  EXPECT_EQ(o.status, 1);
  EXPECT_TRUE(Contains(o.err, "fuel exhausted")) << o.err;
  EXPECT_TRUE(Contains(o.err, "  at fn main (" + path + ":2)")) << o.err;
  Outcome deep = Trinity("run " + WriteTmp("deep.tri", "fn f(n) { return f(n + 1) }\n"
                                                       "export fn main() { return f(0) }\n") +
                         " --max-depth 50");
  EXPECT_EQ(deep.status, 1);
  EXPECT_TRUE(Contains(deep.err, "stack overflow")) << deep.err;
  Outcome slow = Trinity("run " + path + " --timeout 50");
  EXPECT_EQ(slow.status, 1);
  EXPECT_TRUE(Contains(slow.err, "deadline exceeded")) << slow.err;
}

TEST(TrinityCli, StackLimitBoundsDeepRecursion) {
  std::string path = WriteTmp("deep.tri", "fn f(n) { return f(n + 1) }\nexport fn main() { return f(0) }\n");
  Outcome o = Trinity("run " + path + " --max-depth 100000000 --max-stack 1m --isolate=none");
  EXPECT_EQ(o.status, 1);
  EXPECT_TRUE(Contains(o.err, "stack overflow: stack limit of 1048576 bytes exceeded")) << o.err.substr(0, 300);
  Outcome bigger = Trinity("run " + path + " --max-depth 100000000 --max-stack 4m --isolate=none");
  EXPECT_TRUE(Contains(bigger.err, "stack limit of 4194304 bytes exceeded")) << bigger.err.substr(0, 300);
  EXPECT_EQ(Trinity("run " + path + " --max-stack=-1").status, 2);
}

TEST(TrinityCli, AssembleThenRun) {
  std::string tasm = WriteTmp("sum.tasm", R"(; sum 1..10 with a loop
.func main locals=2
  push_int 0
  store_local 0        ; total
  push_int 1
  store_local 1        ; i
top:
  load_local 1
  push_int 10
  gt
  jmp_if_true done
  load_local 0
  load_local 1
  add
  store_local 0
  load_local 1
  push_int 1
  add
  store_local 1
  jmp top
done:
  load_local 0
  ret
.end
.export main main
)");
  Outcome direct = Trinity("run " + tasm);
  EXPECT_EQ(direct.status, 0) << direct.err;
  EXPECT_EQ(direct.out, "55\n");
  std::string tbc = TmpDir() + "/sum.tbc";
  ASSERT_EQ(Trinity("asm " + tasm + " -o " + tbc).status, 0);
  Outcome run = Trinity("run " + tbc);
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "55\n");
}

TEST(TrinityCli, CompileVerifyDisasmAsmRoundTrip) {
  for (const std::string& src : {std::string("examples/headers.tri"),
                                 std::string("examples/wordcount.tri"),
                                 WriteTmp("closures.tri", R"(
let counter = 0
fn make_adder(k) { return fn (x) { counter += 1; return x + k + 0.5 } }
export fn main() {
  let add = make_adder(2)
  let m = {"a": 1, "b": -0.0, 3: "q\x01\"z"}
  for k, v in m { print(k, v) }
  return add(40)
}
)")}) {
    SCOPED_TRACE(src);
    std::string tbc = TmpDir() + "/rt.tbc", tbc2 = TmpDir() + "/rt2.tbc";
    ASSERT_EQ(Trinity("compile " + src + " -o " + tbc).status, 0);
    Outcome v = Trinity("verify " + tbc);
    EXPECT_EQ(v.status, 0) << v.err;
    EXPECT_EQ(v.out, "ok\n");
    Outcome d = Trinity("disasm " + tbc);
    ASSERT_EQ(d.status, 0) << d.err;
    EXPECT_TRUE(Contains(d.out, ".func ")) << d.out;
    std::string tasm = WriteTmp("rt.tasm", d.out);
    Outcome a = Trinity("asm " + tasm + " -o " + tbc2);
    ASSERT_EQ(a.status, 0) << a.err;
    EXPECT_EQ(Slurp(tbc), Slurp(tbc2));
    // Disassembling the .tri directly gives the same text.
    EXPECT_EQ(Trinity("disasm " + src).out, d.out);
    EXPECT_EQ(Trinity("run " + tbc).out, Trinity("run " + tbc2).out);
  }
}

// --- Confinement: policy, --sandbox, --isolate, --allow-* ----------------------------

TEST(TrinityCli, PolicyListAndShowPrintTheTables) {
  Outcome list = Trinity("policy list");
  EXPECT_EQ(list.status, 0) << list.err;
  EXPECT_TRUE(Contains(list.out, "strict\t")) << list.out;
  EXPECT_TRUE(Contains(list.out, "server\t")) << list.out;
  EXPECT_TRUE(Contains(list.out, "none\t")) << list.out;
  Outcome strict = Trinity("policy show strict");
  EXPECT_EQ(strict.status, 0) << strict.err;
  EXPECT_TRUE(Contains(strict.out, "default: refuse")) << strict.out;
  EXPECT_TRUE(Contains(strict.out, "refuse pkey_mprotect")) << strict.out;
  EXPECT_TRUE(Contains(strict.out, "undoes MPK isolation")) << strict.out;
  EXPECT_TRUE(Contains(strict.out, "allow  io_uring_enter")) << strict.out;
  Outcome server = Trinity("policy show server");
  EXPECT_TRUE(Contains(server.out, "default: allow")) << server.out;
  EXPECT_TRUE(Contains(server.out, "refuse process_vm_writev")) << server.out;
  EXPECT_TRUE(Contains(server.out, "landlock: /proc hidden")) << server.out;
  Outcome nginx = Trinity("policy show nginx-worker");
  EXPECT_EQ(nginx.status, 0) << nginx.err;
  EXPECT_TRUE(Contains(nginx.out, "default: refuse")) << nginx.out;
  EXPECT_TRUE(Contains(nginx.out, "allow  accept4")) << nginx.out;
  EXPECT_TRUE(Contains(nginx.out, "landlock: /proc hidden")) << nginx.out;
  Outcome bogus = Trinity("policy show bogus");
  EXPECT_EQ(bogus.status, 2);
  EXPECT_TRUE(Contains(bogus.err, "no policy 'bogus'")) << bogus.err;
  EXPECT_EQ(Trinity("policy").status, 2);
  Outcome help = Trinity("policy --help");
  EXPECT_EQ(help.status, 0);
  EXPECT_TRUE(Contains(help.out, "trinity policy show NAME")) << help.out;
}

TEST(TrinityCli, RunsUnderEachSandboxAndIsolation) {
  std::string path = WriteTmp("sandboxed_fib.tri", kFib);
  for (std::string sandbox : {"strict", "server", "none"}) {
    for (std::string isolate : {"none", "process"}) {
      SCOPED_TRACE(sandbox + "/" + isolate);
      Outcome o = Trinity("run --sandbox=" + sandbox + " --isolate " + isolate + " " + path);
      EXPECT_EQ(o.status, 0) << o.err;
      EXPECT_EQ(o.out, "6765\n");
      EXPECT_EQ(o.err, "");
    }
  }
}

TEST(TrinityCli, SandboxedRunCanPrintToACharacterDevice) {
  // On first output to a character device (a console, /dev/null) the C library asks
  // whether it is a terminal (ioctl TCGETS) to pick line buffering, a call the strict
  // policy refuses; the command must settle buffering before lock-down.
  for (std::string sandbox : {"strict", "server"}) {
    SCOPED_TRACE(sandbox);
    std::string err = TmpDir() + "/devnull_stderr.txt";
    std::string cmd = Binary() + " run --sandbox=" + sandbox +
                      " --isolate=none examples/hello.tri >/dev/null 2>" + err;
    int raw = std::system(cmd.c_str());
    EXPECT_TRUE(WIFEXITED(raw) && WEXITSTATUS(raw) == 0) << Slurp(err);
    EXPECT_EQ(Slurp(err), "");
  }
}

TEST(TrinityCli, TrapsAreReportedAlikeInAWorker) {
  std::string path = WriteTmp("worker_trap.tri", R"(fn div(a, b) { return a / b }
export fn main() {
  print("before")
  return div(1, 0)
}
)");
  Outcome here = Trinity("run --isolate=none --sandbox=strict " + path);
  Outcome worker = Trinity("run --isolate=process " + path);
  EXPECT_EQ(here.status, 1);
  EXPECT_EQ(worker.status, 1);
  EXPECT_EQ(worker.out, "before\n");
  EXPECT_EQ(worker.err, here.err);
  EXPECT_TRUE(Contains(worker.err, "trap: division by zero")) << worker.err;
  EXPECT_TRUE(Contains(worker.err, "at fn div")) << worker.err;
}

TEST(TrinityCli, ProcessTierStreamsOutputAndKeepsItOnATrap) {
  std::string path = WriteTmp("chatty.tri", R"(export fn main() {
  let s = repeat("y", 100000)
  for i in 0..30 { print(s) }
  print("end")
  return 1 / 0
}
)");
  Outcome o = Trinity("run --isolate=process " + path);
  EXPECT_EQ(o.status, 1) << o.err;
  EXPECT_EQ(o.out.size(), 30u * 100001 + 4);
  EXPECT_TRUE(o.out.ends_with("yy\nend\n"));
  EXPECT_TRUE(Contains(o.err, "division by zero")) << o.err;
}

TEST(TrinityCli, GrantedFilesOnlyAndNothingElse) {
  std::string in = WriteTmp("granted_in.txt", "granted text");
  std::string out = TmpDir() + "/granted_out.txt";
  std::string log = WriteTmp("granted_log.txt", "first\n");
  WriteTmp("not_granted.txt", "secret");
  std::string path = WriteTmp("io.tri", R"(import fn read_file(name)
import fn write_file(name, data)
import fn append_file(name, data)
export fn main(input, output, log) {
  let text = read_file(input)
  write_file(output, upper(text))
  append_file(log, "second\n")
  return len(text)
}
export fn steal(name) { return read_file(name) }
)");
  for (std::string mode : {"--isolate=none --sandbox=strict", "--isolate=process"}) {
    SCOPED_TRACE(mode);
    WriteTmp("granted_log.txt", "first\n");
    std::string grants = " --allow-read " + in + " --allow-write " + out + " --allow-append " + log;
    Outcome o = Trinity("run " + mode + grants + " " + path + " -- " + in + " " + out + " " + log);
    EXPECT_EQ(o.status, 0) << o.err;
    EXPECT_EQ(o.out, "12\n");
    EXPECT_EQ(Slurp(out), "GRANTED TEXT");
    EXPECT_EQ(Slurp(log), "first\nsecond\n");
    Outcome steal = Trinity("run " + mode + grants + " " + path + " --entry steal -- " +
                            TmpDir() + "/not_granted.txt");
    EXPECT_EQ(steal.status, 1);
    EXPECT_TRUE(Contains(steal.err, "host error: read_file:")) << steal.err;
    EXPECT_TRUE(Contains(steal.err, "is not granted to this plugin")) << steal.err;
    EXPECT_FALSE(Contains(steal.out, "secret"));
  }
  Outcome missing = Trinity("run --allow-read " + TmpDir() + "/no_such_file " + path);
  EXPECT_EQ(missing.status, 66);
  EXPECT_TRUE(Contains(missing.err, "cannot grant")) << missing.err;
}

TEST(TrinityCli, BadConfinementOptionsAreUsageErrors) {
  std::string path = WriteTmp("opts.tri", kFib);
  Outcome sandbox = Trinity("run --sandbox=loose " + path);
  EXPECT_EQ(sandbox.status, 2);
  EXPECT_TRUE(Contains(sandbox.err, "--sandbox expects strict, server or none")) << sandbox.err;
  Outcome isolate = Trinity("run --isolate vm " + path);
  EXPECT_EQ(isolate.status, 2);
  EXPECT_TRUE(Contains(isolate.err, "--isolate expects none, mpk or process")) << isolate.err;
  EXPECT_EQ(Trinity("compile --sandbox=strict " + path + " -o x.tbc").status, 2);
  Outcome help = Trinity("run --help");
  EXPECT_TRUE(Contains(help.out, "--sandbox POLICY")) << help.out;
  EXPECT_TRUE(Contains(help.out, "--allow-read PATH")) << help.out;
  EXPECT_TRUE(Contains(help.out, "read_file(name)")) << help.out;
}

// Without protection keys (or with them switched off), the default isolation cannot be
// mpk: that is stated in --version and run --help, not on every run; an explicit
// --isolate=mpk still refuses.
TEST(TrinityCli, DefaultIsolationIsQuietWhenMpkIsMissing) {
  std::string path = WriteTmp("notice.tri", kFib);
  Outcome o = Trinity("run " + path, "TRINITY_DISABLE_MPK=1");
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "6765\n");
  EXPECT_EQ(o.err, "");
  Outcome none = Trinity("run --isolate=none " + path, "TRINITY_DISABLE_MPK=1");
  EXPECT_EQ(none.err, "");
  Outcome version = Trinity("--version", "TRINITY_DISABLE_MPK=1");
  EXPECT_TRUE(Contains(version.out, "memory protection keys: unavailable here (")) << version.out;
  EXPECT_TRUE(Contains(version.out, "--isolate defaults to none")) << version.out;
  Outcome help = Trinity("run --help", "TRINITY_DISABLE_MPK=1");
  EXPECT_TRUE(Contains(help.out, "memory protection keys: unavailable here")) << help.out;
  Outcome required = Trinity("run --isolate=mpk " + path, "TRINITY_DISABLE_MPK=1");
  EXPECT_EQ(required.status, 65);
  EXPECT_TRUE(Contains(required.err, "MPK isolation required but unavailable")) << required.err;
}

// With no flags, a plugin that never ends is stopped by the default deadline, in a worker
// as in this process.
TEST(TrinityCli, DefaultDeadlineStopsEndlessPlugins) {
  std::string path = WriteTmp("spin.tri", "export fn main() { while true { } }\n");
  auto start = std::chrono::steady_clock::now();
  Outcome o = Trinity("run --isolate=process " + path);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(o.status, 1);
  EXPECT_TRUE(Contains(o.err, "deadline exceeded: deadline of 10000 ms exceeded")) << o.err;
  EXPECT_LT(took, std::chrono::seconds(60));
  Outcome quick = Trinity("run --timeout 200 --isolate=none " + path);
  EXPECT_EQ(quick.status, 1);
  EXPECT_TRUE(Contains(quick.err, "deadline of 200 ms exceeded")) << quick.err;
}

// --- attest: the kernel's view next to the runtime's (kmod/) --------------------------

// The module loads only in kmod/test_in_qemu.sh's guest, which checks the agreeing case;
// here /dev/trinity is absent unless someone loaded it.
TEST(Cli, AttestWithoutTheModuleShowsTheRuntimeViewAndSaysSo) {
  if (std::ifstream("/dev/trinity").good()) GTEST_SKIP() << "/dev/trinity exists here";
  Outcome o = Trinity("attest --sandbox=strict");
  EXPECT_EQ(o.status, 69) << o.out << o.err;
  EXPECT_TRUE(Contains(o.out, "kernel view from nowhere: /dev/trinity is absent")) << o.out;
  EXPECT_TRUE(Contains(o.out, "after lock-down:")) << o.out;
  EXPECT_TRUE(Contains(o.out, "policy strict loaded")) << o.out;
  EXPECT_TRUE(Contains(o.out, "verdict: no kernel view to compare with")) << o.out;
}

TEST(Cli, AttestUsage) {
  Outcome bogus = Trinity("attest --isolate=mpk");
  EXPECT_EQ(bogus.status, 2);
  EXPECT_TRUE(Contains(bogus.err, "attest takes only --sandbox POLICY")) << bogus.err;
  EXPECT_EQ(Trinity("attest --sandbox=loose").status, 2);
  Outcome help = Trinity("attest --help");
  EXPECT_EQ(help.status, 0);
  EXPECT_TRUE(Contains(help.out, "usage: trinity attest")) << help.out;
}

}  // namespace
