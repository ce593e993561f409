// Runs one compiled plugin (.tbc) on a fast tier built with TRINITY_FAST_PROFILE and
// prints how often each fast instruction and each adjacent pair executed
// (runtime/fast_profile.h). Driven by bench/opcode_pairs.py over the benchmark programs.
// Usage: opcode_pairs FILE.tbc [ARGS...]   (calls export `main` with ARGS as strings)
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "runtime/fast_profile.h"
#include "runtime/trinity.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: opcode_pairs FILE.tbc [ARGS...]\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto module = trinity::LoadModule(bytes);
  if (!module.ok()) {
    std::fprintf(stderr, "opcode_pairs: %s\n", module.error().ToString().c_str());
    return 65;
  }
  trinity::InstanceOptions options;
  options.print = [](std::string_view) {};
  auto instance = trinity::Instance::Create(module.value(), trinity::HostFunctions{}, options);
  if (!instance.ok()) {
    std::fprintf(stderr, "opcode_pairs: %s\n", instance.error().c_str());
    return 65;
  }
  std::vector<trinity::HostValue> args;
  for (int i = 2; i < argc; ++i) args.push_back(trinity::HostValue::String(argv[i]));
  auto result = instance.value()->Call("main", args);
  if (!result.ok()) {
    std::fprintf(stderr, "opcode_pairs: trap: %s\n", result.error().ToString().c_str());
    return 1;
  }
  trinity::WriteFastProfile(stdout);
  return 0;
}
