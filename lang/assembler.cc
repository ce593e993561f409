// Assembly text -> Module in two passes: the first collects module-level declarations
// (so calls may name functions defined later), the second encodes each function body
// through CodeEmitter. Every rejection carries file:line:col; no input can crash it.
#include "lang/assembler.h"

#include <map>
#include <optional>
#include <vector>

#include "lang/asm_lexer.h"
#include "lang/asm_syntax.h"
#include "runtime/builtins.h"
#include "runtime/code_emitter.h"
#include "runtime/opcodes.h"
#include "runtime/verifier.h"

namespace trinity::lang {
namespace {

using asm_syntax::IsBareName;
using asm_syntax::ParseInt;

struct SourceLine {
  uint32_t number = 0;
  std::vector<AsmToken> tokens;
};

struct FuncDecl {
  size_t header = 0;          // index into lines_
  bool explicit_stack = false;
  std::vector<size_t> body;   // indices into lines_
};

// What an instruction operand denotes, which decides how it is parsed.
enum class Role : uint8_t { kNumber, kOffset, kFunction, kImport, kGlobal, kBuiltin };

Role RoleOf(Op op, int which) {
  if (IsBranch(op) && (op == Op::kIterNext ? which == 1 : which == 0)) return Role::kOffset;
  if (which != 0) return Role::kNumber;
  switch (op) {
    case Op::kCall:
    case Op::kPushFunc:
    case Op::kMakeClosure: return Role::kFunction;
    case Op::kCallHost: return Role::kImport;
    case Op::kLoadGlobal:
    case Op::kStoreGlobal: return Role::kGlobal;
    case Op::kCallBuiltin: return Role::kBuiltin;
    default: return Role::kNumber;
  }
}

std::string RoleName(Role role, OperandKind kind) {
  switch (role) {
    case Role::kOffset: return "label";
    case Role::kFunction: return "function";
    case Role::kImport: return "import";
    case Role::kGlobal: return "global";
    case Role::kBuiltin: return "builtin";
    case Role::kNumber: break;
  }
  return kind == OperandKind::kI32 ? "integer" : "count or index";
}

struct Range {
  int64_t lo, hi;
};

Range RangeOf(OperandKind kind) {
  switch (kind) {
    case OperandKind::kU8: return {0, 0xff};
    case OperandKind::kU16: return {0, 0xffff};
    case OperandKind::kU32: return {0, 0xffffffffLL};
    case OperandKind::kI32: return {INT32_MIN, INT32_MAX};
    case OperandKind::kNone: break;
  }
  return {0, 0};
}

// Names -> index, with -1 marking a name several entries share (it must be referred to
// by index).
class NameIndex {
 public:
  void Add(const std::string& name, int64_t index) {
    auto [it, inserted] = map_.emplace(name, index);
    if (!inserted) it->second = -1;
  }
  // nullopt: unknown; -1: ambiguous.
  std::optional<int64_t> Find(const std::string& name) const {
    auto it = map_.find(name);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, int64_t> map_;
};

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

class Assembler {
 public:
  explicit Assembler(std::string_view file_name) : file_(file_name) {}

  Result<Module, AsmError> Run(std::string_view text) {
    if (!Tokenize(text) || !DeclarePass() || !AssembleBodies() || !ResolveExports() ||
        !ComputeStacks()) {
      return Err(std::move(*error_));
    }
    return std::move(module_);
  }

 private:
  bool Fail(uint32_t line, uint32_t col, const std::string& message) {
    if (!error_) {
      error_ = AsmError{line, col,
                        file_ + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " +
                            message};
    }
    return false;
  }
  bool Fail(const SourceLine& l, const AsmToken& t, const std::string& message) {
    return Fail(l.number, t.col, message);
  }

  // Rejects tokens after the `expected` ones.
  bool NoMore(const SourceLine& l, size_t expected) {
    if (l.tokens.size() <= expected) return true;
    return Fail(l, l.tokens[expected], "unexpected " + Quoted(l.tokens[expected].text));
  }
  // Demands token `i`, naming what was expected when it is missing.
  bool Need(const SourceLine& l, size_t i, const std::string& what) {
    if (i < l.tokens.size()) return true;
    const AsmToken& last = l.tokens.back();
    return Fail(l.number, last.col + static_cast<uint32_t>(last.text.size()),
                "expected " + what);
  }

