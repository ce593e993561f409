// Synthetic .tri source of a chosen size for the load and compile micro-benchmarks.
// Generated rather than checked in so the size can sweep; the mix (loops, calls,
// literals, strings, maps) roughly follows what real plugins contain.
#pragma once

#include <string>

namespace trinity::bench {

// A module of `functions` functions, each calling the previous one, plus an export.
inline std::string GeneratedSource(int functions) {
  if (functions < 1) functions = 1;  // the export calls the last function
  std::string src = "// generated benchmark module\nimport fn host_log(msg)\n";
  for (int i = 0; i < functions; i++) {
    std::string n = std::to_string(i);
    src += "fn f" + n + "(a, b) {\n";
    src += "  let s = 0\n";
    src += "  for k in 0..a {\n";
    src += "    s += k * " + n + " % 7\n";
    src += "    if s > 1000 and b != nil { s -= 3 } else { s += 1 }\n";
    src += "  }\n";
    src += "  let m = {}\n";
    src += "  m.total = s\n";
    src += "  m[\"name\"] = \"f" + n + "\" + str(s)\n";
    src += "  let items = [1, 2.5, \"three\", nil, true]\n";
    src += "  for i, v in items { if type(v) == \"int\" { s += i } }\n";
    src += "  let g = fn (x) { return x + s }\n";
    if (i > 0) {
      src += "  return f" + std::to_string(i - 1) + "(g(a) % 5, len(items)) + m.total\n";
    } else {
      src += "  return g(m.total)\n";
    }
    src += "}\n\n";
  }
  src += "export fn main(n) {\n  host_log(\"start\")\n  return f" +
         std::to_string(functions - 1) + "(int(n), 2)\n}\n";
  return src;
}

}  // namespace trinity::bench
