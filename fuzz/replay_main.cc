// A main() for builds without a fuzzing engine (coverage): feeds every file named on the
// command line, or found under a named directory, to LLVMFuzzerTestOneInput once.
// Flags starting with '-' are ignored so libFuzzer-style command lines still work.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void RunFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
  size_t runs = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path arg(argv[i]);
    if (argv[i][0] == '-') continue;
    if (std::filesystem::is_directory(arg)) {
      std::vector<std::filesystem::path> files;
      for (const auto& e : std::filesystem::recursive_directory_iterator(arg)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());  // a stable order makes runs comparable
      for (const auto& f : files) RunFile(f), ++runs;
    } else {
      RunFile(arg), ++runs;
    }
  }
  std::fprintf(stderr, "replayed %zu inputs\n", runs);
  return 0;
}