  bool Tokenize(std::string_view text) {
    uint32_t number = 0;
    size_t begin = 0;
    while (begin <= text.size()) {
      ++number;
      size_t nl = text.find('\n', begin);
      size_t end = nl == std::string_view::npos ? text.size() : nl;
      auto tokens = TokenizeAsmLine(text.substr(begin, end - begin));
      if (!tokens) return Fail(number, tokens.error().col, tokens.error().message);
      if (!tokens->empty()) lines_.push_back(SourceLine{number, std::move(tokens.value())});
      begin = end + 1;
    }
    return true;
  }

  // A name written bare or quoted.
  bool ReadName(const SourceLine& l, size_t i, const std::string& what, std::string* out) {
    if (!Need(l, i, what)) return false;
    const AsmToken& t = l.tokens[i];
    if (t.kind == AsmToken::Kind::kWord && !IsBareName(t.text)) {
      return Fail(l, t, "expected " + what + " (a name, or a quoted string)");
    }
    *out = t.text;
    return true;
  }

  bool ReadNumber(const SourceLine& l, size_t i, const std::string& what, Range range,
                  int64_t* out) {
    if (!Need(l, i, what)) return false;
    const AsmToken& t = l.tokens[i];
    std::optional<int64_t> v;
    if (t.kind == AsmToken::Kind::kWord) v = ParseInt(t.text);
    if (!v) return Fail(l, t, "expected " + what + ", got " + Quoted(t.text));
    if (*v < range.lo || *v > range.hi) {
      return Fail(l, t, what + " " + t.text + " is out of range " + std::to_string(range.lo) +
                            ".." + std::to_string(range.hi));
    }
    *out = *v;
    return true;
  }

  // --- pass 1: module-level directives ---------------------------------------------

  bool DeclarePass() {
    std::optional<size_t> open;  // index into funcs_ of the .func being read
    for (size_t i = 0; i < lines_.size(); ++i) {
      const SourceLine& l = lines_[i];
      const AsmToken& first = l.tokens[0];
      bool directive = first.kind == AsmToken::Kind::kWord && first.text.starts_with(".");
      if (open) {
        if (directive && first.text == ".end") {
          if (!NoMore(l, 1)) return false;
          open.reset();
        } else if (directive && first.text != ".line" && first.text != ".bytes") {
          return Fail(l, first, Quoted(first.text) + " is not allowed inside .func (missing .end?)");
        } else {
          funcs_[*open].body.push_back(i);
        }
        continue;
      }
      if (!directive) {
        return Fail(l, first, "expected a directive; instructions and labels belong inside .func");
      }
      if (first.text == ".func") {
        if (!DeclareFunction(i)) return false;
        open = funcs_.size() - 1;
      } else if (!ModuleDirective(i)) {
        return false;
      }
    }
    if (open) {
      const SourceLine& l = lines_[funcs_[*open].header];
      return Fail(l, l.tokens[0], ".func without .end");
    }
    return true;
  }

  bool ModuleDirective(size_t index) {
    const SourceLine& l = lines_[index];
    const std::string& d = l.tokens[0].text;
    if (d == ".source") {
      if (seen_source_) return Fail(l, l.tokens[0], "duplicate .source");
      seen_source_ = true;
      if (!Need(l, 1, "a quoted file name")) return false;
      if (l.tokens[1].kind != AsmToken::Kind::kString) {
        return Fail(l, l.tokens[1], "expected a quoted file name");
      }
      module_.source_name = l.tokens[1].text;
      return NoMore(l, 2);
    }
    if (d == ".const") return DeclareConstant(l);
    if (d == ".import" || d == ".global") {
      std::string name;
      if (!ReadName(l, 1, d == ".import" ? "an import name" : "a global name", &name)) {
        return false;
      }
      std::vector<std::string>& table = d == ".import" ? module_.imports : module_.globals;
      (d == ".import" ? imports_ : globals_).Add(name, static_cast<int64_t>(table.size()));
      table.push_back(std::move(name));
      return NoMore(l, 2);
    }
    if (d == ".export" || d == ".start") {
      // Resolved after every function is declared and assembled.
      if (d == ".start") {
        if (start_line_) return Fail(l, l.tokens[0], "duplicate .start");
        start_line_ = index;
      } else {
        export_lines_.push_back(index);
      }
      return true;
    }
    if (d == ".end") return Fail(l, l.tokens[0], ".end without .func");
    if (d == ".line" || d == ".bytes") {
      return Fail(l, l.tokens[0], Quoted(d) + " is only allowed inside .func");
    }
    return Fail(l, l.tokens[0], "unknown directive " + Quoted(d));
  }

