// Bytes -> Module. Structural checks only (framing, lengths, caps, tags); what the code
// means is the verifier's job. Must stay crash-free on arbitrary input: it is fuzzed.
#include "runtime/module_reader.h"

#include <algorithm>
#include <bit>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace trinity {
namespace {

// Reads little-endian fields up to a limit (the end of the current section). The first
// failure is remembered and every later read returns zero, so parsing code can read a
// whole record and check failed() once instead of after every field.
class Cursor {
 public:
  explicit Cursor(std::span<const uint8_t> bytes) : bytes_(bytes), limit_(bytes.size()) {}

  size_t offset() const { return pos_; }
  size_t remaining() const { return limit_ - pos_; }
  bool AtLimit() const { return pos_ == limit_; }
  bool failed() const { return error_.has_value(); }
  void SetLimit(size_t limit) { limit_ = limit; }

  void Fail(size_t at, std::string reason) {
    if (!error_) error_ = LoadError{"", at, std::move(reason)};
  }
  LoadError TakeError() { return std::move(*error_); }

  template <typename T>
  T Int(std::string_view what) {
    static_assert(std::is_unsigned_v<T>);
    if (!Need(sizeof(T), what)) return 0;
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(T{bytes_[pos_ + i]} << (8 * i));
    pos_ += sizeof(T);
    return v;
  }

  std::span<const uint8_t> Bytes(size_t n, std::string_view what) {
    if (!Need(n, what)) return {};
    auto out = bytes_.subspan(pos_, n);
    pos_ += n;
    return out;
  }

  // A u32-length-prefixed string of at most max_len bytes.
  std::string Str(std::string_view what, uint32_t max_len) {
    size_t at = pos_;
    uint32_t len = Int<uint32_t>(what);
    if (failed()) return {};
    if (len > max_len) {
      Fail(at, std::string(what) + " length " + std::to_string(len) + " exceeds the limit of " +
                   std::to_string(max_len));
      return {};
    }
    auto b = Bytes(len, what);
    return std::string(b.begin(), b.end());
  }

  // A u32 element count, checked against `cap`. Returns 0 on failure, which ends the
  // caller's loop.
  uint32_t Count(std::string_view what, uint32_t cap) {
    size_t at = pos_;
    uint32_t n = Int<uint32_t>(std::string(what) + " count");
    if (!failed() && n > cap) {
      Fail(at, std::string(what) + " count " + std::to_string(n) + " exceeds the limit of " +
                   std::to_string(cap));
      return 0;
    }
    return failed() ? 0 : n;
  }

  // How many of `n` elements of at least `min_size` bytes could still fit; reserving
  // only this many keeps a lying count from allocating memory the file cannot back.
  size_t Plausible(uint32_t n, size_t min_size) const {
    return std::min<size_t>(n, remaining() / min_size);
  }

