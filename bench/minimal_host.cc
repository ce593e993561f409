// The smallest useful Trinity embedding: load a verified .tbc, call one export with
// integer arguments, print the result. It links only //runtime:trinity, so its stripped
// size is the floor a host pays for embedding Trinity (measured by footprint.sh).
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "runtime/trinity.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODULE.tbc EXPORT [INT...]\n", argv[0]);
    return 2;
  }
  // stdio rather than iostreams: iostreams alone would dominate the size being measured.
  std::FILE* f = std::fopen(argv[1], "rb");
  if (!f) {
    std::perror(argv[1]);
    return 1;
  }
  std::vector<uint8_t> bytes;
  uint8_t buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) bytes.insert(bytes.end(), buf, buf + n);
  std::fclose(f);

  auto module = trinity::LoadModule(bytes);
  if (!module.ok()) {
    std::fprintf(stderr, "load: %s\n", module.error().ToString().c_str());
    return 1;
  }
  trinity::HostFunctions host;
  auto inst = trinity::Instance::Create(module.value(), host);
  if (!inst.ok()) {
    std::fprintf(stderr, "link: %s\n", inst.error().c_str());
    return 1;
  }
  std::vector<trinity::HostValue> args;
  for (int i = 3; i < argc; i++) args.push_back(trinity::HostValue::Int(std::atoll(argv[i])));
  auto result = inst.value()->Call(argv[2], args);
  if (!result.ok()) {
    std::fprintf(stderr, "trap: %s\n", result.error().ToString().c_str());
    return 1;
  }
  std::printf("%s\n", result.value().ToString().c_str());
  return 0;
}