  bool DeclareConstant(const SourceLine& l) {
    if (!Need(l, 1, "a constant kind (int, float or string)")) return false;
    const AsmToken& kind = l.tokens[1];
    if (!Need(l, 2, "a constant value")) return false;
    const AsmToken& value = l.tokens[2];
    if (kind.kind == AsmToken::Kind::kWord && kind.text == "string") {
      if (value.kind != AsmToken::Kind::kString) {
        return Fail(l, value, "expected a quoted string");
      }
      module_.constants.emplace_back(value.text);
    } else if (kind.kind == AsmToken::Kind::kWord && kind.text == "int") {
      std::optional<int64_t> v;
      if (value.kind == AsmToken::Kind::kWord) v = ParseInt(value.text);
      if (!v) return Fail(l, value, "expected a 64-bit integer, got " + Quoted(value.text));
      module_.constants.emplace_back(*v);
    } else if (kind.kind == AsmToken::Kind::kWord && kind.text == "float") {
      std::optional<double> v;
      if (value.kind == AsmToken::Kind::kWord) v = asm_syntax::ParseFloat(value.text);
      if (!v) {
        return Fail(l, value,
                    "expected a float (hex-float, decimal, inf, -inf or nan(0xBITS)), got " +
                        Quoted(value.text));
      }
      module_.constants.emplace_back(*v);
    } else {
      return Fail(l, kind, "unknown constant kind " + Quoted(kind.text) +
                               " (expected int, float or string)");
    }
    return NoMore(l, 3);
  }

  bool DeclareFunction(size_t index) {
    const SourceLine& l = lines_[index];
    Function f;
    if (!ReadName(l, 1, "a function name", &f.name)) return false;
    FuncDecl decl;
    decl.header = index;
    bool seen[4] = {false, false, false, false};
    static constexpr std::string_view kKeys[4] = {"arity", "locals", "captures", "stack"};
    uint16_t* fields[4] = {&f.arity, &f.num_locals, &f.num_captures, &f.max_stack};
    for (size_t i = 2; i < l.tokens.size(); ++i) {
      const AsmToken& t = l.tokens[i];
      size_t eq = t.text.find('=');
      int key = -1;
      for (int k = 0; k < 4; ++k) {
        if (t.kind == AsmToken::Kind::kWord && eq != std::string::npos &&
            t.text.substr(0, eq) == kKeys[k]) {
          key = k;
        }
      }
      if (key < 0) {
        return Fail(l, t, "expected arity=N, locals=N, captures=N or stack=N, got " +
                              Quoted(t.text));
      }
      if (seen[key]) return Fail(l, t, "duplicate " + std::string(kKeys[key]));
      seen[key] = true;
      std::optional<int64_t> v = ParseInt(std::string_view(t.text).substr(eq + 1));
      if (!v || *v < 0 || *v > 0xffff) {
        return Fail(l, t, std::string(kKeys[key]) + " must be an integer 0..65535");
      }
      *fields[key] = static_cast<uint16_t>(*v);
    }
    decl.explicit_stack = seen[3];
    functions_.Add(f.name, static_cast<int64_t>(module_.functions.size()));
    module_.functions.push_back(std::move(f));
    funcs_.push_back(std::move(decl));
    return true;
  }

  // --- pass 2: function bodies -------------------------------------------------------

  // A function/import/global operand: an index, or a name that picks out one entry.
  bool ReadReference(const SourceLine& l, size_t i, const std::string& what,
                     const NameIndex& names, int64_t* out) {
    if (!Need(l, i, "a " + what)) return false;
    const AsmToken& t = l.tokens[i];
    if (t.kind == AsmToken::Kind::kWord && !IsBareName(t.text)) {
      return ReadNumber(l, i, what + " index", RangeOf(OperandKind::kU32), out);
    }
    std::optional<int64_t> found = names.Find(t.text);
    if (!found) return Fail(l, t, "unknown " + what + " " + Quoted(t.text));
    if (*found < 0) {
      return Fail(l, t, "several " + what + "s are named " + Quoted(t.text) +
                            "; refer to one by index");
    }
    *out = *found;
    return true;
  }

  struct Patch {
    uint32_t at;
    std::vector<uint8_t> bytes;
  };

  struct BodyState {
    CodeEmitter emitter;
    CodeEmitter::Label anywhere{};  // stand-in target for raw offsets, patched afterwards
    std::map<std::string, CodeEmitter::Label> labels;
    std::vector<LineEntry> lines;
    std::vector<Patch> patches;
  };

  bool AssembleBodies() {
    for (size_t i = 0; i < funcs_.size(); ++i) {
      if (!AssembleBody(funcs_[i], module_.functions[i])) return false;
    }
    return true;
  }

  static bool IsLabel(const AsmToken& t) {
    return t.kind == AsmToken::Kind::kWord && t.text.size() > 1 && t.text.back() == ':';
  }

