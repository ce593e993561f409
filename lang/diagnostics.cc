// Error collection and rendering for the compiler (diagnostics.h). Rendering must cope
// with positions past the end of the source or of a line: errors at end of file point
// one byte past the last character.
#include "lang/diagnostics.h"

#include <algorithm>
#include <string>

namespace trinity::lang {
namespace {

constexpr size_t kMaxShownColumns = 160;

// The text of 1-based `line` without its newline; empty if the source is shorter.
std::string_view LineText(std::string_view source, uint32_t line) {
  size_t start = 0;
  for (uint32_t l = 1; l < line; ++l) {
    size_t nl = source.find('\n', start);
    if (nl == std::string_view::npos) return {};
    start = nl + 1;
  }
  size_t end = source.find('\n', start);
  if (end == std::string_view::npos) end = source.size();
  std::string_view text = source.substr(start, end - start);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  return text;
}

}  // namespace

void Diagnostics::Error(uint32_t line, uint32_t col, std::string message) {
  if (full()) return;
  errors_.push_back(CompileError{file_, line, col, std::move(message)});
}

std::string FormatCompileErrors(const std::vector<CompileError>& errors, std::string_view source) {
  std::string out;
  for (const CompileError& e : errors) {
    out += e.file + ":" + std::to_string(e.line) + ":" + std::to_string(e.col) +
           ": error: " + e.message + "\n";
    if (e.line == 0) continue;
    std::string number = std::to_string(e.line);
    std::string gutter = std::string(std::max<size_t>(5, number.size() + 1), ' ');
    std::string_view text = LineText(source, e.line);
    uint32_t col = e.col == 0 ? 1 : e.col;
    // A long line (generated or hostile source) is shown as a window around the column,
    // so each error costs a bounded amount of text.
    std::string_view lead, tail;
    if (text.size() > kMaxShownColumns) {
      size_t from = col - 1 > kMaxShownColumns / 2 ? col - 1 - kMaxShownColumns / 2 : 0;
      from = std::min(from, text.size() - kMaxShownColumns);
      if (from > 0) lead = "...";
      if (from + kMaxShownColumns < text.size()) tail = "...";
      text = text.substr(from, kMaxShownColumns);
      col = static_cast<uint32_t>(col - from + lead.size());
    }
    out += gutter.substr(number.size()) + number + " | ";
    out += lead;
    out += text;
    out += tail;
    out += "\n" + gutter + " | ";
    // Tabs stay tabs so the caret lines up with the source line in a terminal.
    std::string shown = std::string(lead) + std::string(text);
    for (uint32_t i = 1; i < col; ++i) {
      out += (i - 1 < shown.size() && shown[i - 1] == '\t') ? '\t' : ' ';
    }
    out += "^\n";
  }
  return out;
}

}  // namespace trinity::lang
