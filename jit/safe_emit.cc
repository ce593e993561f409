// EmitAndPublish and the constant-splitting encodings. The scan in CodeArena::Publish is
// the authority; splitting and padding only make a clean emission likely on a retry.
#include "jit/safe_emit.h"

#include <random>
#include <variant>

namespace trinity::jit {

namespace x86 = asmjit::x86;

uint64_t EmitVariant::Next() {
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  return state_ * 0x2545F4914F6CDD1Dull;
}

bool ImmediateIsClean(uint64_t value, int bytes) {
  uint8_t b[8];
  for (int i = 0; i < bytes; ++i) b[i] = static_cast<uint8_t>(value >> (8 * i));
  if (b[bytes - 1] == 0x0F || b[bytes - 1] == 0xCD) return false;
  return !FindForbiddenBytes({b, static_cast<size_t>(bytes)});
}

std::optional<EmitVariant::Split> EmitVariant::FindSplit(uint64_t value) {
  // A random rotation moves every byte of the value; the xor key changes the low four.
  // Both are needed: the key's sign extension only ever flips all high bytes at once.
  for (int tries = 0; tries < 4096; ++tries) {
    const uint64_t r = Next();
    const int32_t key = static_cast<int32_t>(r);
    const int rotate = static_cast<int>((r >> 32) % 64);
    const uint64_t extended = static_cast<uint64_t>(static_cast<int64_t>(key));
    const uint64_t rotated = rotate == 0 ? value : (value << rotate) | (value >> (64 - rotate));
    const uint64_t stored = rotated ^ extended;
    if (ImmediateIsClean(static_cast<uint32_t>(key), 4) && ImmediateIsClean(stored, 8) &&
        ImmediateIsClean(static_cast<uint64_t>(rotate), 1)) {
      return Split{stored, key, rotate};
    }
  }
  return std::nullopt;
}

EmitFunction WithAssembler(std::function<asmjit::Error(x86::Assembler&, EmitVariant&)> body) {
  return [body = std::move(body)](asmjit::CodeHolder& code, EmitVariant& variant) {
    x86::Assembler a(&code);
    return body(a, variant);
  };
}

std::variant<PublishedCode, EmitFailure> EmitAndPublish(CodeArena& arena, const EmitFunction& emit,
                                                        int max_attempts, uint64_t seed) {
  if (seed == 0) seed = std::random_device{}() | (uint64_t{std::random_device{}()} << 32);
  std::string last;
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    asmjit::CodeHolder code;
    asmjit::Environment env = asmjit::Environment::host();
    code.init(env);
    EmitVariant variant(attempt, seed + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(attempt));
    if (asmjit::Error err = emit(code, variant)) {
      return EmitFailure{std::string("emitter failed: ") + asmjit::DebugUtils::errorAsString(err)};
    }
    if (code.flatten() || code.resolveUnresolvedLinks()) {
      return EmitFailure{"emitter left unresolved labels"};
    }
    const size_t size = code.codeSize();
    uint8_t* block = arena.BeginWrite(size);
    if (block == nullptr) return EmitFailure{"JIT code memory is full", true};
    if (code.relocateToBase(reinterpret_cast<uint64_t>(block)) != asmjit::kErrorOk ||
        code.codeSize() > size ||
        code.copyFlattenedData(block, size, asmjit::CopySectionFlags::kNone) !=
            asmjit::kErrorOk) {
      arena.Release(block);
      return EmitFailure{"cannot relocate emitted code"};
    }
    CodeArena::PublishResult r = arena.Publish(block);
    if (r.published) return PublishedCode{block, code.codeSize(), attempt + 1};
    if (!r.hit) return EmitFailure{r.error};
    last = std::string(ForbiddenKindName(r.hit->kind)) + " at offset " + std::to_string(r.hit->offset);
  }
  return EmitFailure{"emitted code kept containing a forbidden byte sequence (" + last + ") after " +
                     std::to_string(max_attempts) + " attempts"};
}

}  // namespace trinity::jit
