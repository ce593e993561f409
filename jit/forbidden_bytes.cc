// Scanner for the instruction encodings emitted code may never contain (see the header).
// Every offset is examined, not only instruction starts: a jump into the middle of an
// instruction would otherwise find a gadget the disassembly does not show.
#include "jit/forbidden_bytes.h"

namespace trinity::jit {

std::string_view ForbiddenKindName(ForbiddenKind kind) {
  switch (kind) {
    case ForbiddenKind::kWrpkru: return "WRPKRU (0F 01 EF)";
    case ForbiddenKind::kXrstor: return "XRSTOR (0F AE /5)";
    case ForbiddenKind::kSyscall: return "SYSCALL (0F 05)";
    case ForbiddenKind::kSysenter: return "SYSENTER (0F 34)";
    case ForbiddenKind::kInt80: return "INT 0x80 (CD 80)";
  }
  return "?";
}

std::optional<ForbiddenHit> FindForbiddenBytes(std::span<const uint8_t> code) {
  const size_t n = code.size();
  for (size_t i = 0; i + 1 < n; ++i) {
    const uint8_t b0 = code[i], b1 = code[i + 1];
    if (b0 == 0xCD) {
      if (b1 == 0x80) return ForbiddenHit{i, ForbiddenKind::kInt80};
      continue;
    }
    if (b0 != 0x0F) continue;
    switch (b1) {
      case 0x05: return ForbiddenHit{i, ForbiddenKind::kSyscall};
      case 0x34: return ForbiddenHit{i, ForbiddenKind::kSysenter};
      case 0x01:
        if (i + 2 < n && code[i + 2] == 0xEF) return ForbiddenHit{i, ForbiddenKind::kWrpkru};
        break;
      case 0xAE:
        // ModRM reg field 5 selects XRSTOR (and XRSTOR64 with REX.W before the 0F);
        // mod == 11 with reg 5 is LFENCE, which is harmless.
        if (i + 2 < n) {
          const uint8_t modrm = code[i + 2];
          if (((modrm >> 3) & 7) == 5 && (modrm >> 6) != 3) {
            return ForbiddenHit{i, ForbiddenKind::kXrstor};
          }
        }
        break;
      default: break;
    }
  }
  return std::nullopt;
}

}  // namespace trinity::jit
