// Where a JSON text goes wrong. simdjson, which json.decode parses with, reports only an
// error code; this strict RFC 8259 scanner finds the byte offset and a reason for the
// message. It accepts exactly what json.decode's simdjson configuration accepts (the
// fuzz_json harness checks that on every input), including the same limits: nesting up to
// kJsonMaxDepth, integers within [-2^63, 2^64), floats that stay finite. No VM types.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace trinity {

// Nesting of arrays and objects json.decode and json.encode accept.
inline constexpr size_t kJsonMaxDepth = 512;

struct JsonSyntaxError {
  size_t offset;       // byte offset of the first byte that makes the text invalid
  std::string reason;  // e.g. "expected ',' or ']'"
};

// nullopt when `text` is one valid JSON value (with surrounding whitespace).
std::optional<JsonSyntaxError> FindJsonSyntaxError(std::string_view text);

}  // namespace trinity
