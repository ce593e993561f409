// Triage tool for fuzz_generated: prints the module an input file decodes to, as assembly
// text (lang/assembly_format.md), followed by the verifier's verdict.
// Usage: dump_generated INPUT
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

#include "fuzz/module_generator.h"
#include "lang/disassembler.h"
#include "runtime/verifier.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s INPUT\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  trinity::Module m = trinity::fuzz::GenerateModule(bytes);
  std::fputs(trinity::lang::Disassemble(m).c_str(), stdout);
  auto verified = trinity::VerifyModule(m);
  std::printf("; verifier: %s\n", verified.ok() ? "accepted" : verified.error().ToString().c_str());
  return verified.ok() ? 0 : 1;
}
