// The host-facing pieces of the embedding API: host function registry, argument views,
// owned HostValues and their text form, trap names and messages.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "runtime/heap.h"
#include "runtime/interpreter.h"
#include "runtime/trinity.h"
#include "runtime/value.h"

namespace trinity {
namespace {

HostValue::Type HostTypeOf(Tag tag) {
  switch (tag) {
    case Tag::kNil: return HostValue::Type::kNil;
    case Tag::kBool: return HostValue::Type::kBool;
    case Tag::kInt: return HostValue::Type::kInt;
    case Tag::kFloat: return HostValue::Type::kFloat;
    case Tag::kString: return HostValue::Type::kString;
    case Tag::kArray: return HostValue::Type::kArray;
    case Tag::kMap: return HostValue::Type::kMap;
    case Tag::kFunction: return HostValue::Type::kFunction;
    case Tag::kHandle: return HostValue::Type::kHandle;
    case Tag::kBox: return HostValue::Type::kNil;
  }
  return HostValue::Type::kNil;
}

[[noreturn]] void ArgTypeError(size_t i, const char* wanted, Tag got) {
  ThrowTrap(TrapKind::kTypeError, "host function argument " + std::to_string(i + 1) + " must be " +
                                      wanted + ", got " + std::string(TypeName(got)));
}

void AppendHost(std::string& out, const HostValue& v, bool quote, int depth) {
  switch (v.type) {
    case HostValue::Type::kNil: out += "nil"; return;
    case HostValue::Type::kBool: out += v.b ? "true" : "false"; return;
    case HostValue::Type::kInt: out += std::to_string(v.i); return;
    case HostValue::Type::kFloat: AppendFloat(out, v.f); return;
    case HostValue::Type::kHandle: out += "<handle " + std::to_string(v.i) + ">"; return;
    case HostValue::Type::kFunction: out += "<fn " + v.s + ">"; return;
    case HostValue::Type::kString:
      if (quote) {
        AppendQuoted(out, v.s);  // escaped exactly as str() does
      } else {
        out += v.s;
      }
      return;
    case HostValue::Type::kArray:
      if (depth >= 32) { out += "..."; return; }
      out += '[';
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (i) out += ", ";
        AppendHost(out, v.items[i], true, depth + 1);
      }
      out += ']';
      return;
    case HostValue::Type::kMap:
      if (depth >= 32) { out += "..."; return; }
      out += '{';
      for (size_t i = 0; i < v.entries.size(); ++i) {
        if (i) out += ", ";
        AppendHost(out, v.entries[i].first, true, depth + 1);
        out += ": ";
        AppendHost(out, v.entries[i].second, true, depth + 1);
      }
      out += '}';
      return;
  }
}

}  // namespace

HostValue::Type HostArgs::TypeOf(size_t i) const {
  if (i >= count_) return HostValue::Type::kNil;
  return HostTypeOf(args_[i].tag);
}

int64_t HostArgs::Int(size_t i) const {
  if (i >= count_) ThrowTrap(TrapKind::kHostError, "host function argument " + std::to_string(i + 1) + " missing");
  if (args_[i].tag != Tag::kInt) ArgTypeError(i, "an int", args_[i].tag);
  return args_[i].i;
}

double HostArgs::Number(size_t i) const {
  if (i >= count_) ThrowTrap(TrapKind::kHostError, "host function argument " + std::to_string(i + 1) + " missing");
  if (args_[i].tag == Tag::kInt) return static_cast<double>(args_[i].i);
  if (args_[i].tag != Tag::kFloat) ArgTypeError(i, "a number", args_[i].tag);
  return args_[i].f;
}

std::string_view HostArgs::String(size_t i) const {
  if (i >= count_) ThrowTrap(TrapKind::kHostError, "host function argument " + std::to_string(i + 1) + " missing");
  if (args_[i].tag != Tag::kString) ArgTypeError(i, "a string", args_[i].tag);
  return AsString(args_[i])->view();
}

