// The byte-level rule every piece of emitted machine code must pass before it becomes
// executable (ERIM's rule): no WRPKRU, XRSTOR, SYSCALL, SYSENTER or INT 0x80 encoding
// anywhere in the buffer, including inside immediates and across instruction boundaries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace trinity::jit {

enum class ForbiddenKind : uint8_t {
  kWrpkru,    // 0F 01 EF: changes the protection-key rights register
  kXrstor,    // 0F AE /5 with a memory operand: XRSTOR reloads PKRU from memory
  kSyscall,   // 0F 05
  kSysenter,  // 0F 34
  kInt80,     // CD 80
};

std::string_view ForbiddenKindName(ForbiddenKind kind);

struct ForbiddenHit {
  size_t offset;  // of the sequence's first byte
  ForbiddenKind kind;
};

// The first forbidden sequence in `code`, or nothing. Linear in the buffer's size.
std::optional<ForbiddenHit> FindForbiddenBytes(std::span<const uint8_t> code);

}  // namespace trinity::jit
