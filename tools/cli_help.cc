// Help text of the `trinity` command. Kept next to nothing else so the wording is easy
// to review; the host functions listed here are the ones cli_host_functions.cc registers.
#include "tools/cli_help.h"

#include <string>

#include "lang/compiler.h"
#include "runtime/trinity.h"

namespace trinity::cli {
namespace {

constexpr std::string_view kAuditHelp = R"(usage: trinity audit [--json] [--pid N] [--binary PATH]... [--mode events|counters]
                     [--pin] [--pin-root DIR] [--duration SECONDS]
       trinity audit --unpin [--pin-root DIR]

Attaches the eBPF observer (bpf/) and streams one line per event until interrupted
(Ctrl-C, SIGTERM), the --pid process exits or --duration passes; then detaches. Sources:
the Trinity USDT probes (instance create/destroy, call entry/exit on every tier, traps,
host calls, MPK domain switches, seccomp violations, JIT code) and kernel tracepoints a
process cannot forge (SIGSYS from seccomp, SEGV_PKUERR, protection-key page faults).
Counters per process and per instance are kept in BPF maps pinned under the pin root,
readable with `bpftool map dump pinned /sys/fs/bpf/trinity/procs` while this runs.
Needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN). Event schema: bpf/README.md.

options:
  --json              one JSON object per line (default: text)
  --binary PATH       attach to the probes in PATH (an executable or a shared library
                      embedding Trinity); repeatable. Default: the objects --pid maps,
                      else this trinity binary
  --pid N             only process N; stop when it exits
  --mode MODE         events: every event (default); counters: count everything in the
                      maps, stream only traps, seccomp, JIT and kernel events
  --pin               keep the pinned maps after exit (a later audit adds to them)
  --unpin             remove the pinned maps and exit
  --pin-root DIR      bpffs directory for the maps (default /sys/fs/bpf/trinity)
  --duration SECONDS  stop after this long
  --ring-bytes N      ring buffer size, a power of two >= 4096 (default 4194304)
  --queue N           events buffered between the ring buffer and the output (65536)

Lost events are reported in-band: {"type":"lost_events","count":N,...}.
exit status: 0 ok, 2 usage error, 69 the observer cannot run here (says why).
)";

// "256m" for 256 MiB: the form the options accept.
std::string Bytes(size_t n) {
  if (n != 0 && n % (size_t{1} << 30) == 0) return std::to_string(n >> 30) + "g";
  if (n != 0 && n % (size_t{1} << 20) == 0) return std::to_string(n >> 20) + "m";
  if (n != 0 && n % (size_t{1} << 10) == 0) return std::to_string(n >> 10) + "k";
  return std::to_string(n);
}

// The defaults come from the structs the options fill, so the text cannot drift.
std::string CompileLimitsHelp() {
  const lang::CompileLimits c;
  return "  --max-source BYTES  largest .tri source compiled (default " + Bytes(c.max_source_bytes) +
         ")\n"
         "  --max-compile-memory BYTES\n"
         "                      memory the compiler may use for one source: tokens, tree,\n"
         "                      symbols, code (default " +
         Bytes(c.max_memory_bytes) + ")\n";
}

std::string RunLimitsHelp() {
  const Limits l;
  return "  --timeout MS        wall-clock limit per call (the top-level code, then the entry),\n"
         "                      in milliseconds (default " +
         std::to_string(l.timeout.count()) + "; 0 = none)\n"
         "  --fuel N            fuel per call: one unit per call and loop back-edge, one per KiB\n"
         "                      allocated, copied to the host or printed (default " +
         std::to_string(l.fuel) +
         " = unlimited)\n"
         "  --max-heap BYTES    heap of the instance; also the bound of every temporary made\n"
         "                      for the plugin outside the heap: a value copied to a host\n"
         "                      function, the text of str/print/join (default " +
         Bytes(l.max_heap_bytes) +
         ")\n"
         "  --max-stack BYTES   value stack, call frames and open try blocks together (default " +
         Bytes(l.max_stack_bytes) +
         ")\n"
         "  --max-depth N       nested plugin calls allowed (default " +
         std::to_string(l.max_depth) + ")\n" + CompileLimitsHelp();
}

}  // namespace

std::string_view OverallHelp() {
  return R"(usage: trinity COMMAND [OPTIONS] FILE

Runs and inspects Trinity plugins. FILE is .tri source, .tbc bytecode or .tasm assembly.

commands:
  run FILE [--entry NAME] [--timeout MS] [--fuel N] [--max-heap BYTES] [--max-stack BYTES]
           [--max-depth N] [-- ARGS...]
                              run a plugin (every option and default: run --help)
  compile FILE.tri -o OUT.tbc [--max-source BYTES] [--max-compile-memory BYTES]
                              compile source to bytecode
  asm FILE.tasm -o OUT.tbc    assemble text to bytecode (not verified; use verify)
  disasm FILE                 print a module as assembly text
  verify FILE                 load and verify a module; prints "ok" or why it is rejected
  policy list | show NAME     the seccomp policies `run --sandbox` applies, with reasons
  attest [--sandbox POLICY]   the kernel's view of MPK and seccomp next to the runtime's
  audit [--json] [--pid N] [--binary PATH]
                              stream what plugins do, as seen by the kernel (eBPF; root)

options:
  --help, -h                  this text; `trinity COMMAND --help` for one command
  --version                   print the version

exit status: 0 ok, 1 plugin trap, 2 usage error, 65 invalid input (compile/assembly
error, rejected module), 66 unreadable input file, 73 output file not writable.
)";
}

