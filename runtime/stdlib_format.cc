// format(fmt, ...): printf-style placeholders %[flags][width][.precision]verb with verbs
// d x X o b (ints), f e g (numbers), s (any value, as str() shows it) and %%. Width and
// precision are at most kMaxWidth, so each placeholder's output is bounded; the whole
// output is built in a charged buffer (stdlib_meter.h).
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>

#include "runtime/stdlib.h"
#include "runtime/stdlib_args.h"
#include "runtime/stdlib_meter.h"

namespace trinity {
namespace {

constexpr int kMaxWidth = 1000;

struct Spec {
  bool left = false, zero = false, plus = false, space = false;
  int width = 0;
  int precision = -1;  // -1: not given
  char verb = 0;
  size_t at = 0;       // offset of the '%' in the format, for messages
};

[[noreturn]] void FormatError(const Spec& spec, const std::string& what) {
  ThrowTrap(TrapKind::kError, "format(): " + what + " (placeholder at byte offset " +
                                  std::to_string(spec.at) + ")");
}

// Reads up to kMaxWidth from fmt at i; traps past it.
int ReadCount(std::string_view fmt, size_t& i, const Spec& spec, const char* what) {
  int n = 0;
  while (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') {
    n = n * 10 + (fmt[i] - '0');
    if (n > kMaxWidth) FormatError(spec, std::string(what) + " exceeds " + std::to_string(kMaxWidth));
    ++i;
  }
  return n;
}

Spec ParseSpec(std::string_view fmt, size_t& i) {
  Spec spec;
  spec.at = i;
  ++i;  // '%'
  for (; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '-') spec.left = true;
    else if (c == '0') spec.zero = true;
    else if (c == '+') spec.plus = true;
    else if (c == ' ') spec.space = true;
    else break;
  }
  spec.width = ReadCount(fmt, i, spec, "width");
  if (i < fmt.size() && fmt[i] == '.') {
    ++i;
    spec.precision = ReadCount(fmt, i, spec, "precision");
  }
  if (i >= fmt.size()) FormatError(spec, "unterminated placeholder");
  spec.verb = fmt[i++];
  return spec;
}

// Pads `body` (sign already split off into `sign`) to the width: spaces on the left or
// right, or zeros between the sign and the digits.
void Emit(OutputBuffer& out, const Spec& spec, std::string_view sign, std::string_view body,
          bool zero_ok) {
  size_t len = sign.size() + body.size();
  size_t pad = spec.width > 0 && static_cast<size_t>(spec.width) > len ? spec.width - len : 0;
  out.Reserve(len + pad);
  std::string& t = out.text();
  if (spec.left) {
    t.append(sign).append(body).append(pad, ' ');
  } else if (spec.zero && zero_ok) {
    t.append(sign).append(pad, '0').append(body);
  } else {
    t.append(pad, ' ').append(sign).append(body);
  }
  out.Meter();
}

std::string_view SignFor(const Spec& spec, bool negative) {
  if (negative) return "-";
  if (spec.plus) return "+";
  if (spec.space) return " ";
  return "";
}

void FormatInt(OutputBuffer& out, const Spec& spec, const Value& v) {
  if (v.tag != Tag::kInt) {
    FormatError(spec, std::string("%") + spec.verb + " needs an int, got " + std::string(TypeName(v.tag)));
  }
  int base = spec.verb == 'd' ? 10 : spec.verb == 'o' ? 8 : spec.verb == 'b' ? 2 : 16;
  bool negative = v.i < 0;
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(v.i) : static_cast<uint64_t>(v.i);
  char digits[80];
  auto r = std::to_chars(digits, digits + sizeof digits, magnitude, base);
  std::string body(digits, r.ptr);
  if (spec.verb == 'X') {
    for (char& c : body) c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 32 : c);
  }
  // Precision is the minimum number of digits, as in C; it turns zero padding off.
  if (spec.precision >= 0 && body.size() < static_cast<size_t>(spec.precision)) {
    body.insert(0, spec.precision - body.size(), '0');
  }
  Emit(out, spec, SignFor(spec, negative), body, spec.precision < 0);
}

