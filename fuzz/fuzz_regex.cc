// libFuzzer target: arbitrary bytes as a regular expression and a subject (the first byte
// gives the pattern's length), run through every re.* function in a plugin under the fuzz
// limits. Checks that a bad pattern traps as `error` with RE2's message, and that match,
// find, find_all, gsub and split agree with each other about where the matches are.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/checked_run.h"
#include "fuzz/invariants.h"

namespace {

using trinity::HostValue;
using trinity::TrapKind;
using trinity::fuzz::InvariantFailed;

// [matched, found, all matches (whole), pieces, replaced]
constexpr std::string_view kPlugin = R"(
export fn run(s, p) {
  let matched = re.match(s, p)
  let found = re.find(s, p)
  let whole = []
  for m in re.find_all(s, p) { push(whole, m[0]) }
  let pieces = re.split(s, p)
  let replaced = re.gsub(s, p, "<\\0>")
  return [matched, found, whole, pieces, replaced]
}
)";

bool IsLimit(TrapKind kind) { return kind == TrapKind::kFuelExhausted || kind == TrapKind::kOutOfMemory; }

void CheckAgreement(std::string_view s, const HostValue& result) {
  const HostValue& matched = result.items[0];
  const HostValue& found = result.items[1];
  const std::vector<HostValue>& whole = result.items[2].items;
  const std::vector<HostValue>& pieces = result.items[3].items;
  const std::string& replaced = result.items[4].s;
  if (matched.b != (found.type != HostValue::Type::kNil)) InvariantFailed("re.match and re.find disagree");
  if (matched.b != !whole.empty()) InvariantFailed("re.match and re.find_all disagree");
  if (!whole.empty() && found.entries[0].second.s != whole[0].s) {
    InvariantFailed("re.find and the first of re.find_all differ", found.entries[0].second.s + " vs " + whole[0].s);
  }
  if (pieces.size() != whole.size() + 1) InvariantFailed("re.split has not one piece more than there are matches");
  // The pieces around the matches rebuild the subject; gsub wraps each match in place.
  std::string rebuilt, wrapped;
  for (size_t i = 0; i < pieces.size(); ++i) {
    rebuilt += pieces[i].s;
    wrapped += pieces[i].s;
    if (i < whole.size()) {
      rebuilt += whole[i].s;
      wrapped += "<" + whole[i].s + ">";
    }
  }
  if (rebuilt != s) InvariantFailed("split pieces and matches do not rebuild the subject");
  if (wrapped != replaced) InvariantFailed("re.gsub disagrees with re.split and re.find_all", replaced);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<const trinity::Module> module = trinity::fuzz::CompileChecked(kPlugin);
  if (!module) InvariantFailed("the fuzz_regex plugin does not compile");
  if (size == 0) return 0;
  size_t pattern_len = data[0] < size - 1 ? data[0] : size - 1;
  std::string pattern(reinterpret_cast<const char*>(data + 1), pattern_len);
  std::string subject(reinterpret_cast<const char*>(data + 1 + pattern_len), size - 1 - pattern_len);

  trinity::fuzz::CountingMemoryProvider memory;
  {
    trinity::InstanceOptions options;
    options.limits = trinity::fuzz::FuzzLimits();
    options.memory = &memory;
    auto instance = trinity::Instance::Create(module, {}, options);
    if (!instance.ok()) InvariantFailed("cannot instantiate the fuzz_regex plugin", instance.error());
    trinity::Instance& inst = *instance.value();
    HostValue args[] = {HostValue::String(subject), HostValue::String(pattern)};
    auto r = inst.Call("run", args);
    trinity::fuzz::CheckCallOutcome(inst, r, "run");
    if (r.ok()) {
      CheckAgreement(subject, r.value());
    } else if (r.error().kind == TrapKind::kError) {
      if (r.error().message.rfind("re.match(): invalid pattern: ", 0) != 0) {
        InvariantFailed("a regex error other than a bad pattern", r.error().message);
      }
    } else if (!IsLimit(r.error().kind)) {
      InvariantFailed("regex functions trapped with an unexpected kind", r.error().ToString());
    }
  }
  if (memory.outstanding_bytes() != 0) InvariantFailed("the instance did not return all its memory");
  return 0;
}
