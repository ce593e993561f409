// json.decode(s): simdjson's DOM parser validates the text and builds its tape; the tape is
// then turned into Trinity values on the instance heap (objects → maps in document order,
// arrays, ints for integers that fit int64, floats otherwise, null → nil). The parser's
// buffers (about 15 bytes per input byte) are charged to the heap limit while they exist:
// for the duration of the call, or — for small documents — kept in the instance for the
// next call. A malformed text traps with the byte offset FindJsonSyntaxError finds.
#include <simdjson.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>

#include "runtime/json_syntax.h"
#include "runtime/stdlib.h"
#include "runtime/stdlib_args.h"
#include "runtime/stdlib_meter.h"

namespace trinity {
namespace {

namespace dom = simdjson::dom;

// What simdjson allocates for a document of `capacity` bytes: structural indexes (4 bytes
// per byte), tape (8), string buffer (5/3), the padded copy of the input (1), plus fixed
// parts; rounded up.
size_t ParserBytes(size_t capacity) {
  constexpr size_t kMinimalCapacity = 32;  // simdjson's MINIMAL_DOCUMENT_CAPACITY
  if (capacity < kMinimalCapacity) capacity = kMinimalCapacity;
  return capacity * 15 + kJsonMaxDepth * 16 + 4096;
}

// A parser kept between calls while its buffers are small next to the heap limit, so
// decoding many small documents does not allocate and free them each time.
constexpr size_t kMaxKeptParserBytes = 1u << 20;

}  // namespace

struct JsonParserCache {
  JsonParserCache(Heap& h, size_t bytes) : heap(h), charge(bytes) {}
  ~JsonParserCache() { heap.ReleaseExternal(charge); }
  Heap& heap;
  size_t charge;
  size_t capacity = 0;
  dom::parser parser;
};

void JsonParserCacheDeleter::operator()(JsonParserCache* cache) const { delete cache; }

namespace {

[[noreturn]] void SyntaxError(std::string_view text, simdjson::error_code code) {
  if (code == simdjson::MEMALLOC) ThrowTrap(TrapKind::kOutOfMemory, "json.decode(): the parser could not allocate its buffers");
  std::optional<JsonSyntaxError> where = FindJsonSyntaxError(text);
  if (!where) {
    // The scanner and simdjson disagree: a bug the fuzz_json harness looks for. Still a
    // clean trap for the plugin.
    ThrowTrap(TrapKind::kError, std::string("json.decode(): ") + simdjson::error_message(code));
  }
  ThrowTrap(TrapKind::kError, "json.decode(): " + where->reason + " at byte offset " +
                                  std::to_string(where->offset));
}

class ValueBuilder {
 public:
  explicit ValueBuilder(WorkMeter& meter) : vm_(meter.vm()), heap_(vm_.heap), meter_(meter) {}

  // Object keys repeat (every record of an array has the same ones): each distinct short
  // key becomes one heap string, shared — strings are immutable — with its hash computed
  // once. A small direct-mapped table; a collision just allocates.
  Value Key(std::string_view key) {
    if (key.size() > kMaxInternedKey) return vm_.NewStringValue(key);
    uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
    Value& slot = keys_[h & (kKeySlots - 1)];
    if (slot.tag == Tag::kString && AsString(slot)->view() == key) return slot;
    slot = vm_.NewStringValue(key);
    return slot;
  }

