// Reading, compiling, assembling and loading the `trinity` command's input files
// (see cli_input.h). Every failure becomes a Failure with the right exit status.
#include "tools/cli_input.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

#include "lang/assembler.h"
#include "lang/compiler.h"
#include "runtime/module_reader.h"
#include "runtime/module_writer.h"
#include "runtime/trinity.h"

namespace trinity::cli {
namespace {

// Assembly is text a person wrote; anything near this size is a mistake (the wire format
// itself caps modules at kMaxModuleBytes).
constexpr size_t kMaxInputBytes = kMaxModuleBytes;

Err<Failure> Invalid(const std::string& message) {
  return Err(Failure{kExitInvalidInput, message.ends_with('\n') ? message : message + "\n"});
}

bool HasMagic(const std::string& bytes) {
  return bytes.size() >= 4 && std::memcmp(bytes.data(), kModuleMagic, 4) == 0;
}

std::span<const uint8_t> AsSpan(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

std::string ResolvePath(const std::string& path) {
  const char* base = std::getenv("BUILD_WORKING_DIRECTORY");
  if (path.empty() || path[0] == '/' || base == nullptr || *base == '\0') return path;
  return std::string(base) + "/" + path;
}

lang::CompileLimits CompileLimitsFrom(const CliArgs& args) {
  lang::CompileLimits limits;
  if (args.max_source) limits.max_source_bytes = static_cast<size_t>(*args.max_source);
  if (args.max_compile_memory) limits.max_memory_bytes = static_cast<size_t>(*args.max_compile_memory);
  return limits;
}

Result<Input, Failure> ReadInput(const std::string& path, const lang::CompileLimits& compile) {
  Input in;
  in.name = path;
  in.compile = compile;
  // Sources stop one byte past the compiler's limit, which it then reports.
  const size_t source_cap = std::min<size_t>(compile.max_source_bytes, kMaxInputBytes) + 1;
  std::FILE* f = std::fopen(ResolvePath(path).c_str(), "rb");
  if (f == nullptr) {
    return Err(Failure{kExitNoInput,
                       "trinity: cannot read " + path + ": " + std::strerror(errno) + "\n"});
  }
  const bool source = path.ends_with(".tri");
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    in.bytes.append(buf, n);
    if (source && in.bytes.size() >= source_cap) {
      in.bytes.resize(source_cap);
      break;
    }
    if (in.bytes.size() > kMaxInputBytes) {
      std::fclose(f);
      return Invalid("trinity: " + path + " is larger than " +
                     std::to_string(kMaxInputBytes) + " bytes");
    }
  }
  bool failed = std::ferror(f);
  int err = errno;
  std::fclose(f);
  if (failed) {
    return Err(Failure{kExitNoInput,
                       "trinity: cannot read " + path + ": " + std::strerror(err) + "\n"});
  }
  if (source) {
    in.kind = InputKind::kSource;
  } else if (path.ends_with(".tasm")) {
    in.kind = InputKind::kAssembly;
  } else if (path.ends_with(".tbc") || HasMagic(in.bytes)) {
    in.kind = InputKind::kBytecode;
  } else {
    return Err(Failure{kExitUsage, "trinity: " + path +
                                       ": expected a .tri, .tbc or .tasm file\n"});
  }
  return in;
}

Result<Unit, Failure> WriteOutput(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::FILE* f = std::fopen(ResolvePath(path).c_str(), "wb");
  bool ok = f != nullptr && std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  int err = errno;
  if (f != nullptr && std::fclose(f) != 0) ok = false;
  if (!ok) {
    return Err(Failure{kExitCantCreate,
                       "trinity: cannot write " + path + ": " + std::strerror(err) + "\n"});
  }
  return Unit{};
}

Result<Module, Failure> ToModule(const Input& input) {
  switch (input.kind) {
    case InputKind::kSource: {
      auto m = lang::CompileSource(input.bytes, input.name, input.compile);
      if (!m) return Invalid(lang::FormatCompileErrors(m.error(), input.bytes));
      return std::move(m.value());
    }
    case InputKind::kAssembly: {
      auto m = lang::Assemble(input.bytes, input.name);
      if (!m) return Invalid(m.error().message);
      return std::move(m.value());
    }
    case InputKind::kBytecode: {
      auto m = ReadModule(AsSpan(input.bytes));
      if (!m) return Invalid(input.name + ": invalid module: " + m.error().ToString());
      return std::move(m.value());
    }
  }
  return Invalid("trinity: unknown input kind");
}

Result<std::vector<uint8_t>, Failure> ToBytes(const Input& input) {
  if (input.kind == InputKind::kBytecode) {
    std::span<const uint8_t> s = AsSpan(input.bytes);
    return std::vector<uint8_t>(s.begin(), s.end());
  }
  auto m = ToModule(input);
  if (!m) return Err(std::move(m.error()));
  return WriteModule(m.value());
}

Result<std::shared_ptr<const Module>, Failure> LoadVerified(const Input& input) {
  auto bytes = ToBytes(input);
  if (!bytes) return Err(std::move(bytes.error()));
  return LoadVerified(input, bytes.value());
}

Result<std::shared_ptr<const Module>, Failure> LoadVerified(const Input& input,
                                                            const std::vector<uint8_t>& bytes) {
  auto m = LoadModule(bytes);
  if (!m) return Invalid(input.name + ": invalid module: " + m.error().ToString());
  return std::move(m.value());
}

}  // namespace trinity::cli