namespace {
constexpr int kMaxExportDepth = 64;
constexpr size_t kMaxExportNodes = size_t{1} << 20;
// malloc's header and rounding for each block of a copy (strings, element vectors).
constexpr size_t kBlockOverhead = 16;

// Fuel for `bytes` of copying work: stops the copy once the fuel left is spent.
void ChargeWork(ExportMeter* meter, uint64_t bytes) {
  if (meter == nullptr) return;
  if (bytes > meter->bytes_left) {
    meter->exhausted = true;  // CallHost turns this into the call's fuel trap
    ThrowTrap(TrapKind::kFuelExhausted, "fuel exhausted while passing a value to the host");
  }
  if (meter->bytes_left != UINT64_MAX) meter->bytes_left -= bytes;
  meter->bytes_used += bytes;
}

// Host memory for the next part of a copy, claimed before that part is allocated.
void ClaimMemory(ExportMeter* meter, size_t bytes) {
  if (meter == nullptr) return;
  if (bytes > meter->memory_limit || meter->memory_used > meter->memory_limit - bytes) {
    ThrowTrap(TrapKind::kOutOfMemory,
              "value too large to pass to the host: its copy would need more than " +
                  std::to_string(meter->memory_limit) + " bytes (the heap limit)");
  }
  meter->memory_used += bytes;
}

size_t StringBlockBytes(size_t length) { return length < 16 ? 0 : length + 1 + kBlockOverhead; }

// Deep copy bounded in depth and in total elements: shared sub-containers are copied each
// time they are reached, so without the element budget a small cyclic or diamond-shaped
// structure could expand exponentially in the host. With a meter, every element's bytes
// are also charged against the fuel left, and the memory each part of the copy occupies
// (an element vector, a string's bytes) is claimed against the meter's limit before that
// part is allocated.
class Exporter {
 public:
  Exporter(const Module* module, ExportMeter* meter) : module_(module), meter_(meter) {}

  HostValue Root(const Value& v) {
    ClaimMemory(meter_, sizeof(HostValue));
    return Copy(v, 0);
  }

 private:
  HostValue Copy(const Value& v, int depth) {
    if (depth > kMaxExportDepth) return HostValue::Nil();
    if (nodes_left_ == 0) {
      ThrowTrap(TrapKind::kOutOfMemory, "value too large to pass to the host (more than " +
                                            std::to_string(kMaxExportNodes) + " elements)");
    }
    --nodes_left_;
    ChargeWork(meter_, sizeof(HostValue) + (v.tag == Tag::kString ? AsString(v)->view().size() : 0));
    switch (v.tag) {
      case Tag::kNil: return HostValue::Nil();
      case Tag::kBool: return HostValue::Bool(v.b);
      case Tag::kInt: return HostValue::Int(v.i);
      case Tag::kFloat: return HostValue::Float(v.f);
      case Tag::kHandle: return HostValue::Handle(v.i);
      case Tag::kString: {
        std::string_view s = AsString(v)->view();
        ClaimMemory(meter_, StringBlockBytes(s.size()));
        return HostValue::String(std::string(s));
      }
      case Tag::kArray: {
        HostValue h;
        h.type = HostValue::Type::kArray;
        const Array* a = AsArray(v);
        if (a->size > 0) ClaimMemory(meter_, size_t{a->size} * sizeof(HostValue) + kBlockOverhead);
        h.items.reserve(a->size);
        for (uint32_t k = 0; k < a->size; ++k) h.items.push_back(Copy(a->items[k], depth + 1));
        return h;
      }
      case Tag::kMap: {
        HostValue h;
        h.type = HostValue::Type::kMap;
        const Map* m = AsMap(v);
        using Entry = std::pair<HostValue, HostValue>;
        if (m->live > 0) ClaimMemory(meter_, size_t{m->live} * sizeof(Entry) + kBlockOverhead);
        h.entries.reserve(m->live);
        for (uint32_t k = 0; k < m->used; ++k) {
          if (m->entries[k].key.tag == Tag::kNil) continue;
          HostValue key = Copy(m->entries[k].key, depth + 1);
          h.entries.emplace_back(std::move(key), Copy(m->entries[k].value, depth + 1));
        }
        return h;
      }
      case Tag::kFunction: {
        HostValue h;
        h.type = HostValue::Type::kFunction;
        uint32_t f = AsClosure(v)->function;
        h.s = module_ != nullptr && f < module_->functions.size() ? module_->functions[f].name : "?";
        ClaimMemory(meter_, StringBlockBytes(h.s.size()));
        return h;
      }
      case Tag::kBox:
        return Copy(AsBox(v)->value, depth + 1);
    }
    return HostValue::Nil();
  }

