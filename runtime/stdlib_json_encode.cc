// json.encode(v): compact JSON text for nil, bools, numbers, strings, arrays and maps with
// string keys (in insertion order). Floats use AppendFloat, the rule str() uses, so a float
// always reads back as a float; NaN and infinities, non-string keys, functions, handles,
// invalid UTF-8, cycles and nesting deeper than kJsonMaxDepth trap.
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "runtime/json_syntax.h"
#include "runtime/stdlib.h"
#include "runtime/stdlib_meter.h"

namespace trinity {
namespace {

class JsonWriter {
 public:
  explicit JsonWriter(WorkMeter& meter) : out_(meter) {}

  void Write(const Value& v, size_t depth) {
    switch (v.tag) {
      case Tag::kNil: out_.Append("null"); return;
      case Tag::kBool: out_.Append(v.b ? "true" : "false"); return;
      case Tag::kInt: {
        char buf[24];
        auto r = std::to_chars(buf, buf + sizeof buf, v.i);
        out_.Append(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
        return;
      }
      case Tag::kFloat: {
        if (!std::isfinite(v.f)) {
          std::string shown;
          AppendFloat(shown, v.f);
          Fail(TrapKind::kTypeError, shown + " has no JSON representation");
        }
        scratch_.clear();
        AppendFloat(scratch_, v.f);
        out_.Append(scratch_);
        return;
      }
      case Tag::kString: WriteString(AsString(v)->view()); return;
      case Tag::kArray: {
        const Array* a = AsArray(v);
        Enter(a, depth);
        out_.Append('[');
        for (uint32_t i = 0; i < a->size; ++i) {
          if (i) out_.Append(',');
          Write(a->items[i], depth + 1);
        }
        out_.Append(']');
        Leave();
        return;
      }
      case Tag::kMap: {
        const Map* m = AsMap(v);
        Enter(m, depth);
        out_.Append('{');
        bool first = true;
        for (uint32_t i = 0; i < m->used; ++i) {
          const MapEntry& e = m->entries[i];
          if (e.key.tag == Tag::kNil) continue;  // removed
          if (e.key.tag != Tag::kString) {
            Fail(TrapKind::kTypeError, "map key of type " + std::string(TypeName(e.key.tag)) +
                                           "; JSON object keys must be strings");
          }
          if (!first) out_.Append(',');
          first = false;
          WriteString(AsString(e.key)->view());
          out_.Append(':');
          Write(e.value, depth + 1);
        }
        out_.Append('}');
        Leave();
        return;
      }
      default:
        Fail(TrapKind::kTypeError, "a " + std::string(TypeName(v.tag)) + " has no JSON representation");
    }
  }

  Value Finish() { return out_.Finish(); }

 private:
  [[noreturn]] void Fail(TrapKind kind, const std::string& what) {
    ThrowTrap(kind, "json.encode(): " + what);
  }

  // Containers being written, innermost last: meeting one again is a cycle. The list is
  // at most kJsonMaxDepth long.
  void Enter(const Obj* container, size_t depth) {
    if (depth >= kJsonMaxDepth) {
      Fail(TrapKind::kError, "nesting deeper than " + std::to_string(kJsonMaxDepth) + " levels");
    }
    if (std::find(open_.begin(), open_.end(), container) != open_.end()) {
      Fail(TrapKind::kError, "the value contains a cycle (a container inside itself)");
    }
    open_.push_back(container);
  }
  void Leave() { open_.pop_back(); }

  void WriteString(std::string_view s) {
    out_.Append('"');
    // In chunks, so a long string is metered (and the deadline checked) as it is written.
    constexpr size_t kChunk = 16u << 10;
    for (size_t done = 0; done < s.size();) {
      size_t n = std::min(kChunk, s.size() - done);
      // A chunk boundary must not split a UTF-8 sequence: move it back to a lead byte.
      if (done + n < s.size()) {
        size_t back = 0;
        while (back < 3 && n - back > 0 && (static_cast<unsigned char>(s[done + n - back]) & 0xC0) == 0x80) ++back;
        n -= back;
      }
      WriteChunk(s.substr(done, n));
      done += n;
    }
    out_.Append('"');
  }

  void WriteChunk(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out_.Reserve(s.size() * 6);  // worst case: every byte becomes \u00XX
    std::string& t = out_.text();
    size_t run = 0;  // start of the bytes not copied yet
    bool ascii = true;
    for (size_t i = 0; i < s.size(); ++i) {
      auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x80) ascii = false;
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      t.append(s.data() + run, i - run);
      run = i + 1;
      switch (c) {
        case '"': t.append("\\\""); break;
        case '\\': t.append("\\\\"); break;
        case '\n': t.append("\\n"); break;
        case '\r': t.append("\\r"); break;
        case '\t': t.append("\\t"); break;
        case '\b': t.append("\\b"); break;
        case '\f': t.append("\\f"); break;
        default:
          t.append("\\u00");
          t.push_back(kHex[c >> 4]);
          t.push_back(kHex[c & 15]);
      }
    }
    t.append(s.data() + run, s.size() - run);
    // Only non-ASCII text needs the UTF-8 check; the partial output of a failed check is
    // thrown away with the trap.
    if (!ascii && !simdjson::validate_utf8(s.data(), s.size())) {
      Fail(TrapKind::kError, "string is not valid UTF-8 (encode binary data with base64 first)");
    }
    out_.Meter();
  }

  OutputBuffer out_;
  std::vector<const Obj*> open_;
  std::string scratch_;
};

}  // namespace

Value Library_kJsonEncode(Instance::Impl& vm, Value* args, int) {
  WorkMeter meter(vm, "json.encode");
  JsonWriter writer(meter);
  writer.Write(args[0], 0);
  return writer.Finish();
}

}  // namespace trinity
