// Value helpers shared by the interpreter and built-ins: type names, language equality and
// ordering, and the display form used by str() and print().
#include <charconv>
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

// Bytes AppendQuoted adds for `s`.
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

// Where display text goes: into a string, or only counted. Text is measured with
// LengthSink first and then written into a string reserved to exactly that length: a
// growing buffer would hold up to twice the text while it copies itself.
struct LengthSink {
  size_t size = 0;
  size_t max_bytes;
  void Need(size_t n) {
    if (n > max_bytes || size > max_bytes - n) TooLong(max_bytes);
  }
  void Add(std::string_view text) {
    Need(text.size());
    size += text.size();
  }
  void Add(char) { Add(std::string_view(" ", 1)); }
  void AddQuoted(std::string_view text) {
    size_t n = QuotedLength(text);
    Need(n);
    size += n;
  }
};

struct TextSink {
  std::string& out;
  void Add(std::string_view text) { out += text; }
  void Add(char c) { out += c; }
  void AddQuoted(std::string_view text) { AppendQuoted(out, text); }
};

// The language's str(), into either sink. Shared sub-containers print once per reference,
// so a small diamond-shaped structure can describe a huge text; the LengthSink pass stops
// that at max_bytes before anything is built.
template <typename Sink>
void Display(Sink& sink, const Value& v, const Module* module, bool quote_strings, int depth) {
  constexpr int kMaxDepth = 32;
  switch (v.tag) {
    case Tag::kNil: sink.Add("nil"); return;
    case Tag::kBool: sink.Add(v.b ? "true" : "false"); return;
    case Tag::kInt: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, v.i);
      sink.Add(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
      return;
    }
    case Tag::kFloat: {
      std::string text;
      AppendFloat(text, v.f);
      sink.Add(text);
      return;
    }
    case Tag::kHandle: sink.Add("<handle " + std::to_string(v.i) + ">"); return;
    case Tag::kString:
      if (quote_strings) {
        sink.AddQuoted(AsString(v)->view());
      } else {
        sink.Add(AsString(v)->view());
      }
      return;
    case Tag::kArray: {
      if (depth >= kMaxDepth) { sink.Add("..."); return; }
      const Array* a = AsArray(v);
      sink.Add('[');
      for (uint32_t i = 0; i < a->size; ++i) {
        if (i) sink.Add(", ");
        Display(sink, a->items[i], module, true, depth + 1);
      }
      sink.Add(']');
      return;
    }
    case Tag::kMap: {
      if (depth >= kMaxDepth) { sink.Add("..."); return; }
      const Map* m = AsMap(v);
      sink.Add('{');
      bool first = true;
      for (uint32_t i = 0; i < m->used; ++i) {
        if (m->entries[i].key.tag == Tag::kNil) continue;
        if (!first) sink.Add(", ");
        first = false;
        Display(sink, m->entries[i].key, module, true, depth + 1);
        sink.Add(": ");
        Display(sink, m->entries[i].value, module, true, depth + 1);
      }
      sink.Add('}');
      return;
    }
    case Tag::kFunction: {
      uint32_t f = AsClosure(v)->function;
      sink.Add("<fn ");
      sink.Add(module != nullptr && f < module->functions.size() ? std::string_view(module->functions[f].name)
                                                                 : std::string_view("?"));
      sink.Add('>');
      return;
    }
    case Tag::kBox:
      sink.Add("<box>");
      return;
  }
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

size_t DisplayLength(const Value& v, const Module* module, bool quote_strings, size_t max_bytes,
                     size_t already) {
  LengthSink length{already, max_bytes};
  Display(length, v, module, quote_strings, 0);
  return length.size - already;
}

void AppendDisplay(std::string& out, const Value& v, const Module* module, bool quote_strings,
                   size_t max_bytes) {
  // The text is a temporary the VM holds for the plugin outside its heap, so it may not
  // pass the heap limit (max_bytes); it is measured before it is built.
  LengthSink length{out.size(), max_bytes};
  Display(length, v, module, quote_strings, 0);
  out.reserve(length.size);
  TextSink text{out};
  Display(text, v, module, quote_strings, 0);
}

std::string DisplayString(const Value& v, const Module* module, size_t max_bytes) {
  std::string out;
  AppendDisplay(out, v, module, false, max_bytes);
  return out;
}

}  // namespace trinity