  const Module* module_;
  ExportMeter* meter_;
  size_t nodes_left_ = kMaxExportNodes;
};
}  // namespace

HostValue ExportValue(const Value& v, const Module* module, ExportMeter* meter) {
  return Exporter(module, meter).Root(v);
}

HostValue HostArgs::Get(size_t i) const {
  if (i >= count_) return HostValue::Nil();
  return ExportValue(args_[i], meter_ ? meter_->module : nullptr, meter_);
}

std::string HostArgs::Text(size_t i) const {
  if (i >= count_) return std::string();
  size_t room = SIZE_MAX;
  if (meter_ != nullptr) room = meter_->memory_limit - std::min(meter_->memory_used, meter_->memory_limit);
  std::string text;
  try {
    AppendDisplay(text, args_[i], meter_ ? meter_->module : nullptr, false, room);
  } catch (const VmTrap&) {
    ThrowTrap(TrapKind::kOutOfMemory, "value too large to pass to the host: its text would need more than " +
                                          std::to_string(room) + " bytes (the heap limit)");
  }
  ClaimMemory(meter_, StringBlockBytes(text.size()));
  ChargeWork(meter_, text.size());
  return text;
}

void HostFunctions::Register(std::string name, int arity, HostFunction fn) {
  for (Entry& e : entries_) {
    if (e.name == name) {
      e.arity = arity;
      e.fn = std::move(fn);
      return;
    }
  }
  entries_.push_back(Entry{std::move(name), arity, std::move(fn)});
}

const HostFunctions::Entry* HostFunctions::Find(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::string HostValue::ToString() const {
  std::string out;
  AppendHost(out, *this, false, 0);
  return out;
}

bool HostValue::operator==(const HostValue& o) const {
  if (type != o.type) return false;
  switch (type) {
    case Type::kNil: return true;
    case Type::kBool: return b == o.b;
    case Type::kInt:
    case Type::kHandle: return i == o.i;
    case Type::kFloat: return f == o.f || (std::isnan(f) && std::isnan(o.f));
    case Type::kString:
    case Type::kFunction: return s == o.s;
    case Type::kArray: return items == o.items;
    case Type::kMap: return entries == o.entries;
  }
  return false;
}

std::string_view TrapKindName(TrapKind kind) {
  switch (kind) {
    case TrapKind::kTypeError: return "type error";
    case TrapKind::kDivisionByZero: return "division by zero";
    case TrapKind::kIndexOutOfRange: return "index out of range";
    case TrapKind::kKeyNotFound: return "key not found";
    case TrapKind::kError: return "error";
    case TrapKind::kFuelExhausted: return "fuel exhausted";
    case TrapKind::kOutOfMemory: return "out of memory";
    case TrapKind::kStackOverflow: return "stack overflow";
    case TrapKind::kDeadlineExceeded: return "deadline exceeded";
    case TrapKind::kHostError: return "host error";
    case TrapKind::kIsolationViolation: return "isolation violation";
    case TrapKind::kForbiddenSyscall: return "forbidden syscall";
    case TrapKind::kLinkError: return "link error";
    case TrapKind::kInternal: return "internal error";
  }
  return "unknown";
}

std::string Trap::ToString() const {
  std::string out(TrapKindName(kind));
  out += ": ";
  out += message;
  if (!function.empty()) {
    out += " (in fn " + function;
    if (line) out += " at line " + std::to_string(line);
    out += ")";
  }
  return out;
}

}  // namespace trinity