 private:
  bool Need(size_t n, std::string_view what) {
    if (failed()) return false;
    if (n > remaining()) {
      Fail(pos_, "truncated " + std::string(what) + ": need " + std::to_string(n) +
                     " bytes, " + std::to_string(remaining()) + " left");
      return false;
    }
    return true;
  }

  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  size_t limit_;
  std::optional<LoadError> error_;
};

constexpr uint8_t kLastSectionId = static_cast<uint8_t>(SectionId::kStart);

std::string SectionName(uint8_t id) {
  switch (static_cast<SectionId>(id)) {
    case SectionId::kSource: return "source";
    case SectionId::kConstants: return "constants";
    case SectionId::kImports: return "imports";
    case SectionId::kGlobals: return "globals";
    case SectionId::kFunctions: return "functions";
    case SectionId::kExports: return "exports";
    case SectionId::kStart: return "start";
  }
  return "unknown";
}

void ReadHeader(Cursor& c) {
  auto magic = c.Bytes(sizeof(kModuleMagic), "header");
  if (c.failed()) return;
  if (!std::equal(magic.begin(), magic.end(), std::begin(kModuleMagic))) {
    c.Fail(0, "bad magic");
    return;
  }
  size_t version_at = c.offset();
  uint16_t major = c.Int<uint16_t>("header");
  uint16_t minor = c.Int<uint16_t>("header");
  if (c.failed()) return;
  if (major != kModuleVersionMajor || minor > kModuleVersionMinor) {
    c.Fail(version_at, "unsupported version " + std::to_string(major) + "." +
                           std::to_string(minor) + " (this reader supports " +
                           std::to_string(kModuleVersionMajor) + "." +
                           std::to_string(kModuleVersionMinor) + ")");
  }
}

void ReadConstants(Cursor& c, Module& m) {
  uint32_t n = c.Count("constant", kMaxConstants);
  m.constants.reserve(c.Plausible(n, 1 + 4));
  for (uint32_t i = 0; i < n && !c.failed(); ++i) {
    size_t kind_at = c.offset();
    uint8_t kind = c.Int<uint8_t>("constant kind");
    if (c.failed()) return;
    switch (static_cast<ConstantKind>(kind)) {
      case ConstantKind::kInt:
        m.constants.emplace_back(static_cast<int64_t>(c.Int<uint64_t>("int constant")));
        break;
      case ConstantKind::kFloat:
        m.constants.emplace_back(std::bit_cast<double>(c.Int<uint64_t>("float constant")));
        break;
      case ConstantKind::kString:
        m.constants.emplace_back(c.Str("string constant", kMaxStringConstantBytes));
        break;
      default:
        c.Fail(kind_at, "bad constant kind " + std::to_string(kind));
        return;
    }
  }
}

void ReadNames(Cursor& c, std::string_view what, uint32_t cap, std::vector<std::string>& out) {
  uint32_t n = c.Count(what, cap);
  out.reserve(c.Plausible(n, 4));
  for (uint32_t i = 0; i < n && !c.failed(); ++i) {
    out.push_back(c.Str(std::string(what) + " name", kMaxNameBytes));
  }
}

void ReadFunction(Cursor& c, Function& f) {
  f.name = c.Str("function name", kMaxNameBytes);
  f.arity = c.Int<uint16_t>("function arity");
  f.num_locals = c.Int<uint16_t>("function num_locals");
  f.max_stack = c.Int<uint16_t>("function max_stack");
  f.num_captures = c.Int<uint16_t>("function num_captures");
  size_t len_at = c.offset();
  uint32_t code_len = c.Int<uint32_t>("function code length");
  if (c.failed()) return;
  if (code_len > kMaxCodeBytes) {
    c.Fail(len_at, "function code length " + std::to_string(code_len) +
                       " exceeds the limit of " + std::to_string(kMaxCodeBytes));
    return;
  }
  auto code = c.Bytes(code_len, "function code");
  f.code.assign(code.begin(), code.end());
  // Line entries have no cap of their own: each takes 8 file bytes, so the file size
  // bounds them.
  uint32_t n_lines = c.Count("line entry", UINT32_MAX);
  f.lines.reserve(c.Plausible(n_lines, 8));
  for (uint32_t i = 0; i < n_lines && !c.failed(); ++i) {
    LineEntry e;
    e.pc = c.Int<uint32_t>("line entry");
    e.line = c.Int<uint32_t>("line entry");
    f.lines.push_back(e);
  }
}

void ReadFunctions(Cursor& c, Module& m) {
  uint32_t n = c.Count("function", kMaxFunctions);
  // name length + 4 u16 fields + code length + line count.
  m.functions.reserve(c.Plausible(n, 4 + 8 + 4 + 4));
  for (uint32_t i = 0; i < n && !c.failed(); ++i) {
    m.functions.emplace_back();
    ReadFunction(c, m.functions.back());
  }
}

void ReadExports(Cursor& c, Module& m) {
  uint32_t n = c.Count("export", kMaxExports);
  m.exports.reserve(c.Plausible(n, 4 + 4));
  for (uint32_t i = 0; i < n && !c.failed(); ++i) {
    Export e;
    e.name = c.Str("export name", kMaxNameBytes);
    e.function = c.Int<uint32_t>("export function index");
    m.exports.push_back(std::move(e));
  }
}

void ReadSection(Cursor& c, uint8_t id, Module& m) {
  switch (static_cast<SectionId>(id)) {
    case SectionId::kSource: m.source_name = c.Str("source name", kMaxNameBytes); break;
    case SectionId::kConstants: ReadConstants(c, m); break;
    case SectionId::kImports: ReadNames(c, "import", kMaxImports, m.imports); break;
    case SectionId::kGlobals: ReadNames(c, "global", kMaxGlobals, m.globals); break;
    case SectionId::kFunctions: ReadFunctions(c, m); break;
    case SectionId::kExports: ReadExports(c, m); break;
    case SectionId::kStart: m.start_function = c.Int<uint32_t>("start function index"); break;
  }
}

void ReadSections(Cursor& c, size_t file_size, Module& m) {
  uint8_t last_id = 0;
  bool have_functions = false;
  while (!c.AtLimit() && !c.failed()) {
    if (last_id == kLastSectionId) {
      c.Fail(c.offset(), std::to_string(c.remaining()) + " trailing bytes after the last section");
      return;
    }
    size_t id_at = c.offset();
    uint8_t id = c.Int<uint8_t>("section header");
    size_t len_at = c.offset();
    uint32_t len = c.Int<uint32_t>("section header");
    if (c.failed()) return;
    if (id == 0 || id > kLastSectionId) {
      c.Fail(id_at, "unknown section id " + std::to_string(id));
      return;
    }
    if (id <= last_id) {
      c.Fail(id_at, "section id " + std::to_string(id) + " (" + SectionName(id) +
                        ") is out of order: it must be greater than " + std::to_string(last_id));
      return;
    }
    if (len > c.remaining()) {
      c.Fail(len_at, SectionName(id) + " section length " + std::to_string(len) +
                         " goes beyond the end of the file (" + std::to_string(c.remaining()) +
                         " bytes left)");
      return;
    }
    size_t end = c.offset() + len;
    c.SetLimit(end);
    ReadSection(c, id, m);
    if (!c.failed() && !c.AtLimit()) {
      c.Fail(c.offset(), SectionName(id) + " section has " + std::to_string(c.remaining()) +
                             " unread bytes at its end");
    }
    c.SetLimit(file_size);
    last_id = id;
    have_functions |= id == static_cast<uint8_t>(SectionId::kFunctions);
  }
  if (!c.failed() && !have_functions) c.Fail(c.offset(), "module has no functions section");
}

}  // namespace

Result<Module, LoadError> ReadModule(std::span<const uint8_t> bytes) {
  if (bytes.size() > kMaxModuleBytes) {
    return Err(LoadError{"", 0,
                         "module is " + std::to_string(bytes.size()) +
                             " bytes, more than the limit of " + std::to_string(kMaxModuleBytes)});
  }
  Cursor c(bytes);
  Module m;
  ReadHeader(c);
  if (!c.failed()) ReadSections(c, bytes.size(), m);
  if (c.failed()) return Err(c.TakeError());
  return m;
}

}  // namespace trinity
