// Compiles .tri files to .tbc for the bytecode seed corpus (make_corpus.sh): the same
// CompileSource + WriteModule path the harnesses use, without depending on the CLI.
// Usage: tri_to_tbc IN.tri OUT.tbc   (exit 1 and a message when IN does not compile)
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "lang/compiler.h"
#include "runtime/module_writer.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s IN.tri OUT.tbc\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s: cannot read\n", argv[1]);
    return 2;
  }
  std::string source((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto compiled = trinity::lang::CompileSource(source, argv[1]);
  if (!compiled.ok()) {
    std::fputs(trinity::lang::FormatCompileErrors(compiled.error(), source).c_str(), stderr);
    return 1;
  }
  std::vector<uint8_t> bytes = trinity::WriteModule(compiled.value());
  std::ofstream out(argv[2], std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return out ? 0 : 2;
}
