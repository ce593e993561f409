// URL percent-encoding (RFC 3986: everything but the unreserved A-Z a-z 0-9 - . _ ~ is
// escaped) and query strings: parse_query follows ngx.decode_args (a key without '=' is
// true, a repeated key collects its values in an array, '+' is a space), encode_query is
// its inverse.
#include <string>

#include "runtime/stdlib.h"
#include "runtime/stdlib_args.h"
#include "runtime/stdlib_meter.h"

namespace trinity {
namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int HexValue(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Long inputs go in chunks, so the output is metered (and the deadline checked) as it grows.
constexpr size_t kChunk = 64u << 10;

void AppendEncoded(OutputBuffer& out, std::string_view s) {
  for (size_t done = 0; done < s.size(); done += kChunk) {
    std::string_view chunk = s.substr(done, kChunk);
    out.Reserve(chunk.size() * 3);
    std::string& t = out.text();
    for (unsigned char c : chunk) {
      if (IsUnreserved(c)) {
        t.push_back(static_cast<char>(c));
      } else {
        t.push_back('%');
        t.push_back(kHexUpper[c >> 4]);
        t.push_back(kHexUpper[c & 15]);
      }
    }
    out.Meter();
  }
}

// %XX becomes its byte; a '%' not followed by two hex digits stays as it is (as browsers
// and ngx.unescape_uri do), and '+' becomes a space only in query strings.
void AppendDecoded(OutputBuffer& out, std::string_view s, bool plus_is_space) {
  out.Reserve(s.size());  // decoding never grows the text
  std::string& t = out.text();
  for (size_t i = 0; i < s.size(); ++i) {
    if ((i & (kChunk - 1)) == 0) out.Meter();
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '%' && s.size() - i >= 3) {
      int hi = HexValue(static_cast<unsigned char>(s[i + 1]));
      int lo = HexValue(static_cast<unsigned char>(s[i + 2]));
      if (hi >= 0 && lo >= 0) {
        t.push_back(static_cast<char>(hi << 4 | lo));
        i += 2;
        continue;
      }
    }
    t.push_back(plus_is_space && c == '+' ? ' ' : static_cast<char>(c));
  }
  out.Meter();
}

Value DecodedString(WorkMeter& meter, std::string_view s, bool plus_is_space) {
  OutputBuffer out(meter);
  AppendDecoded(out, s, plus_is_space);
  return out.Finish();
}

// Adds one decoded pair to the result: the first value as it is, a second one turns the
// entry into an array of both, later ones are appended.
void AddQueryValue(Instance::Impl& vm, Map* result, Value key, Value value) {
  Heap& heap = vm.heap;
  MapEntry* e = heap.MapFind(result, key);
  if (e == nullptr) {
    heap.MapSet(result, key, value);
  } else if (e->value.tag == Tag::kArray) {
    heap.ArrayPush(AsArray(e->value), value);
  } else {
    Array* both = heap.NewArray(2);
    both->items[0] = e->value;
    both->items[1] = value;
    both->size = 2;
    // MapFind's entry pointer may move if the map grows; NewArray does not touch the map.
    e->value = Value::Object(Tag::kArray, both);
  }
}

void AppendQueryPair(OutputBuffer& out, std::string_view key, const Value& v, const Module& mod) {
  if (v.tag == Tag::kBool && !v.b) return;
  if (v.tag == Tag::kNil) return;
  if (out.size() > 0) out.Append('&');
  AppendEncoded(out, key);
  if (v.tag == Tag::kBool) return;  // true: the bare key
  out.Append('=');
  if (v.tag == Tag::kString) {
    AppendEncoded(out, AsString(v)->view());
  } else if (v.tag == Tag::kInt || v.tag == Tag::kFloat) {
    AppendEncoded(out, DisplayString(v, &mod, 64));  // a number: at most 24 bytes
  } else {
    ThrowTrap(TrapKind::kTypeError, "url.encode_query(): value for key \"" + std::string(key.substr(0, 64)) +
                                        "\" is " + std::string(TypeName(v.tag)) +
                                        "; values must be strings, numbers, bools or arrays of them");
  }
}

}  // namespace

Value Library_kUrlEncode(Instance::Impl& vm, Value* args, int) {
  std::string_view s = StringArg("url.encode", args, 0);
  WorkMeter meter(vm, "url.encode");
  OutputBuffer out(meter);
  AppendEncoded(out, s);
  return out.Finish();
}

Value Library_kUrlDecode(Instance::Impl& vm, Value* args, int) {
  std::string_view s = StringArg("url.decode", args, 0);
  WorkMeter meter(vm, "url.decode");
  meter.Add(s.size());
  return DecodedString(meter, s, false);
}

Value Library_kUrlParseQuery(Instance::Impl& vm, Value* args, int) {
  std::string_view s = StringArg("url.parse_query", args, 0);
  if (!s.empty() && s.front() == '?') s.remove_prefix(1);
  WorkMeter meter(vm, "url.parse_query");
  Map* result = vm.heap.NewMap(0);
  size_t from = 0;
  while (from <= s.size()) {
    size_t amp = s.find('&', from);
    if (amp == std::string_view::npos) amp = s.size();
    std::string_view pair = s.substr(from, amp - from);
    meter.Add(pair.size() + 1);
    from = amp + 1;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    Value key = DecodedString(meter, pair.substr(0, eq), true);
    Value value = eq == std::string_view::npos ? Value::Bool(true)
                                               : DecodedString(meter, pair.substr(eq + 1), true);
    AddQueryValue(vm, result, key, value);
  }
  return Value::Object(Tag::kMap, result);
}

Value Library_kUrlEncodeQuery(Instance::Impl& vm, Value* args, int) {
  Map* m = MapArg("url.encode_query", args, 0);
  WorkMeter meter(vm, "url.encode_query");
  OutputBuffer out(meter);
  for (uint32_t i = 0; i < m->used; ++i) {
    const MapEntry& e = m->entries[i];
    if (e.key.tag == Tag::kNil) continue;
    if (e.key.tag != Tag::kString) {
      ThrowTrap(TrapKind::kTypeError, "url.encode_query(): keys must be strings, got " +
                                          std::string(TypeName(e.key.tag)));
    }
    std::string_view key = AsString(e.key)->view();
    if (e.value.tag == Tag::kArray) {
      const Array* a = AsArray(e.value);
      for (uint32_t j = 0; j < a->size; ++j) {
        if (a->items[j].tag == Tag::kArray) {
          ThrowTrap(TrapKind::kTypeError, "url.encode_query(): nested arrays cannot be encoded");
        }
        AppendQueryPair(out, key, a->items[j], *vm.module);
      }
    } else {
      AppendQueryPair(out, key, e.value, *vm.module);
    }
  }
  return out.Finish();
}

}  // namespace trinity
