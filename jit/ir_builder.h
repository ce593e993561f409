// Building trace IR with folding on the way in: constant folding, algebraic identities
// and common-subexpression elimination (including of guards and of loads no store could
// have changed since). The recorder and the loop pass both emit through it, so the loop
// pass's second copy of the body folds into the first wherever values are invariant.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>

#include "jit/ir.h"

namespace trinity::jit {

// Which loads a store or call may change.
enum class MemoryClass : uint8_t { kArrayItems, kArrayLength, kFields, kGlobals, kCount };

struct FoldOptions {
  bool fold = true;  // constant folding and identities
  bool cse = true;   // common-subexpression elimination
};

class IrBuilder {
 public:
  explicit IrBuilder(TraceIr& ir, FoldOptions options = {}) : ir_(ir), options_(options) {}

  IrRef Emit(IrIns ins);  // folds, reuses an equal instruction, or appends
  IrRef Int(int64_t v);
  IrRef Float(double v);
  IrRef Bool(bool v);
  IrRef Pointer(Tag type, const void* p);

  // Forgets loads of `c` (a store or call in between may have changed them).
  void Kill(MemoryClass c);
  void KillAll();
  // Loads and stores that touch memory of class c.
  static bool Reads(IrOp op, MemoryClass c);
  static bool Writes(const IrIns& ins, MemoryClass c);

  TraceIr& ir() { return ir_; }
  const FoldOptions& options() const { return options_; }

 private:
  struct Key {
    IrOp op;
    Tag type;
    Cond cond;
    IrRef a, b, c;
    int64_t imm;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  std::optional<IrRef> Fold(const IrIns& ins);
  static bool Pure(IrOp op);
  static bool Load(IrOp op);

  TraceIr& ir_;
  FoldOptions options_;
  std::unordered_map<Key, IrRef, KeyHash> seen_;
};

}  // namespace trinity::jit
