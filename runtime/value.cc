// Value helpers shared by the interpreter and built-ins: type names, language equality,
// and the display form used by str() and print().
#include <charconv>
#include <cmath>
#include <cstring>

#include "runtime/interpreter.h"
#include "runtime/value.h"

namespace trinity {

std::string_view TypeName(Tag tag) {
  switch (tag) {
    case Tag::kNil: return "nil";
    case Tag::kBool: return "bool";
    case Tag::kInt: return "int";
    case Tag::kFloat: return "float";
    case Tag::kHandle: return "handle";
    case Tag::kString: return "string";
    case Tag::kArray: return "array";
    case Tag::kMap: return "map";
    case Tag::kFunction: return "function";
    case Tag::kBox: return "box";
  }
  return "?";
}

bool ValuesEqual(const Value& a, const Value& b) {
  if (a.tag != b.tag) {
    if (a.tag == Tag::kInt && b.tag == Tag::kFloat) return static_cast<double>(a.i) == b.f;
    if (a.tag == Tag::kFloat && b.tag == Tag::kInt) return a.f == static_cast<double>(b.i);
    return false;
  }
  switch (a.tag) {
    case Tag::kNil: return true;
    case Tag::kBool: return a.b == b.b;
    case Tag::kInt:
    case Tag::kHandle: return a.i == b.i;
    case Tag::kFloat: return a.f == b.f;
    case Tag::kString: {
      const String* x = AsString(a);
      const String* y = AsString(b);
      return x == y || (x->length == y->length && std::memcmp(x->data, y->data, x->length) == 0);
    }
    default: return a.o == b.o;
  }
}

void AppendFloat(std::string& out, double f) {
  if (std::isnan(f)) {
    out += "nan";
    return;
  }
  if (std::isinf(f)) {
    out += f < 0 ? "-inf" : "inf";
    return;
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, f);
  std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
  out += s;
  if (s.find_first_of(".en") == std::string_view::npos) out += ".0";
}

namespace {
void AppendQuoted(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\0': out += "\\0"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}
}  // namespace

void AppendDisplay(std::string& out, const Value& v, const Module& module, bool quote_strings,
                   int depth) {
  constexpr int kMaxDepth = 32;
  // Shared sub-containers print once per reference, so a small diamond-shaped structure
  // could expand exponentially; the output cap bounds that work.
  constexpr size_t kMaxDisplayBytes = size_t{64} << 20;
  if (out.size() > kMaxDisplayBytes) {
    ThrowTrap(TrapKind::kOutOfMemory, "string form longer than " + std::to_string(kMaxDisplayBytes) + " bytes");
  }
  switch (v.tag) {
    case Tag::kNil: out += "nil"; return;
    case Tag::kBool: out += v.b ? "true" : "false"; return;
    case Tag::kInt: out += std::to_string(v.i); return;
    case Tag::kFloat: AppendFloat(out, v.f); return;
    case Tag::kHandle: out += "<handle " + std::to_string(v.i) + ">"; return;
    case Tag::kString:
      if (quote_strings) {
        AppendQuoted(out, AsString(v)->view());
      } else {
        out += AsString(v)->view();
      }
      return;
    case Tag::kArray: {
      if (depth >= kMaxDepth) { out += "..."; return; }
      const Array* a = AsArray(v);
      out += '[';
      for (uint32_t i = 0; i < a->size; ++i) {
        if (i) out += ", ";
        AppendDisplay(out, a->items[i], module, true, depth + 1);
      }
      out += ']';
      return;
    }
    case Tag::kMap: {
      if (depth >= kMaxDepth) { out += "..."; return; }
      const Map* m = AsMap(v);
      out += '{';
      bool first = true;
      for (uint32_t i = 0; i < m->used; ++i) {
        if (m->entries[i].key.tag == Tag::kNil) continue;
        if (!first) out += ", ";
        first = false;
        AppendDisplay(out, m->entries[i].key, module, true, depth + 1);
        out += ": ";
        AppendDisplay(out, m->entries[i].value, module, true, depth + 1);
      }
      out += '}';
      return;
    }
    case Tag::kFunction: {
      uint32_t f = AsClosure(v)->function;
      out += "<fn ";
      out += f < module.functions.size() ? module.functions[f].name : std::string("?");
      out += '>';
      return;
    }
    case Tag::kBox:
      out += "<box>";
      return;
  }
}

std::string DisplayString(const Value& v, const Module& module) {
  std::string out;
  AppendDisplay(out, v, module, false);
  return out;
}

}  // namespace trinity
