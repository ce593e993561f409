// String built-ins for request work that the core set lacked: split() with a limit
// ("Bearer <token>", "k=v=w"), trim()/ltrim()/rtrim() of chosen bytes (quotes, slashes),
// rfind() (extensions, last path segment), iequals() (header names). All linear-time.
#include <algorithm>
#include <cstring>
#include <string>

#include "runtime/stdlib.h"
#include "runtime/stdlib_args.h"
#include "runtime/stdlib_meter.h"

namespace trinity {
namespace {

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

}  // namespace

size_t FindBytes(std::string_view haystack, std::string_view needle, size_t from) {
  if (from > haystack.size()) return std::string_view::npos;
  if (needle.empty()) return from;
  const void* p = memmem(haystack.data() + from, haystack.size() - from, needle.data(), needle.size());
  if (p == nullptr) return std::string_view::npos;
  return static_cast<size_t>(static_cast<const char*>(p) - haystack.data());
}

Value SplitString(Instance::Impl& vm, std::string_view s, std::string_view sep, int64_t limit) {
  if (sep.empty()) ThrowTrap(TrapKind::kError, "split(): separator must not be empty");
  if (limit == 0 || limit < -1) ThrowTrap(TrapKind::kError, "split(): limit must be at least 1");
  WorkMeter meter(vm, "split");
  Heap& heap = vm.heap;
  // The result array is not reachable from a root while it is filled; the collector only
  // runs at safepoints, never inside a built-in, so that is safe.
  Array* out = heap.NewArray(0);
  size_t from = 0;
  for (;;) {
    size_t at = limit == 1 ? std::string_view::npos : FindBytes(s, sep, from);
    if (at == std::string_view::npos) {
      meter.Add(s.size() - from);
      heap.ArrayPush(out, vm.NewStringValue(s.substr(from)));
      break;
    }
    meter.Add(at + sep.size() - from);
    heap.ArrayPush(out, vm.NewStringValue(s.substr(from, at - from)));
    from = at + sep.size();
    if (limit > 0) --limit;
  }
  return Value::Object(Tag::kArray, out);
}

Value TrimString(Instance::Impl& vm, const Value& arg, const Value* chars, bool left, bool right,
                 std::string_view fn) {
  std::string_view s = StringArg(fn, &arg, 0);
  bool strip[256] = {};
  if (chars == nullptr) {
    for (int c = 0; c < 256; ++c) strip[c] = IsAsciiSpace(static_cast<char>(c));
  } else {
    if (chars->tag != Tag::kString) ArgTypeError(fn, 1, "a string", *chars);
    for (unsigned char c : AsString(*chars)->view()) strip[c] = true;
  }
  while (left && !s.empty() && strip[static_cast<unsigned char>(s.front())]) s.remove_prefix(1);
  while (right && !s.empty() && strip[static_cast<unsigned char>(s.back())]) s.remove_suffix(1);
  if (s.size() == AsString(arg)->length) return arg;
  return vm.NewStringValue(s);
}

Value Library_kLtrim(Instance::Impl& vm, Value* args, int argc) {
  return TrimString(vm, args[0], argc == 2 ? &args[1] : nullptr, true, false, "ltrim");
}

Value Library_kRtrim(Instance::Impl& vm, Value* args, int argc) {
  return TrimString(vm, args[0], argc == 2 ? &args[1] : nullptr, false, true, "rtrim");
}

Value Library_kRfind(Instance::Impl& vm, Value* args, int) {
  std::string_view s = StringArg("rfind", args, 0);
  std::string_view sub = StringArg("rfind", args, 1);
  if (sub.size() > s.size()) return Value::Int(-1);
  if (sub.empty()) return Value::Int(static_cast<int64_t>(s.size()));
  WorkMeter meter(vm, "rfind");
  meter.Add(s.size());
  // The last occurrence is the first one in the reversed strings: one linear memmem
  // instead of a backward scan, which is quadratic on inputs like "aaaa...".
  HeapCharge charge(vm.heap);
  charge.Set(s.size() + sub.size());
  std::string hay(s.rbegin(), s.rend()), needle(sub.rbegin(), sub.rend());
  size_t at = FindBytes(hay, needle, 0);
  if (at == std::string_view::npos) return Value::Int(-1);
  return Value::Int(static_cast<int64_t>(s.size() - at - sub.size()));
}

Value Library_kIequals(Instance::Impl& vm, Value* args, int) {
  std::string_view a = StringArg("iequals", args, 0);
  std::string_view b = StringArg("iequals", args, 1);
  if (a.size() != b.size()) return Value::Bool(false);
  WorkMeter meter(vm, "iequals");
  meter.Add(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return Value::Bool(false);
  }
  return Value::Bool(true);
}

}  // namespace trinity
