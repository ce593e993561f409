// Compile errors: the record every compiler stage reports into, the cap on how many one
// run collects, and the "file:line:col: error:" rendering with a caret under the column.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trinity::lang {

struct CompileError {
  std::string file;
  uint32_t line = 0, col = 0;
  std::string message;
};

// Collects errors for one compilation. Stops accepting after kMaxErrors so a hopeless
// input cannot produce megabytes of cascading messages.
class Diagnostics {
 public:
  static constexpr size_t kMaxErrors = 20;

  explicit Diagnostics(std::string_view file) : file_(file) {}

  void Error(uint32_t line, uint32_t col, std::string message);
  bool has_errors() const { return !errors_.empty(); }
  bool full() const { return errors_.size() >= kMaxErrors; }
  const std::vector<CompileError>& errors() const { return errors_; }
  std::vector<CompileError> Take() { return std::move(errors_); }

 private:
  std::string file_;
  std::vector<CompileError> errors_;
};

// "file:line:col: error: message\n    3 | let x = (1 + \n      |              ^\n" per error.
std::string FormatCompileErrors(const std::vector<CompileError>& errors, std::string_view source);

}  // namespace trinity::lang
