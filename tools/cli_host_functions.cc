// Host functions of the `trinity` command (see cli_host_functions.h). They only write to
// stderr or read the clock and environment; a plugin gets nothing else from the CLI.
#include "tools/cli_host_functions.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace trinity::cli {

HostFunctions CliHostFunctions() {
  HostFunctions host;
  host.Register("log", 1, [](HostArgs args) -> Result<HostValue, std::string> {
    // A string is written from the plugin's own bytes; anything else as its str() text,
    // made straight from the value (no HostValue copy) and bounded by the heap limit.
    std::string text;
    std::string_view shown;
    if (args.TypeOf(0) == HostValue::Type::kString) {
      shown = args.String(0);
    } else {
      text = args.Text(0);
      shown = text;
    }
    // stdout carries print() output; flush it first so interleaving matches the plugin.
    std::fflush(stdout);
    if (shown.size() < 4096) {  // one write, so lines from other processes do not split it
      std::string line = "[plugin] " + std::string(shown) + "\n";
      std::fwrite(line.data(), 1, line.size(), stderr);
    } else {  // a long message is not copied once more
      std::fputs("[plugin] ", stderr);
      std::fwrite(shown.data(), 1, shown.size(), stderr);
      std::fputc('\n', stderr);
    }
    return HostValue::Nil();
  });
  host.Register("clock_ms", 0, [](HostArgs) -> Result<HostValue, std::string> {
    auto now = std::chrono::steady_clock::now().time_since_epoch();
    return HostValue::Int(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
  });
  host.Register("getenv", 1, [](HostArgs args) -> Result<HostValue, std::string> {
    if (args.TypeOf(0) != HostValue::Type::kString) {
      return Err(std::string("getenv expects a string name"));
    }
    std::string name(args.String(0));
    // getenv would read a name with '\0' only up to the NUL: answer for the name asked.
    if (name.find('\0') != std::string::npos) return HostValue::Nil();
    // Only variables the operator set for plugins on purpose are visible: the rest of the
    // environment (tokens, credentials) stays with the host.
    if (name.rfind("TRINITY_", 0) != 0) return HostValue::Nil();
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return HostValue::Nil();
    return HostValue::String(value);
  });
  return host;
}

}  // namespace trinity::cli
