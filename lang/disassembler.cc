// Module -> assembly text. Decodes each function with the opcode table, names branch
// targets `L<pc>`, and falls back to `.bytes`, raw offsets and `.line N pc=P` for code the
// verifier would reject, so even such modules round-trip byte for byte.
#include "lang/disassembler.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_map>
#include <vector>

#include "lang/asm_syntax.h"
#include "runtime/builtins.h"
#include "runtime/opcodes.h"

namespace trinity::lang {
namespace {

using asm_syntax::NameToken;
using asm_syntax::Quote;

struct Instruction {
  uint32_t pc = 0;
  Op op = Op::kNop;
  int64_t operand[2] = {0, 0};
  uint32_t size = 0;
};

int64_t ReadOperand(const std::vector<uint8_t>& code, size_t at, OperandKind kind) {
  uint64_t v = 0;
  int size = OperandSize(kind);
  for (int i = 0; i < size; ++i) v |= static_cast<uint64_t>(code[at + i]) << (8 * i);
  if (kind == OperandKind::kI32) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

// Decodes as far as the bytes make sense; `*undecoded_from` is where decoding stopped
// (code.size() when everything decoded).
std::vector<Instruction> Decode(const std::vector<uint8_t>& code, size_t* undecoded_from) {
  std::vector<Instruction> out;
  size_t pc = 0;
  while (pc < code.size()) {
    if (code[pc] >= kOpCount) break;
    Op op = static_cast<Op>(code[pc]);
    size_t size = static_cast<size_t>(InstructionSize(op));
    if (pc + size > code.size()) break;
    Instruction ins;
    ins.pc = static_cast<uint32_t>(pc);
    ins.op = op;
    ins.size = static_cast<uint32_t>(size);
    const OpInfo& info = InfoOf(op);
    size_t at = pc + 1;
    for (int i = 0; i < 2; ++i) {
      ins.operand[i] = ReadOperand(code, at, info.operand[i]);
      at += OperandSize(info.operand[i]);
    }
    out.push_back(ins);
    pc += size;
  }
  *undecoded_from = pc;
  return out;
}

int64_t BranchTarget(const Instruction& ins) {
  int64_t offset = ins.op == Op::kIterNext ? ins.operand[1] : ins.operand[0];
  return static_cast<int64_t>(ins.pc) + ins.size + offset;
}

// How operands that refer to module tables are printed: by name when the name picks out
// exactly one entry, by index otherwise (duplicates, out-of-range indices).
class NameTable {
 public:
  explicit NameTable(std::vector<std::string_view> names) : names_(std::move(names)) {
    for (std::string_view n : names_) ++count_[n];
  }
  std::string Ref(int64_t index) const {
    if (index >= 0 && static_cast<size_t>(index) < names_.size()) {
      std::string_view n = names_[index];
      // A bare name made only of digits cannot occur (names start with a letter), so a
      // bare or quoted name never collides with the index syntax.
      if (count_.at(n) == 1) return NameToken(n);
    }
    return std::to_string(index);
  }

 private:
  std::vector<std::string_view> names_;
  std::unordered_map<std::string_view, int> count_;
};

struct Tables {
  NameTable functions, imports, globals;
};

std::string ConstantText(const Constant& c) {
  if (const auto* i = std::get_if<int64_t>(&c)) return "int " + std::to_string(*i);
  if (const auto* d = std::get_if<double>(&c)) return "float " + asm_syntax::FormatFloat(*d);
  return "string " + Quote(std::get<std::string>(c));
}

// A short reminder of a constant's value for `const N` lines; purely a comment.
std::string ConstantHint(const Module& m, int64_t index) {
  if (index < 0 || static_cast<size_t>(index) >= m.constants.size()) return "";
  std::string text = ConstantText(m.constants[index]);
  if (text.size() > 48) text = text.substr(0, 45) + "...";
  return "  ; " + text;
}

std::string OperandText(const Tables& t, Op op, int which, int64_t v) {
  if (which == 0) {
    switch (op) {
      case Op::kCall:
      case Op::kPushFunc:
      case Op::kMakeClosure:
        return t.functions.Ref(v);
      case Op::kCallHost:
        return t.imports.Ref(v);
      case Op::kLoadGlobal:
      case Op::kStoreGlobal:
        return t.globals.Ref(v);
      case Op::kCallBuiltin:
        if (v >= 0 && v < kBuiltinCount) return std::string(kBuiltinInfo[v].name);
        return std::to_string(v);
      default:
        break;
    }
  }
  return std::to_string(v);
}

std::string InstructionText(const Module& m, const Tables& t, const Instruction& ins,
                            const std::set<uint32_t>& labels) {
  const OpInfo& info = InfoOf(ins.op);
  std::string line = "  " + std::string(info.mnemonic);
  for (int i = 0; i < 2; ++i) {
    if (info.operand[i] == OperandKind::kNone) continue;
    bool is_offset = IsBranch(ins.op) && (ins.op == Op::kIterNext ? i == 1 : i == 0);
    line += ' ';
    if (is_offset) {
      int64_t target = BranchTarget(ins);
      if (target >= 0 && labels.count(static_cast<uint32_t>(target))) {
        line += "L" + std::to_string(target);
      } else {
        line += std::to_string(ins.operand[i]);  // raw offset: target is not an instruction
      }
    } else {
      line += OperandText(t, ins.op, i, ins.operand[i]);
    }
  }
  if (ins.op == Op::kConst) line += ConstantHint(m, ins.operand[0]);
  return line + "\n";
}

std::string BytesText(const std::vector<uint8_t>& code, size_t from) {
  std::string out;
  char buf[8];
  for (size_t i = from; i < code.size(); i += 16) {
    out += "  .bytes";
    for (size_t j = i; j < code.size() && j < i + 16; ++j) {
      std::snprintf(buf, sizeof buf, " 0x%02x", code[j]);
      out += buf;
    }
    out += "\n";
  }
  return out;
}

void AppendFunction(std::string& out, const Module& m, const Tables& t, size_t index) {
  const Function& f = m.functions[index];
  out += ".func " + NameToken(f.name) + " arity=" + std::to_string(f.arity) +
         " locals=" + std::to_string(f.num_locals) +
         " captures=" + std::to_string(f.num_captures) +
         " stack=" + std::to_string(f.max_stack) + "  ; #" + std::to_string(index) + "\n";

  size_t undecoded_from = 0;
  std::vector<Instruction> code = Decode(f.code, &undecoded_from);
  std::set<uint32_t> boundaries;
  for (const Instruction& ins : code) boundaries.insert(ins.pc);
  boundaries.insert(static_cast<uint32_t>(undecoded_from));

  std::set<uint32_t> labels;
  for (const Instruction& ins : code) {
    if (!IsBranch(ins.op)) continue;
    int64_t target = BranchTarget(ins);
    if (target >= 0 && target <= static_cast<int64_t>(undecoded_from) &&
        boundaries.count(static_cast<uint32_t>(target))) {
      labels.insert(static_cast<uint32_t>(target));
    }
  }

  // Line entries are written where they apply when the table is in pc order and every
  // entry starts at an instruction; otherwise verbatim up front with explicit pcs.
  bool lines_inline = true;
  for (size_t i = 0; i < f.lines.size(); ++i) {
    if ((i > 0 && f.lines[i].pc < f.lines[i - 1].pc) || !boundaries.count(f.lines[i].pc) ||
        f.lines[i].pc > undecoded_from) {
      lines_inline = false;
    }
  }
  size_t next_line = 0;
  if (!lines_inline) {
    for (const LineEntry& e : f.lines) {
      out += "  .line " + std::to_string(e.line) + " pc=" + std::to_string(e.pc) + "\n";
    }
    next_line = f.lines.size();
  }
  auto emit_lines_at = [&](uint32_t pc) {
    while (next_line < f.lines.size() && f.lines[next_line].pc == pc) {
      out += "  .line " + std::to_string(f.lines[next_line].line) + "\n";
      ++next_line;
    }
  };

  for (const Instruction& ins : code) {
    if (labels.count(ins.pc)) out += "L" + std::to_string(ins.pc) + ":\n";
    emit_lines_at(ins.pc);
    out += InstructionText(m, t, ins, labels);
  }
  uint32_t end = static_cast<uint32_t>(undecoded_from);
  if (labels.count(end)) out += "L" + std::to_string(end) + ":\n";
  emit_lines_at(end);
  if (undecoded_from < f.code.size()) {
    out += "  ; undecodable from byte " + std::to_string(undecoded_from) + "\n";
    out += BytesText(f.code, undecoded_from);
  }
  out += ".end\n\n";
}

}  // namespace

std::string Disassemble(const Module& m) {
  std::vector<std::string_view> function_names, import_names, global_names;
  for (const Function& f : m.functions) function_names.push_back(f.name);
  for (const std::string& s : m.imports) import_names.push_back(s);
  for (const std::string& s : m.globals) global_names.push_back(s);
  Tables t{NameTable(function_names), NameTable(import_names), NameTable(global_names)};

  std::string out;
  if (!m.source_name.empty()) out += ".source " + Quote(m.source_name) + "\n";
  for (size_t i = 0; i < m.constants.size(); ++i) {
    out += ".const " + ConstantText(m.constants[i]) + "  ; #" + std::to_string(i) + "\n";
  }
  for (size_t i = 0; i < m.imports.size(); ++i) {
    out += ".import " + NameToken(m.imports[i]) + "  ; #" + std::to_string(i) + "\n";
  }
  for (size_t i = 0; i < m.globals.size(); ++i) {
    out += ".global " + NameToken(m.globals[i]) + "  ; #" + std::to_string(i) + "\n";
  }
  out += "\n";
  for (size_t i = 0; i < m.functions.size(); ++i) AppendFunction(out, m, t, i);
  for (const Export& e : m.exports) {
    out += ".export " + NameToken(e.name) + " " + t.functions.Ref(e.function) + "\n";
  }
  if (m.start_function != kNoFunction) {
    out += ".start " + t.functions.Ref(m.start_function) + "\n";
  }
  return out;
}

}  // namespace trinity::lang
