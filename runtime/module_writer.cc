// Module -> bytes. The layout mirrors module_reader.cc; any change to one must be made
// to the other and to module_format.md.
#include "runtime/module_writer.h"

#include <bit>
#include <variant>
#include <string_view>
#include <type_traits>

namespace trinity {
namespace {

class ByteSink {
 public:
  explicit ByteSink(std::vector<uint8_t>& out) : out_(out) {}

  template <typename T>
  void Int(T v) {
    static_assert(std::is_integral_v<T>);
    using U = std::make_unsigned_t<T>;
    U u = static_cast<U>(v);
    for (size_t i = 0; i < sizeof(T); ++i) out_.push_back(static_cast<uint8_t>(u >> (8 * i)));
  }
  void Str(std::string_view s) {
    Int<uint32_t>(static_cast<uint32_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void Bytes(const std::vector<uint8_t>& b) { out_.insert(out_.end(), b.begin(), b.end()); }

  // Starts a section and returns where its length goes; EndSection patches it once the
  // payload size is known, so payloads are written in one pass.
  size_t BeginSection(SectionId id) {
    out_.push_back(static_cast<uint8_t>(id));
    size_t at = out_.size();
    Int<uint32_t>(0);
    return at;
  }
  void EndSection(size_t len_at) {
    uint32_t len = static_cast<uint32_t>(out_.size() - len_at - 4);
    for (size_t i = 0; i < 4; ++i) out_[len_at + i] = static_cast<uint8_t>(len >> (8 * i));
  }

 private:
  std::vector<uint8_t>& out_;
};

void WriteConstant(ByteSink& s, const Constant& c) {
  if (const auto* i = std::get_if<int64_t>(&c)) {
    s.Int<uint8_t>(static_cast<uint8_t>(ConstantKind::kInt));
    s.Int<int64_t>(*i);
  } else if (const auto* d = std::get_if<double>(&c)) {
    s.Int<uint8_t>(static_cast<uint8_t>(ConstantKind::kFloat));
    s.Int<uint64_t>(std::bit_cast<uint64_t>(*d));
  } else {
    s.Int<uint8_t>(static_cast<uint8_t>(ConstantKind::kString));
    s.Str(std::get<std::string>(c));
  }
}

void WriteFunction(ByteSink& s, const Function& f) {
  s.Str(f.name);
  s.Int<uint16_t>(f.arity);
  s.Int<uint16_t>(f.num_locals);
  s.Int<uint16_t>(f.max_stack);
  s.Int<uint16_t>(f.num_captures);
  s.Int<uint32_t>(static_cast<uint32_t>(f.code.size()));
  s.Bytes(f.code);
  s.Int<uint32_t>(static_cast<uint32_t>(f.lines.size()));
  for (const LineEntry& e : f.lines) {
    s.Int<uint32_t>(e.pc);
    s.Int<uint32_t>(e.line);
  }
}

void WriteNames(ByteSink& s, SectionId id, const std::vector<std::string>& names) {
  if (names.empty()) return;
  size_t at = s.BeginSection(id);
  s.Int<uint32_t>(static_cast<uint32_t>(names.size()));
  for (const std::string& n : names) s.Str(n);
  s.EndSection(at);
}

}  // namespace

std::vector<uint8_t> WriteModule(const Module& m) {
  std::vector<uint8_t> out;
  ByteSink s(out);
  for (uint8_t b : kModuleMagic) s.Int<uint8_t>(b);
  s.Int<uint16_t>(kModuleVersionMajor);
  s.Int<uint16_t>(kModuleVersionMinor);

  if (!m.source_name.empty()) {
    size_t at = s.BeginSection(SectionId::kSource);
    s.Str(m.source_name);
    s.EndSection(at);
  }
  if (!m.constants.empty()) {
    size_t at = s.BeginSection(SectionId::kConstants);
    s.Int<uint32_t>(static_cast<uint32_t>(m.constants.size()));
    for (const Constant& c : m.constants) WriteConstant(s, c);
    s.EndSection(at);
  }
  WriteNames(s, SectionId::kImports, m.imports);
  WriteNames(s, SectionId::kGlobals, m.globals);
  {
    size_t at = s.BeginSection(SectionId::kFunctions);
    s.Int<uint32_t>(static_cast<uint32_t>(m.functions.size()));
    for (const Function& f : m.functions) WriteFunction(s, f);
    s.EndSection(at);
  }
  if (!m.exports.empty()) {
    size_t at = s.BeginSection(SectionId::kExports);
    s.Int<uint32_t>(static_cast<uint32_t>(m.exports.size()));
    for (const Export& e : m.exports) {
      s.Str(e.name);
      s.Int<uint32_t>(e.function);
    }
    s.EndSection(at);
  }
  if (m.start_function != kNoFunction) {
    size_t at = s.BeginSection(SectionId::kStart);
    s.Int<uint32_t>(m.start_function);
    s.EndSection(at);
  }
  return out;
}

}  // namespace trinity