std::string CommandHelp(Command command) {
  switch (command) {
    case Command::kRun:
      return R"(usage: trinity run FILE [OPTIONS] [-- ARGS...]

Loads FILE (.tri is compiled, .tasm assembled; every module is verified before it runs),
runs its top-level code, then calls the entry function with ARGS as string arguments and
prints its result unless it is nil. The entry is --entry NAME, or `main` when the module
exports one.

options (the defaults are the embedding API's, meant for untrusted plugins; byte counts
take k, m, g suffixes):
  --entry NAME        exported function to call after the top-level code
)" + RunLimitsHelp() + R"(  --tier TIER         fast (default): the translated register-form interpreter;
                      reference: the simple interpreter over the wire bytecode, the
                      oracle the fast tier is tested against (same output, traps, fuel)
  --jit on|off        compile hot loops of the fast tier to x86-64 machine code (default off)
  --jit-hot N         loop back-edges before a loop is recorded (default 56)
  --jit-stats         print the JIT's traces, aborts and code size to stderr at the end
  --perf-map          name JIT code for `perf report` in /tmp/perf-PID.map

confinement (see `trinity policy show NAME`):
  --sandbox POLICY    strict, server or none: the seccomp policy the process (or worker)
                      locks itself into after loading and before plugin code runs; a
                      refused system call traps with 'forbidden syscall'. Default: none
                      in-process, strict with --isolate=process
  --isolate MODE      mpk: the plugin's memory under its own protection key (default
                      where the CPU has MPK, none elsewhere; see the last line);
                      process: run in a forked worker locked down with --sandbox
                      (killed and replaced 1 s past --timeout);
                      none: in this process without MPK
  --allow-read PATH   grant read_file on PATH (a directory grants the files in it)
  --allow-write PATH  grant write_file on PATH (created or emptied at start-up)
  --allow-append PATH grant append_file on PATH (created if missing)

host functions available to plugins (declare with `import fn NAME(...)`):
  log(msg)            writes msg to stderr, prefixed "[plugin] "; returns nil
  clock_ms()          monotonic clock in milliseconds, as an int
  getenv(name)        value of environment variable `name` if it starts with TRINITY_,
                      else nil (the rest of the environment stays with the host)
  read_file(name)     contents of a file granted with --allow-read, as a string
  write_file(name, data)  writes data to a --allow-write file, after what the plugin
                      wrote before in this run; returns the byte count
  append_file(name, data) appends data to a --allow-append file; returns the byte count
                      Names are the paths as granted; anything else traps (host error).
                      File I/O goes through a restricted io_uring on descriptors opened
                      at start-up: nothing else can be opened once the plugin runs.

exit status: 0 ok, 1 trap (kind, message, function, line and a stack trace on stderr),
2 usage error, 65 invalid plugin, 66 unreadable file.
)";
    case Command::kCompile:
      return R"(usage: trinity compile FILE.tri -o OUT.tbc [OPTIONS]

Compiles Trinity source to verified bytecode. Compile errors are printed as
file:line:col with the offending line; exit status 65.

options:
)" + CompileLimitsHelp();
    case Command::kAsm:
      return R"(usage: trinity asm FILE.tasm -o OUT.tbc

Assembles the text format (lang/assembly_format.md) to bytecode. The result is not
verified, so deliberately broken modules can be built; `trinity verify` checks one.
Assembly errors are printed as file:line:col: message; exit status 65.
)";
    case Command::kDisasm:
      return R"(usage: trinity disasm FILE

Prints FILE (.tbc, .tri or .tasm) as assembly text. `trinity asm` turns the text back
into exactly the same bytecode. Bytecode is shown even when it would fail verification.
)";
    case Command::kVerify:
      return R"(usage: trinity verify FILE

Reads and verifies a module (.tbc; .tri and .tasm are compiled/assembled first).
Prints "ok" and exits 0, or prints why it is rejected and exits 65.
)";
    case Command::kPolicy:
      return R"(usage: trinity policy list
       trinity policy show NAME

Prints the seccomp policies `trinity run --sandbox` applies. `show` prints the policy's
table: its default action, then each system call with its action, the argument
condition if any, and the reason the row is there.
)";
    case Command::kAttest:
      return R"(usage: trinity attest [--sandbox strict|server|none]

Shows what the kernel sees next to what the runtime believes, as `run` would set up:
creates an MPK instance domain (where the CPU has protection keys), then, with
--sandbox, locks the process into that seccomp policy, and asks the trinity kernel
module (/dev/trinity, kmod/) each time for the thread's PKRU, its seccomp mode and
filters, the domain memory's rights and key, and any writable+executable mapping.
Exit status 0 when both agree, 1 when they disagree, 69 when /dev/trinity is absent
(the runtime's view is still printed).
)";
    case Command::kAudit:
      return std::string(kAuditHelp);
    case Command::kHelp:
    case Command::kVersion:
      break;
  }
  return std::string(OverallHelp());
}

}  // namespace trinity::cli
