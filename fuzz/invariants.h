// Invariant checks shared by the fuzz harnesses that do not need an instance: the wire
// format and assembly text round trips and the compiler's promise that its output loads. Each aborts
// with a message on violation, so the fuzzer keeps the input as a crash.
#pragma once

#include <memory>
#include <string_view>

#include "runtime/module.h"

namespace trinity::fuzz {

// Prints what broke and aborts. Used instead of assert() so the check survives any build
// flags and the message names the invariant.
[[noreturn]] void InvariantFailed(std::string_view what, std::string_view detail = {});

// `m` has passed VerifyModule. Writes it, requires LoadModule to accept the bytes and
// writing the loaded module to give the same bytes; returns the loaded module.
std::shared_ptr<const Module> CheckWireRoundTrip(const Module& m);

// `m` has passed VerifyModule. Requires lang/disassembler.h's promise: assembling its
// disassembly gives a module that WriteModule serialises to the same bytes as `m`.
void CheckAssemblyRoundTrip(const Module& m);

// Compiles `source`. Returns nullptr when the compiler rejects it with ordinary errors;
// aborts on an "internal compiler error" or when its module does not survive
// CheckWireRoundTrip. Otherwise returns the module as LoadModule produced it.
std::shared_ptr<const Module> CompileChecked(std::string_view source);

}  // namespace trinity::fuzz
