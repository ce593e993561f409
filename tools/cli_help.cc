// Help text of the `trinity` command. Kept next to nothing else so the wording is easy
// to review; the host functions listed here are the ones cli_host_functions.cc registers.
#include "tools/cli_help.h"

namespace trinity::cli {

std::string_view OverallHelp() {
  return R"(usage: trinity COMMAND [OPTIONS] FILE

Runs and inspects Trinity plugins. FILE is .tri source, .tbc bytecode or .tasm assembly.

commands:
  run FILE [--entry NAME] [--fuel N] [--max-heap BYTES] [--max-depth N] [--timeout MS] [-- ARGS...]
                              run a plugin
  compile FILE.tri -o OUT.tbc compile source to bytecode
  asm FILE.tasm -o OUT.tbc    assemble text to bytecode (not verified; use verify)
  disasm FILE                 print a module as assembly text
  verify FILE                 load and verify a module; prints "ok" or why it is rejected

options:
  --help, -h                  this text; `trinity COMMAND --help` for one command
  --version                   print the version

exit status: 0 ok, 1 plugin trap, 2 usage error, 65 invalid input (compile/assembly
error, rejected module), 66 unreadable input file, 73 output file not writable.
)";
}

std::string_view CommandHelp(Command command) {
  switch (command) {
    case Command::kRun:
      return R"(usage: trinity run FILE [OPTIONS] [-- ARGS...]

Loads FILE (.tri is compiled, .tasm assembled; every module is verified before it runs),
runs its top-level code, then calls the entry function with ARGS as string arguments and
prints its result unless it is nil. The entry is --entry NAME, or `main` when the module
exports one.

options:
  --entry NAME        exported function to call after the top-level code
  --fuel N            fuel per call (counted at calls and loop back-edges); 0 = unlimited
  --max-heap BYTES    heap limit of the instance; suffixes k, m, g allowed (default 256m)
  --max-depth N       nested plugin calls allowed (default 512)
  --timeout MS        wall-clock limit per call in milliseconds; 0 = none

host functions available to plugins (declare with `import fn NAME(...)`):
  log(msg)            writes msg to stderr, prefixed "[plugin] "; returns nil
  clock_ms()          monotonic clock in milliseconds, as an int
  getenv(name)        value of environment variable `name` if it starts with TRINITY_,
                      else nil (the rest of the environment stays with the host)

exit status: 0 ok, 1 trap (kind, message, function, line and a stack trace on stderr),
2 usage error, 65 invalid plugin, 66 unreadable file.
)";
    case Command::kCompile:
      return R"(usage: trinity compile FILE.tri -o OUT.tbc

Compiles Trinity source to verified bytecode. Compile errors are printed as
file:line:col with the offending line; exit status 65.
)";
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
    case Command::kHelp:
    case Command::kVersion:
      break;
  }
  return OverallHelp();
}

}  // namespace trinity::cli
