// libFuzzer target: arbitrary bytes as the text a plugin hands to json.decode, under the
// fuzz limits. Checks that FindJsonSyntaxError (the byte-offset finder) and simdjson agree
// on every input, that malformed text traps as `error` naming a byte offset, that every
// decoded value encodes again, and that encode(decode(text)) is a fixed point.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/checked_run.h"
#include "fuzz/invariants.h"
#include "runtime/json_syntax.h"

namespace {

using trinity::HostValue;
using trinity::TrapKind;
using trinity::fuzz::InvariantFailed;

constexpr std::string_view kPlugin = R"(
export fn round(s) { return json.encode(json.decode(s)) }
)";

// simdjson configured as json.decode configures it.
bool SimdjsonAccepts(std::string_view text) {
  simdjson::dom::parser parser;
  if (parser.allocate(text.size() < 32 ? 32 : text.size(), trinity::kJsonMaxDepth) != simdjson::SUCCESS) {
    InvariantFailed("simdjson could not allocate for a fuzz input");
  }
  simdjson::dom::element root;
  return parser.parse(text.data(), text.size(), true).get(root) == simdjson::SUCCESS;
}

bool IsLimit(TrapKind kind) { return kind == TrapKind::kFuelExhausted || kind == TrapKind::kOutOfMemory; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<const trinity::Module> module = trinity::fuzz::CompileChecked(kPlugin);
  if (!module) InvariantFailed("the fuzz_json plugin does not compile");
  std::string_view text(reinterpret_cast<const char*>(data), size);

  std::optional<trinity::JsonSyntaxError> syntax = trinity::FindJsonSyntaxError(text);
  if (syntax.has_value() == SimdjsonAccepts(text)) {
    InvariantFailed(syntax ? "simdjson accepts what FindJsonSyntaxError rejects"
                           : "simdjson rejects what FindJsonSyntaxError accepts",
                    syntax ? syntax->reason : std::string());
  }

  trinity::fuzz::CountingMemoryProvider memory;
  {
    trinity::InstanceOptions options;
    options.limits = trinity::fuzz::FuzzLimits();
    options.memory = &memory;
    options.print = [](std::string_view) {};
    auto instance = trinity::Instance::Create(module, {}, options);
    if (!instance.ok()) InvariantFailed("cannot instantiate the fuzz_json plugin", instance.error());
    trinity::Instance& inst = *instance.value();

    HostValue arg[] = {HostValue::String(std::string(text))};
    auto first = inst.Call("round", arg);
    trinity::fuzz::CheckCallOutcome(inst, first, "round(input)");
    if (!first.ok()) {
      const trinity::Trap& trap = first.error();
      if (trap.kind == TrapKind::kError) {
        if (!syntax) InvariantFailed("a valid document did not decode and encode again", trap.message);
        if (trap.message.find("at byte offset " + std::to_string(syntax->offset)) == std::string::npos) {
          InvariantFailed("a decode error does not name the scanner's byte offset", trap.message);
        }
      } else if (!IsLimit(trap.kind)) {
        InvariantFailed("json round trip trapped with an unexpected kind", trap.ToString());
      }
    } else {
      if (syntax) InvariantFailed("json.decode accepted malformed text", syntax->reason);
      const std::string& encoded = first.value().s;
      HostValue again[] = {HostValue::String(encoded)};
      auto second = inst.Call("round", again);
      trinity::fuzz::CheckCallOutcome(inst, second, "round(encoded)");
      if (second.ok() && second.value().s != encoded) {
        InvariantFailed("encode(decode(text)) is not a fixed point", encoded + " became " + second.value().s);
      }
      if (!second.ok() && !IsLimit(second.error().kind)) {
        InvariantFailed("re-decoding encoder output failed", second.error().ToString());
      }
    }
  }
  if (memory.outstanding_bytes() != 0) InvariantFailed("the instance did not return all its memory");
  return 0;
}