  bool AssembleBody(const FuncDecl& decl, Function& fn) {
    BodyState s;
    s.anywhere = s.emitter.NewLabel();
    s.emitter.Bind(s.anywhere);
    for (size_t index : decl.body) {
      const SourceLine& l = lines_[index];
      if (!IsLabel(l.tokens[0])) continue;
      std::string name = l.tokens[0].text.substr(0, l.tokens[0].text.size() - 1);
      if (!IsBareName(name)) return Fail(l, l.tokens[0], "bad label name " + Quoted(name));
      if (s.labels.count(name)) return Fail(l, l.tokens[0], "duplicate label " + Quoted(name));
      s.labels.emplace(name, s.emitter.NewLabel());
    }
    for (size_t index : decl.body) {
      if (!AssembleLine(lines_[index], s)) return false;
    }
    s.emitter.Finish(fn);
    // The emitter merges repeated lines; the table is kept exactly as written instead, so
    // a disassembled module reassembles to the same bytes.
    fn.lines = std::move(s.lines);
    for (const Patch& p : s.patches) {
      for (size_t k = 0; k < p.bytes.size(); ++k) fn.code[p.at + k] = p.bytes[k];
    }
    return true;
  }

  bool AssembleLine(const SourceLine& l, BodyState& s) {
    size_t first = 0;
    if (IsLabel(l.tokens[0])) {
      s.emitter.Bind(s.labels.at(l.tokens[0].text.substr(0, l.tokens[0].text.size() - 1)));
      first = 1;
      if (l.tokens.size() == 1) return true;
    }
    const AsmToken& head = l.tokens[first];
    if (head.kind != AsmToken::Kind::kWord) {
      return Fail(l, head, "expected an instruction, got a string");
    }
    if (head.text == ".line") return LineDirective(l, first, s);
    if (head.text == ".bytes") return BytesDirective(l, first, s);
    if (head.text.starts_with(".")) {
      return Fail(l, head, Quoted(head.text) + " is not allowed here");
    }
    std::optional<Op> op = OpFromMnemonic(head.text);
    if (!op) return Fail(l, head, "unknown mnemonic " + Quoted(head.text));
    return Instruction(l, first, *op, s);
  }

  bool LineDirective(const SourceLine& l, size_t first, BodyState& s) {
    int64_t line = 0;
    if (!ReadNumber(l, first + 1, "a line number", RangeOf(OperandKind::kU32), &line)) {
      return false;
    }
    LineEntry e{s.emitter.pc(), static_cast<uint32_t>(line)};
    if (first + 2 < l.tokens.size()) {
      const AsmToken& t = l.tokens[first + 2];
      std::optional<int64_t> pc;
      if (t.kind == AsmToken::Kind::kWord && t.text.starts_with("pc=")) {
        pc = ParseInt(std::string_view(t.text).substr(3));
      }
      if (!pc || *pc < 0 || *pc > 0xffffffffLL) {
        return Fail(l, t, "expected pc=N (a byte offset), got " + Quoted(t.text));
      }
      e.pc = static_cast<uint32_t>(*pc);
      if (!NoMore(l, first + 3)) return false;
    }
    s.lines.push_back(e);
    return true;
  }

  // Raw code bytes: nops reserve the room, the real bytes are written after Finish.
  bool BytesDirective(const SourceLine& l, size_t first, BodyState& s) {
    if (!Need(l, first + 1, "at least one byte")) return false;
    Patch p{s.emitter.pc(), {}};
    for (size_t i = first + 1; i < l.tokens.size(); ++i) {
      int64_t b = 0;
      if (!ReadNumber(l, i, "a byte", {0, 255}, &b)) return false;
      p.bytes.push_back(static_cast<uint8_t>(b));
      s.emitter.Emit(Op::kNop);
    }
    s.patches.push_back(std::move(p));
    return true;
  }

