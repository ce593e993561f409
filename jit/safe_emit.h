// Emitting x86-64 code through asmjit so that it can be published by the CodeArena: the
// code is emitted, relocated to its final address, scanned, and on a forbidden byte
// sequence emitted again with every immediate split under a fresh random key and with
// random padding, a bounded number of times, before the caller gives up on it.
#pragma once

#include <asmjit/x86.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "jit/code_arena.h"

namespace trinity::jit {

// True when the `bytes` low bytes of `value`, as a little-endian immediate, hold no
// forbidden sequence and cannot start one with the next instruction (the last byte is
// neither 0F nor CD). The opcode bytes in front of an immediate never end in 0F or CD for
// the encodings this file emits (B8+r, 81 /op, C7 /0).
bool ImmediateIsClean(uint64_t value, int bytes);

// How one emission attempt must encode constants. Every attempt splits a constant whose
// bytes are not clean on their own (see FindSplit); retries split every constant under fresh keys and put a few
// random NOP bytes where the emitter calls Pad(), which moves jump displacements.
class EmitVariant {
 public:
  EmitVariant(int attempt, uint64_t seed) : attempt_(attempt), state_(seed | 1) {}
  int attempt() const { return attempt_; }
  bool split_constants() const { return attempt_ > 0; }

  // reg = value (any 64-bit constant), through an Assembler or a Compiler.
  template <typename Emitter>
  void MovImm(Emitter& a, const asmjit::x86::Gp& reg, uint64_t value);
  // A clean three-instruction encoding of `value`:
  //   movabs r, stored; xor r, key; ror r, rotate   (stored = rotl(value, rotate) ^ sext(key))
  // where every immediate is clean. Nothing only if 4096 random draws all failed.
  struct Split {
    uint64_t stored;
    int32_t key;
    int rotate;
  };
  std::optional<Split> FindSplit(uint64_t value);
  // Zero to seven NOP bytes on retries, nothing on the first attempt; moves every later
  // jump displacement and absolute address.
  template <typename Emitter>
  void Pad(Emitter& a) {
    if (!split_constants()) return;
    const uint32_t n = static_cast<uint32_t>(Next() % 8);
    for (uint32_t i = 0; i < n; ++i) a.nop();
  }
  uint64_t Next();  // xorshift64*

 private:
  int attempt_;
  uint64_t state_;
};

// Emits one attempt into `code` (already initialised for the host): attach an Assembler
// or a Compiler, emit, and finalize.
using EmitFunction = std::function<asmjit::Error(asmjit::CodeHolder& code, EmitVariant& variant)>;

// The same for the common case of a plain Assembler.
EmitFunction WithAssembler(
    std::function<asmjit::Error(asmjit::x86::Assembler& a, EmitVariant& variant)> body);

struct PublishedCode {
  uint8_t* code = nullptr;  // entry point = start of the block
  size_t size = 0;          // bytes of machine code
  int attempts = 0;         // emissions it took (1 = the first one was clean)
};

struct EmitFailure {
  std::string message;
  bool arena_full = false;
};

// Runs `emit` into a fresh CodeHolder per attempt, relocates the result to a block of
// `arena`, and publishes it. Gives up after `max_attempts` emissions that all contained a
// forbidden sequence (the failure names the last one), or when the arena is full.
std::variant<PublishedCode, EmitFailure> EmitAndPublish(CodeArena& arena, const EmitFunction& emit,
                                                        int max_attempts = 8,
                                                        uint64_t seed = 0);

template <typename Emitter>
void EmitVariant::MovImm(Emitter& a, const asmjit::x86::Gp& reg, uint64_t value) {
  const asmjit::x86::Gp r = reg.r64();
  // asmjit picks the shortest encoding (an imm32 when the value fits in one, zero- or
  // sign-extended, else an imm64), so both the 4- and the 8-byte forms must be clean.
  const bool clean = ImmediateIsClean(value, 4) && ImmediateIsClean(value, 8);
  if (clean && !split_constants()) {
    a.mov(r, value);
    return;
  }
  std::optional<Split> split = FindSplit(value);
  if (!split) {
    // Practically unreachable; the scan before publishing still refuses a bad encoding.
    a.mov(r, value);
    return;
  }
  // r = rotl(value, n) ^ sext(key); r ^= key; r = ror(r, n). The stored value is emitted
  // as a full imm64 (movabs) so its encoding is the one checked.
  a.movabs(r, split->stored);
  a.xor_(r, split->key);
  if (split->rotate != 0) a.ror(r, split->rotate);
}

}  // namespace trinity::jit