  // Recursion is bounded by kJsonMaxDepth: the parser rejects deeper documents.
  Value Build(dom::element e) {
    // One unit of work per value on top of the bytes it allocates, so a document of many
    // tiny values checks the deadline as often as one of long strings.
    meter_.Add(sizeof(Value));
    switch (e.type()) {
      case dom::element_type::ARRAY: {
        dom::array a = e.get_array().value_unsafe();
        size_t n = a.size();
        if (n > (1u << 30)) ThrowTrap(TrapKind::kOutOfMemory, "json.decode(): array too large");
        // Not reachable from a root while it is filled: the collector runs only at
        // safepoints, never inside a built-in.
        Array* out = heap_.NewArray(static_cast<uint32_t>(n));
        for (dom::element item : a) {
          Value v = Build(item);
          if (out->size < out->capacity) {
            out->items[out->size++] = v;
          } else {
            heap_.ArrayPush(out, v);  // more than the tape's saturated count said
          }
        }
        return Value::Object(Tag::kArray, out);
      }
      case dom::element_type::OBJECT: {
        dom::object o = e.get_object().value_unsafe();
        size_t n = o.size();
        Map* out = heap_.NewMap(static_cast<uint32_t>(n < (1u << 28) ? n : 0));
        for (dom::key_value_pair field : o) {
          Value key = Key(field.key);
          meter_.Add(field.key.size());
          // A repeated key keeps its first position and takes the last value.
          heap_.MapSet(out, key, Build(field.value));
        }
        return Value::Object(Tag::kMap, out);
      }
      case dom::element_type::STRING: {
        std::string_view s = e.get_string().value_unsafe();
        meter_.Add(s.size());
        return vm_.NewStringValue(s);
      }
      case dom::element_type::INT64:
        return Value::Int(e.get_int64().value_unsafe());
      case dom::element_type::UINT64:
        return Value::Float(static_cast<double>(e.get_uint64().value_unsafe()));
      case dom::element_type::DOUBLE:
        return Value::Float(e.get_double().value_unsafe());
      case dom::element_type::BOOL:
        return Value::Bool(e.get_bool().value_unsafe());
      case dom::element_type::NULL_VALUE:
        return Value::Nil();
    }
    ThrowTrap(TrapKind::kInternal, "json.decode(): unknown element type");
  }

 private:
  static constexpr size_t kMaxInternedKey = 32;
  static constexpr size_t kKeySlots = 256;

  Instance::Impl& vm_;
  Heap& heap_;
  WorkMeter& meter_;
  Value keys_[kKeySlots] = {};  // all nil (tag 0)
};

}  // namespace

Value Library_kJsonDecode(Instance::Impl& vm, Value* args, int) {
  std::string_view text = StringArg("json.decode", args, 0);
  WorkMeter meter(vm, "json.decode");
  // The parse itself is one uninterruptible step: check the limits before it.
  meter.Add(text.size());
  meter.Check();
  dom::parser* parser = nullptr;
  size_t capacity = text.size() < 32 ? 32 : text.size();
  size_t bytes = ParserBytes(capacity);
  std::unique_ptr<JsonParserCache, JsonParserCacheDeleter>& kept = vm.library.json;
  HeapCharge charge(vm.heap);  // a parser for this call only
  std::optional<dom::parser> local;
  if (kept && kept->capacity >= capacity) {
    parser = &kept->parser;
  } else if (bytes <= std::min(kMaxKeptParserBytes, vm.heap.limit() / 16)) {
    kept.reset();
    vm.heap.ChargeExternal(bytes);
    kept.reset(new JsonParserCache(vm.heap, bytes));
    parser = &kept->parser;
    if (parser->allocate(capacity, kJsonMaxDepth) != simdjson::SUCCESS) {
      kept.reset();
      ThrowTrap(TrapKind::kOutOfMemory, "json.decode(): the parser could not allocate its buffers");
    }
    kept->capacity = capacity;
  } else {
    charge.Set(bytes);
    parser = &local.emplace();
    if (parser->allocate(capacity, kJsonMaxDepth) != simdjson::SUCCESS) {
      ThrowTrap(TrapKind::kOutOfMemory, "json.decode(): the parser could not allocate its buffers");
    }
  }
  dom::element root;
  simdjson::error_code code = parser->parse(text.data(), text.size(), /*realloc_if_needed=*/true).get(root);
  if (code != simdjson::SUCCESS) SyntaxError(text, code);
  ValueBuilder builder(meter);
  return builder.Build(root);
}

}  // namespace trinity
