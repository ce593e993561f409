// Parser for the `// expect...` header of conformance programs (format in README.md).
// Only the leading block of comment and blank lines is read; the program body may
// contain any comments it likes.
#include "tests/conformance/expectations.h"

#include <charconv>
#include <chrono>

namespace trinity::conformance {
namespace {

bool ParseUint(std::string_view text, uint64_t* out) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// "<line>:<col>: <substring>"
bool ParseCompileError(std::string_view text, ExpectedCompileError* out) {
  size_t c1 = text.find(':');
  if (c1 == std::string_view::npos) return false;
  size_t c2 = text.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return false;
  uint64_t line = 0, col = 0;
  if (!ParseUint(text.substr(0, c1), &line) || !ParseUint(text.substr(c1 + 1, c2 - c1 - 1), &col)) {
    return false;
  }
  out->line = static_cast<uint32_t>(line);
  out->col = static_cast<uint32_t>(col);
  out->substring = std::string(Trim(text.substr(c2 + 1)));
  return true;
}

Result<Unit, std::string> ParseLimits(std::string_view text, Limits* limits) {
  text = Trim(text);
  while (!text.empty()) {
    size_t end = text.find(' ');
    std::string_view item = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : Trim(text.substr(end));
    size_t eq = item.find('=');
    uint64_t v = 0;
    if (eq == std::string_view::npos || !ParseUint(item.substr(eq + 1), &v)) {
      return Err(std::string("bad limits item: ") + std::string(item));
    }
    std::string_view key = item.substr(0, eq);
    if (key == "fuel") {
      limits->fuel = v;
    } else if (key == "heap") {
      limits->max_heap_bytes = static_cast<size_t>(v);
    } else if (key == "depth") {
      limits->max_depth = static_cast<uint32_t>(v);
    } else if (key == "timeout_ms") {
      limits->timeout = std::chrono::milliseconds(v);
    } else {
      return Err(std::string("unknown limit: ") + std::string(key));
    }
  }
  return Unit{};
}

}  // namespace

std::string Expectations::ExpectedOutput() const {
  std::string out;
  for (const std::string& line : output_lines) {
    out += line;
    out += '\n';
  }
  return out;
}

Limits DefaultConformanceLimits() {
  Limits limits;
  limits.fuel = 50'000'000;
  limits.max_heap_bytes = 64u << 20;
  limits.max_depth = 200;
  limits.timeout = std::chrono::milliseconds(10'000);
  return limits;
}

Result<Expectations, std::string> ParseExpectations(std::string_view source) {
  Expectations ex;
  ex.limits = DefaultConformanceLimits();
  size_t pos = 0;
  int line_no = 0;
  while (pos < source.size()) {
    size_t nl = source.find('\n', pos);
    std::string_view line = source.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? source.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string_view trimmed = Trim(line);
    if (trimmed.empty()) continue;
    if (trimmed.substr(0, 2) != "//") break;  // end of the header block
    std::string_view body = trimmed.substr(2);
    if (!body.empty() && body.front() == ' ') body.remove_prefix(1);
    auto where = [&] { return "line " + std::to_string(line_no) + ": "; };

    // `// expect:` keeps everything after "expect: " verbatim (one separating space),
    // so expected lines may carry meaningful leading spaces.
    if (body.substr(0, 7) == "expect:") {
      std::string_view rest = line.substr(line.find("expect:") + 7);
      if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      ex.output_lines.emplace_back(rest);
    } else if (body.substr(0, 12) == "expect-trap:") {
      ex.trap_kind = std::string(Trim(body.substr(12)));
    } else if (body.substr(0, 17) == "expect-trap-line:") {
      uint64_t v = 0;
      if (!ParseUint(Trim(body.substr(17)), &v)) return Err(where() + "bad expect-trap-line");
      ex.trap_line = static_cast<uint32_t>(v);
    } else if (body.substr(0, 20) == "expect-trap-message:") {
      ex.trap_message = std::string(Trim(body.substr(20)));
    } else if (body.substr(0, 13) == "expect-error:") {
      ExpectedCompileError e;
      if (!ParseCompileError(Trim(body.substr(13)), &e)) return Err(where() + "bad expect-error");
      ex.compile_errors.push_back(std::move(e));
    } else if (body.substr(0, 7) == "limits:") {
      auto r = ParseLimits(body.substr(7), &ex.limits);
      if (!r.ok()) return Err(where() + r.error());
    } else if (body.substr(0, 6) == "expect" || body.substr(0, 6) == "limits") {
      return Err(where() + "unknown directive: " + std::string(body));
    }
  }
  if (!ex.compile_errors.empty() && (ex.trap_kind || !ex.output_lines.empty())) {
    return Err(std::string("expect-error cannot be combined with expect/expect-trap"));
  }
  if ((ex.trap_line || ex.trap_message) && !ex.trap_kind) {
    return Err(std::string("expect-trap-line/-message need expect-trap"));
  }
  return ex;
}

}  // namespace trinity::conformance
