// What a conformance program expects, read from the `// expect...` comment lines at the
// top of its .tri file. The format is documented in README.md next to this file; keeping
// the expectations inside the program means one file is one self-contained test.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/result.h"
#include "runtime/trinity.h"

namespace trinity::conformance {

struct ExpectedCompileError {
  uint32_t line = 0;
  uint32_t col = 0;
  std::string substring;
};

struct Expectations {
  std::vector<std::string> output_lines;            // // expect:
  std::optional<std::string> trap_kind;             // // expect-trap:
  std::optional<uint32_t> trap_line;                // // expect-trap-line:
  std::optional<std::string> trap_message;          // // expect-trap-message:
  std::vector<ExpectedCompileError> compile_errors; // // expect-error:
  Limits limits;                                    // // limits: (suite defaults otherwise)

  std::string ExpectedOutput() const;  // output_lines, each followed by '\n'
};

// The suite's defaults: generous enough for every ordinary program, small enough that a
// runaway program fails fast instead of hanging the test.
Limits DefaultConformanceLimits();

// Reads the leading comment block of `source`. Unknown `// expect...` directives and
// malformed values are errors, so a typo cannot silently weaken a test.
Result<Expectations, std::string> ParseExpectations(std::string_view source);

}  // namespace trinity::conformance
