// Spelling rules shared by the assembler and the disassembler: which names may appear
// bare, how strings are escaped and how floats are written so they read back bit-exact.
// Keeping them in one place is what makes the text round trip exact.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trinity::lang::asm_syntax {

// True when `name` can be written without quotes: [A-Za-z_][A-Za-z0-9_.]* .
bool IsBareName(std::string_view name);

// `"..."` with `\\ \" \n \t \r \0` and `\xHH` for every other byte outside 0x20..0x7e.
std::string Quote(std::string_view bytes);

// A name as it appears in the text: bare when possible, else quoted.
std::string NameToken(std::string_view name);

// Floats: hex-float (`0x1.8p+1`, `-0x0p+0`), `inf`, `-inf`, or `nan(0xBITS)` where BITS are
// the 64 raw bits, so NaN sign and payload survive the trip.
std::string FormatFloat(double d);
// Also accepts decimal forms (`1.5`, `2e-3`) for hand-written text.
std::optional<double> ParseFloat(std::string_view text);

// Decimal with optional sign, or 0x-prefixed hex (optionally signed).
std::optional<int64_t> ParseInt(std::string_view text);

}  // namespace trinity::lang::asm_syntax
