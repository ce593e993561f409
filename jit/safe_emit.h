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

  // reg = value (any 64-bit constant).
  void MovImm(asmjit::x86::Assembler& a, const asmjit::x86::Gp& reg, uint64_t value);
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
  void Pad(asmjit::x86::Assembler& a);
  uint64_t Next();  // xorshift64*

 private:
  int attempt_;
  uint64_t state_;
};

using EmitFunction =
    std::function<asmjit::Error(asmjit::x86::Assembler& a, EmitVariant& variant)>;

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

}  // namespace trinity::jit