  bool Instruction(const SourceLine& l, size_t first, Op op, BodyState& s) {
    const OpInfo& info = InfoOf(op);
    int want = (info.operand[0] != OperandKind::kNone) + (info.operand[1] != OperandKind::kNone);
    int got = static_cast<int>(l.tokens.size() - first - 1);
    if (got != want) {
      std::string expected;
      for (int i = 0; i < want; ++i) {
        expected += (i ? ", " : " (") + RoleName(RoleOf(op, i), info.operand[i]);
      }
      if (want) expected += ")";
      const AsmToken& at = got > want ? l.tokens[first + 1 + want] : l.tokens[first];
      return Fail(l, at, Quoted(info.mnemonic) + " takes " + std::to_string(want) +
                             " operand" + (want == 1 ? "" : "s") + expected + ", got " +
                             std::to_string(got));
    }
    int64_t values[2] = {0, 0};
    std::optional<CodeEmitter::Label> target;
    std::optional<int32_t> raw_offset;
    for (int i = 0; i < want; ++i) {
      size_t ti = first + 1 + i;
      const AsmToken& t = l.tokens[ti];
      OperandKind kind = info.operand[i];
      switch (RoleOf(op, i)) {
        case Role::kOffset: {
          if (t.kind == AsmToken::Kind::kWord && IsBareName(t.text)) {
            auto it = s.labels.find(t.text);
            if (it == s.labels.end()) return Fail(l, t, "undefined label " + Quoted(t.text));
            target = it->second;
          } else {
            int64_t v = 0;
            if (!ReadNumber(l, ti, "a label or a byte offset", RangeOf(kind), &v)) return false;
            raw_offset = static_cast<int32_t>(v);
          }
          break;
        }
        case Role::kFunction:
          if (!ReadReference(l, ti, "function", functions_, &values[i])) return false;
          break;
        case Role::kImport:
          if (!ReadReference(l, ti, "import", imports_, &values[i])) return false;
          break;
        case Role::kGlobal:
          if (!ReadReference(l, ti, "global", globals_, &values[i])) return false;
          break;
        case Role::kBuiltin: {
          if (t.kind == AsmToken::Kind::kWord && IsBareName(t.text)) {
            std::optional<Builtin> b = BuiltinFromName(t.text);
            if (!b) return Fail(l, t, "unknown builtin " + Quoted(t.text));
            values[i] = static_cast<int64_t>(*b);
          } else if (!ReadNumber(l, ti, "a builtin name or id", RangeOf(kind), &values[i])) {
            return false;
          }
          break;
        }
        case Role::kNumber:
          if (!ReadNumber(l, ti, "an integer", RangeOf(kind), &values[i])) return false;
          break;
      }
    }
    if (!IsBranch(op)) {
      s.emitter.Emit(op, values[0], values[1]);
      return true;
    }
    CodeEmitter::Label to = target ? *target : s.anywhere;
    uint32_t at = op == Op::kIterNext
                      ? s.emitter.EmitIterNext(static_cast<uint16_t>(values[0]), to)
                      : s.emitter.EmitJump(op, to);
    if (raw_offset) {
      uint32_t offset_at = at + 1 + (op == Op::kIterNext ? 2 : 0);
      uint32_t u = static_cast<uint32_t>(*raw_offset);
      s.patches.push_back(Patch{offset_at,
                                {static_cast<uint8_t>(u), static_cast<uint8_t>(u >> 8),
                                 static_cast<uint8_t>(u >> 16), static_cast<uint8_t>(u >> 24)}});
    }
    return true;
  }

  // --- after the bodies ---------------------------------------------------------------

  bool ResolveExports() {
    for (size_t index : export_lines_) {
      const SourceLine& l = lines_[index];
      Export e;
      int64_t fn = 0;
      if (!ReadName(l, 1, "an export name", &e.name) ||
          !ReadReference(l, 2, "function", functions_, &fn) || !NoMore(l, 3)) {
        return false;
      }
      e.function = static_cast<uint32_t>(fn);
      module_.exports.push_back(std::move(e));
    }
    if (start_line_) {
      const SourceLine& l = lines_[*start_line_];
      int64_t fn = 0;
      if (!ReadReference(l, 1, "function", functions_, &fn) || !NoMore(l, 2)) return false;
      module_.start_function = static_cast<uint32_t>(fn);
    }
    return true;
  }

  bool ComputeStacks() {
    for (size_t i = 0; i < funcs_.size(); ++i) {
      if (funcs_[i].explicit_stack) continue;
      auto stack = ComputeMaxStack(module_, module_.functions[i]);
      const SourceLine& l = lines_[funcs_[i].header];
      if (!stack) {
        return Fail(l, l.tokens[0], "cannot compute stack= for this function: " +
                                        stack.error().ToString());
      }
      module_.functions[i].max_stack = stack.value();
    }
    return true;
  }

  std::string file_;
  std::vector<SourceLine> lines_;
  std::vector<FuncDecl> funcs_;
  std::vector<size_t> export_lines_;
  std::optional<size_t> start_line_;
  bool seen_source_ = false;
  NameIndex functions_, imports_, globals_;
  Module module_;
  std::optional<AsmError> error_;
};

}  // namespace

Result<Module, AsmError> Assemble(std::string_view text, std::string_view file_name) {
  return Assembler(file_name).Run(text);
}

}  // namespace trinity::lang
