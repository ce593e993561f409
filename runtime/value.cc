// Value helpers shared by the interpreter and built-ins: type names, language equality and
// ordering, and the display form used by str() and print().
#include <cstring>

#include "runtime/interpreter.h"
#include "runtime/numbers.h"
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
    // Exact: 2^53 + 1 is not 2^53 as a float, though converting it to a double says so.
    if (a.tag == Tag::kInt && b.tag == Tag::kFloat) return CompareIntFloat(a.i, b.f) == 0;
    if (a.tag == Tag::kFloat && b.tag == Tag::kInt) return CompareIntFloat(b.i, a.f) == 0;
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

int CompareValues(const char* op, const Value& a, const Value& b) {
  if (a.tag == Tag::kInt && b.tag == Tag::kInt) return (a.i > b.i) - (a.i < b.i);
  if (a.tag == Tag::kFloat && b.tag == Tag::kFloat) return CompareFloats(a.f, b.f);
  if (a.tag == Tag::kInt && b.tag == Tag::kFloat) return CompareIntFloat(a.i, b.f);
  if (a.tag == Tag::kFloat && b.tag == Tag::kInt) {
    int c = CompareIntFloat(b.i, a.f);
    return c == kUnordered ? c : -c;
  }
  if (a.tag == Tag::kString && b.tag == Tag::kString) {
    int c = AsString(a)->view().compare(AsString(b)->view());
    return (c > 0) - (c < 0);
  }
  ThrowTrap(TrapKind::kTypeError, std::string("cannot apply '") + op + "' to " +
                                      std::string(TypeName(a.tag)) + " and " +
                                      std::string(TypeName(b.tag)));
}

namespace {

// Bytes AppendQuoted adds for `s`: measured first, so the text never grows past its cap.
size_t QuotedLength(std::string_view s) {
  size_t n = 2;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\' || c == '\n' || c == '\t' || c == '\r' || c == '\0') {
      n += 2;
    } else {
      n += (c < 0x20 || c >= 0x7f) ? 4 : 1;
    }
  }
  return n;
}

[[noreturn]] void TooLong(size_t max_bytes) {
  ThrowTrap(TrapKind::kOutOfMemory, "string form longer than " + std::to_string(max_bytes) +
                                        " bytes (the heap limit)");
}

// Throws unless `length` more bytes fit under the cap.
void CheckRoom(const std::string& out, size_t length, size_t max_bytes) {
  if (length > max_bytes || out.size() > max_bytes - length) TooLong(max_bytes);
}

}  // namespace

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

void AppendDisplay(std::string& out, const Value& v, const Module* module, bool quote_strings,
                   size_t max_bytes, int depth) {
  constexpr int kMaxDepth = 32;
  // The text is a temporary the VM holds for the plugin outside its heap, so it may not
  // pass the heap limit (max_bytes); shared sub-containers print once per reference, so
  // without the cap a small diamond-shaped structure could expand exponentially. Strings
  // are measured before they are appended; everything else is a few bytes, checked at
  // the next element.
  if (out.size() > max_bytes) TooLong(max_bytes);
  switch (v.tag) {
    case Tag::kNil: out += "nil"; return;
    case Tag::kBool: out += v.b ? "true" : "false"; return;
    case Tag::kInt: out += std::to_string(v.i); return;
    case Tag::kFloat: AppendFloat(out, v.f); return;
    case Tag::kHandle: out += "<handle " + std::to_string(v.i) + ">"; return;
    case Tag::kString: {
      std::string_view s = AsString(v)->view();
      if (quote_strings) {
        CheckRoom(out, QuotedLength(s), max_bytes);
        AppendQuoted(out, s);
      } else {
        CheckRoom(out, s.size(), max_bytes);
        out += s;
      }
      return;
    }
    case Tag::kArray: {
      if (depth >= kMaxDepth) { out += "..."; return; }
      const Array* a = AsArray(v);
      out += '[';
      for (uint32_t i = 0; i < a->size; ++i) {
        if (i) out += ", ";
        AppendDisplay(out, a->items[i], module, true, max_bytes, depth + 1);
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
        AppendDisplay(out, m->entries[i].key, module, true, max_bytes, depth + 1);
        out += ": ";
        AppendDisplay(out, m->entries[i].value, module, true, max_bytes, depth + 1);
      }
      out += '}';
      return;
    }
    case Tag::kFunction: {
      uint32_t f = AsClosure(v)->function;
      std::string_view name = "?";
      if (module != nullptr && f < module->functions.size()) name = module->functions[f].name;
      CheckRoom(out, name.size() + 5, max_bytes);
      out += "<fn ";
      out += name;
      out += '>';
      return;
    }
    case Tag::kBox:
      out += "<box>";
      return;
  }
}

std::string DisplayString(const Value& v, const Module* module, size_t max_bytes) {
  std::string out;
  AppendDisplay(out, v, module, false, max_bytes);
  return out;
}

}  // namespace trinity
