// Command-line parsing for `trinity` (see cli_args.h). Accepts `--flag value` and
// `--flag=value`; everything after `--` belongs to the plugin.
#include "tools/cli_args.h"

#include <charconv>
#include <string_view>

namespace trinity::cli {
namespace {

Err<Failure> Usage(const std::string& message) {
  return Err(Failure{kExitUsage, "trinity: " + message + "\n(see trinity --help)\n"});
}

std::optional<Command> CommandFromName(std::string_view name) {
  if (name == "run") return Command::kRun;
  if (name == "compile") return Command::kCompile;
  if (name == "asm") return Command::kAsm;
  if (name == "disasm") return Command::kDisasm;
  if (name == "verify") return Command::kVerify;
  if (name == "policy") return Command::kPolicy;
  if (name == "attest") return Command::kAttest;
  if (name == "audit") return Command::kAudit;
  return std::nullopt;
}

// A non-negative integer, optionally with a k/m/g (binary) suffix when `with_suffix`.
std::optional<uint64_t> ParseCount(std::string_view text, bool with_suffix) {
  uint64_t scale = 1;
  if (with_suffix && !text.empty()) {
    switch (text.back()) {
      case 'k': case 'K': scale = 1ull << 10; break;
      case 'm': case 'M': scale = 1ull << 20; break;
      case 'g': case 'G': scale = 1ull << 30; break;
      default: break;
    }
    if (scale != 1) text.remove_suffix(1);
  }
  uint64_t v = 0;
  if (text.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (v > UINT64_MAX / scale) return std::nullopt;
  return v * scale;
}

// Which options each command takes, and whether it needs -o.
bool TakesRunOptions(Command c) { return c == Command::kRun; }
bool TakesOutput(Command c) { return c == Command::kCompile || c == Command::kAsm; }
bool TakesCompileLimits(Command c) { return c == Command::kRun || c == Command::kCompile; }
bool IsCompileLimit(const std::string& flag) {
  return flag == "--max-source" || flag == "--max-compile-memory";
}
// Options whose value is a byte count, where k/m/g suffixes are allowed.
bool TakesByteCount(const std::string& flag) {
  return flag == "--max-heap" || flag == "--max-stack" || IsCompileLimit(flag);
}

const char* CommandName(Command c) {
  switch (c) {
    case Command::kRun: return "run";
    case Command::kCompile: return "compile";
    case Command::kAsm: return "asm";
    case Command::kDisasm: return "disasm";
    case Command::kVerify: return "verify";
    case Command::kPolicy: return "policy";
    case Command::kAttest: return "attest";
    case Command::kAudit: return "audit";
    default: return "trinity";
  }
}

// `policy list` | `policy show NAME`: no FILE, no options but --help.
Result<CliArgs, Failure> ParsePolicy(const std::vector<std::string>& argv, CliArgs args) {
  std::vector<std::string> words(argv.begin() + 1, argv.end());
  for (const std::string& w : words) {
    if (w == "--help" || w == "-h") {
      args.help_for = Command::kPolicy;
      args.command = Command::kHelp;
      return args;
    }
  }
  if (words.size() == 1 && words[0] == "list") {
    args.policy_action = "list";
    return args;
  }
  if (words.size() == 2 && words[0] == "show") {
    args.policy_action = "show";
    args.policy_name = words[1];
    return args;
  }
  return Usage("policy expects 'list' or 'show NAME'");
}

// `attest [--sandbox POLICY]`: no FILE.
Result<CliArgs, Failure> ParseAttest(const std::vector<std::string>& argv, CliArgs args) {
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& w = argv[i];
    if (w == "--help" || w == "-h") {
      args.help_for = Command::kAttest;
      args.command = Command::kHelp;
      return args;
    }
    std::string value;
    if (w.starts_with("--sandbox=")) {
      value = w.substr(10);
    } else if (w == "--sandbox" && i + 1 < argv.size()) {
      value = argv[++i];
    } else {
      return Usage("attest takes only --sandbox POLICY, got '" + w + "'");
    }
    if (value != "strict" && value != "server" && value != "none") {
      return Usage("--sandbox expects strict, server or none, got '" + value + "'");
    }
    args.sandbox = value;
  }
  return args;
}

// Options of `run` that are words, not numbers.
Result<Unit, Failure> ApplyRunWord(CliArgs& args, const std::string& flag, const std::string& value) {
  if (flag == "--sandbox") {
    if (value != "strict" && value != "server" && value != "none") {
      return Usage("--sandbox expects strict, server or none, got '" + value + "'");
    }
    args.sandbox = value;
  } else if (flag == "--isolate") {
    if (value == "none") {
      args.isolate = Isolate::kNone;
    } else if (value == "mpk") {
      args.isolate = Isolate::kMpk;
    } else if (value == "process") {
      args.isolate = Isolate::kProcess;
    } else {
      return Usage("--isolate expects none, mpk or process, got '" + value + "'");
    }
  } else if (flag == "--jit") {
    if (value == "on") {
      args.jit = true;
    } else if (value == "off") {
      args.jit = false;
    } else {
      return Usage("--jit expects on or off, got '" + value + "'");
    }
  } else if (flag == "--tier") {
    if (value == "fast") {
      args.tier = ExecutionTier::kFast;
    } else if (value == "reference") {
      args.tier = ExecutionTier::kReference;
    } else {
      return Usage("--tier expects fast or reference, got '" + value + "'");
    }
  } else {
    if (value.empty()) return Usage(flag + " needs a path");
    if (flag == "--allow-read") args.allow_read.push_back(value);
    if (flag == "--allow-write") args.allow_write.push_back(value);
    if (flag == "--allow-append") args.allow_append.push_back(value);
  }
  return Unit{};
}

bool IsRunWord(const std::string& flag) {
  return flag == "--sandbox" || flag == "--isolate" || flag == "--tier" || flag == "--jit" ||
         flag == "--allow-read" ||
         flag == "--allow-write" || flag == "--allow-append";
}

}  // namespace

Result<CliArgs, Failure> ParseArgs(const std::vector<std::string>& argv) {
  CliArgs args;
  if (argv.empty()) return Usage("missing command");
  const std::string& first = argv[0];
  if (first == "--help" || first == "-h" || first == "help") {
    args.command = Command::kHelp;
    if (argv.size() > 1) args.help_for = CommandFromName(argv[1]);
    return args;
  }
  if (first == "--version") {
    args.command = Command::kVersion;
    return args;
  }
  std::optional<Command> command = CommandFromName(first);
  if (!command) {
    if (first.starts_with("-")) return Usage("unknown option '" + first + "'");
    return Usage("unknown command '" + first +
                 "' (expected run, compile, asm, disasm, verify, policy, attest or audit)");
  }
  args.command = *command;
  const std::string name = CommandName(*command);
  if (*command == Command::kPolicy) return ParsePolicy(argv, std::move(args));
  if (*command == Command::kAttest) return ParseAttest(argv, std::move(args));
  if (*command == Command::kAudit) {
    args.audit_words.assign(argv.begin() + 1, argv.end());
    for (const std::string& w : args.audit_words) {
      if (w == "--help" || w == "-h") {
        args.help_for = Command::kAudit;
        args.command = Command::kHelp;
      }
    }
    return args;
  }

  for (size_t i = 1; i < argv.size(); ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      args.help_for = *command;
      args.command = Command::kHelp;
      return args;
    }
    if (arg == "--") {
      if (!TakesRunOptions(*command)) return Usage(name + " takes no plugin arguments");
      args.plugin_args.assign(argv.begin() + i + 1, argv.end());
      break;
    }
    if (!arg.starts_with("-") || arg == "-") {
      if (!args.input.empty()) {
        return Usage("unexpected argument '" + arg + "' (" + name + " takes one FILE" +
                     (TakesRunOptions(*command) ? "; pass plugin arguments after --)" : ")"));
      }
      args.input = arg;
      continue;
    }
    if (TakesRunOptions(*command) && (arg == "--perf-map" || arg == "--jit-stats")) {
      (arg == "--perf-map" ? args.perf_map : args.jit_stats) = true;
      continue;
    }
    // An option with a value: `--flag value` or `--flag=value`.
    std::string flag = arg, value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != std::string::npos && arg.starts_with("--")) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    bool known = (TakesOutput(*command) && flag == "-o") ||
                 (TakesCompileLimits(*command) && IsCompileLimit(flag)) ||
                 (TakesRunOptions(*command) &&
                  (flag == "--entry" || flag == "--fuel" || flag == "--max-heap" ||
                   flag == "--max-depth" || flag == "--max-stack" || flag == "--timeout" ||
                   flag == "--jit-hot" ||
                   IsRunWord(flag)));
    if (!known) return Usage("unknown option '" + flag + "' for " + name);
    if (!has_value) {
      if (i + 1 >= argv.size()) return Usage(flag + " needs a value");
      value = argv[++i];
    }
    if (flag == "-o") {
      if (value.empty()) return Usage("-o needs a file name");
      args.output = value;
    } else if (IsRunWord(flag)) {
      auto applied = ApplyRunWord(args, flag, value);
      if (!applied) return Err(applied.error());
    } else if (flag == "--entry") {
      if (value.empty()) return Usage("--entry needs a function name");
      args.entry = value;
    } else {
      bool bytes = TakesByteCount(flag);
      std::optional<uint64_t> n = ParseCount(value, bytes);
      if (!n) {
        return Usage(flag + " expects a non-negative integer" +
                     std::string(bytes ? " (optionally with k, m or g)" : "") + ", got '" +
                     value + "'");
      }
      if (flag == "--fuel") args.fuel = n;
      if (flag == "--max-heap") args.max_heap = n;
      if (flag == "--max-stack") args.max_stack = n;
      if (flag == "--max-source") args.max_source = n;
      if (flag == "--max-compile-memory") args.max_compile_memory = n;
      if (flag == "--timeout") args.timeout_ms = n;
      if (flag == "--jit-hot") {
        if (*n == 0 || *n > 1000000) return Usage("--jit-hot expects 1..1000000");
        args.jit_hot = n;
      }
      if (flag == "--max-depth") {
        if (*n == 0 || *n > UINT32_MAX) return Usage("--max-depth expects 1..4294967295");
        args.max_depth = n;
      }
    }
  }
  if (args.input.empty()) return Usage(name + " needs a FILE argument");
  if (TakesOutput(*command) && args.output.empty()) {
    return Usage(name + " needs -o OUTPUT");
  }
  return args;
}

}  // namespace trinity::cli