void FormatFloat(OutputBuffer& out, const Spec& spec, const Value& v) {
  double f;
  if (v.tag == Tag::kInt) {
    f = static_cast<double>(v.i);
  } else if (v.tag == Tag::kFloat) {
    f = v.f;
  } else {
    FormatError(spec, std::string("%") + spec.verb + " needs a number, got " + std::string(TypeName(v.tag)));
  }
  bool negative = std::signbit(f) && !std::isnan(f);
  if (!std::isfinite(f)) {
    // Spelled as str() spells them; zero padding would make them look like numbers.
    Emit(out, spec, SignFor(spec, negative), std::isnan(f) ? "nan" : "inf", false);
    return;
  }
  int precision = spec.precision < 0 ? 6 : spec.precision;
  std::chars_format format = spec.verb == 'f'   ? std::chars_format::fixed
                             : spec.verb == 'e' ? std::chars_format::scientific
                                                : std::chars_format::general;
  // 309 integer digits of the largest double, the precision, sign, point and exponent.
  char digits[kMaxWidth + 400];
  auto r = std::to_chars(digits, digits + sizeof digits, std::fabs(f), format, precision);
  Emit(out, spec, SignFor(spec, negative), std::string_view(digits, static_cast<size_t>(r.ptr - digits)), true);
}

void FormatString(OutputBuffer& out, const Spec& spec, const Value& v, Instance::Impl& vm) {
  std::string shown;
  std::string_view body;
  // The text of a non-string lives outside the heap until it is copied into the output:
  // measured first (a container shared many times over can describe far more text than it
  // occupies), charged to the heap limit, then built once at its final size — the rule
  // str() follows (value.cc).
  HeapCharge charge(vm.heap);
  if (v.tag == Tag::kString) {
    body = AsString(v)->view();
  } else {
    size_t length = DisplayLength(v, vm.module.get(), false, vm.heap.limit());
    charge.Set(length);
    shown.reserve(length);
    AppendDisplay(shown, v, vm.module.get(), false, length);
    out.meter().Add(length);
    body = shown;
  }
  if (spec.precision >= 0 && body.size() > static_cast<size_t>(spec.precision)) {
    body = body.substr(0, static_cast<size_t>(spec.precision));
  }
  Emit(out, spec, "", body, false);
}

}  // namespace

Value Library_kFormat(Instance::Impl& vm, Value* args, int argc) {
  std::string_view fmt = StringArg("format", args, 0);
  WorkMeter meter(vm, "format");
  OutputBuffer out(meter);
  int next = 1;
  size_t i = 0;
  while (i < fmt.size()) {
    size_t pct = fmt.find('%', i);
    if (pct == std::string_view::npos) pct = fmt.size();
    out.Append(fmt.substr(i, pct - i));
    i = pct;
    if (i == fmt.size()) break;
    if (i + 1 < fmt.size() && fmt[i + 1] == '%') {
      out.Append('%');
      i += 2;
      continue;
    }
    Spec spec = ParseSpec(fmt, i);
    if (std::strchr("dxXobfegs", spec.verb) == nullptr || spec.verb == 0) {
      FormatError(spec, std::string("unknown verb '") + spec.verb + "'");
    }
    if (next >= argc) FormatError(spec, "not enough arguments");
    const Value& v = args[next++];
    switch (spec.verb) {
      case 'f': case 'e': case 'g': FormatFloat(out, spec, v); break;
      case 's': FormatString(out, spec, v, vm); break;
      default: FormatInt(out, spec, v); break;
    }
  }
  if (next < argc) {
    ThrowTrap(TrapKind::kError, "format(): " + std::to_string(argc - 1) +
                                    " arguments given but the format uses " + std::to_string(next - 1));
  }
  return out.Finish();
}

}  // namespace trinity
