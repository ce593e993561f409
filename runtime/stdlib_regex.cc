// Regular expressions on RE2 (linear-time matching, no backtracking): re.match, re.find,
// re.find_all, re.gsub, re.replace, re.split, re.quote. The subject comes first, as in
// find()/split()/replace(). Fuel: every byte a search scans, scaled by the size of the
// pattern's program (the cost of RE2's slower engines). One RE2 search cannot be
// interrupted; the limits are checked before the first one and between searches.
#include <map>
#include <string>
#include <vector>

#include "runtime/stdlib.h"
#include "runtime/stdlib_args.h"
#include "runtime/stdlib_meter.h"
#include "runtime/stdlib_regex_cache.h"

namespace trinity {
namespace {

using re2::StringPiece;

// The matches gsub, find_all and split visit, left to right, as RE2::GlobalReplace finds
// them: after an empty match the search moves on by one character, and an empty match
// right where the previous match ended is skipped.
class MatchWalker {
 public:
  MatchWalker(WorkMeter& meter, const RE2& re, std::string_view subject, int groups)
      : meter_(meter), re_(re), subject_(subject.data(), subject.size()), groups_(static_cast<size_t>(groups)) {
    // One unit per byte scanned, plus one per 256 bytes for every 256 program instructions.
    scale_ = 1 + static_cast<uint64_t>(re.ProgramSize()) / 256;
  }

  // The next match into groups(); false when there is none.
  bool Next() {
    if (!have_last_) meter_.Check();
    while (pos_ <= subject_.size()) {
      bool found = re_.Match(subject_, pos_, subject_.size(), RE2::UNANCHORED, groups_.data(),
                             static_cast<int>(groups_.size()));
      // RE2 scans about up to the end of the match it finds (or the whole rest).
      size_t end = found ? static_cast<size_t>(groups_[0].data() - subject_.data()) + groups_[0].size()
                         : subject_.size();
      meter_.Add((end - pos_) * scale_ + 1);
      if (!found) return false;
      size_t begin = end - groups_[0].size();
      if (begin == end && have_last_ && begin == last_end_) {
        // Skip one UTF-8 character and search again.
        if (begin >= subject_.size()) return false;
        pos_ = begin + 1;
        while (pos_ < subject_.size() && (static_cast<unsigned char>(subject_[pos_]) & 0xC0) == 0x80) ++pos_;
        continue;
      }
      match_begin_ = begin;
      pos_ = last_end_ = end;
      have_last_ = true;
      return true;
    }
    return false;
  }

  const std::vector<StringPiece>& groups() const { return groups_; }
  size_t match_begin() const { return match_begin_; }
  size_t match_end() const { return last_end_; }

 private:
  WorkMeter& meter_;
  const RE2& re_;
  StringPiece subject_;
  std::vector<StringPiece> groups_;
  uint64_t scale_;
  size_t pos_ = 0;
  size_t match_begin_ = 0;
  size_t last_end_ = 0;
  bool have_last_ = false;
};

Value GroupValue(Instance::Impl& vm, const StringPiece& g) {
  if (g.data() == nullptr) return Value::Nil();  // the group did not take part
  return vm.NewStringValue(std::string_view(g.data(), g.size()));
}

// {0: whole match, 1: group 1, ..., name: group} — the shape of ngx.re.match's result;
// named groups follow the numbered ones in the order they appear in the pattern.
Value CapturesMap(Instance::Impl& vm, const RE2& re, const std::vector<StringPiece>& groups) {
  Heap& heap = vm.heap;
  const std::map<int, std::string>& names = re.CapturingGroupNames();
  Map* m = heap.NewMap(static_cast<uint32_t>(groups.size() + names.size()));
  std::vector<Value> values;
  values.reserve(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    values.push_back(GroupValue(vm, groups[i]));
    heap.MapSet(m, Value::Int(static_cast<int64_t>(i)), values.back());
  }
  for (const auto& [index, name] : names) {
    heap.MapSet(m, vm.NewStringValue(name), values[static_cast<size_t>(index)]);
  }
  return Value::Object(Tag::kMap, m);
}

// Appends `rewrite` with \0..\9 replaced by the groups; CheckRewriteString has accepted it.
void AppendRewrite(OutputBuffer& out, std::string_view rewrite, const std::vector<StringPiece>& groups) {
  size_t need = 0;
  for (size_t i = 0; i < rewrite.size(); ++i) {
    if (rewrite[i] == '\\' && i + 1 < rewrite.size()) {
      char c = rewrite[++i];
      need += c >= '0' && c <= '9' ? groups[static_cast<size_t>(c - '0')].size() : 1;
    } else {
      ++need;
    }
  }
  out.Reserve(need);
  std::string& t = out.text();
  for (size_t i = 0; i < rewrite.size(); ++i) {
    if (rewrite[i] == '\\' && i + 1 < rewrite.size()) {
      char c = rewrite[++i];
      if (c >= '0' && c <= '9') {
        const StringPiece& g = groups[static_cast<size_t>(c - '0')];
        t.append(g.data() == nullptr ? "" : std::string_view(g.data(), g.size()));
      } else {
        t.push_back(c);  // "\\"
      }
    } else {
      t.push_back(rewrite[i]);
    }
  }
  out.Meter();
}

Value Substitute(Instance::Impl& vm, Value* args, bool global, std::string_view fn) {
  std::string_view s = StringArg(fn, args, 0);
  std::string_view pattern = StringArg(fn, args, 1);
  std::string_view rewrite = StringArg(fn, args, 2);
  WorkMeter meter(vm, fn);
  const RE2& re = CompiledPattern(meter, pattern);
  std::string error;
  if (!re.CheckRewriteString(StringPiece(rewrite.data(), rewrite.size()), &error)) {
    ThrowTrap(TrapKind::kError, std::string(fn) + "(): " + error);
  }
  int groups = 1 + RE2::MaxSubmatch(StringPiece(rewrite.data(), rewrite.size()));
  MatchWalker walker(meter, re, s, groups);
  OutputBuffer out(meter);
  size_t copied = 0;
  bool replaced = false;
  while (walker.Next()) {
    out.Append(s.substr(copied, walker.match_begin() - copied));
    AppendRewrite(out, rewrite, walker.groups());
    copied = walker.match_end();
    replaced = true;
    if (!global) break;
  }
  if (!replaced) return args[0];
  out.Append(s.substr(copied));
  return out.Finish();
}

}  // namespace

Value Library_kReMatch(Instance::Impl& vm, Value* args, int) {
  std::string_view s = StringArg("re.match", args, 0);
  std::string_view pattern = StringArg("re.match", args, 1);
  WorkMeter meter(vm, "re.match");
  const RE2& re = CompiledPattern(meter, pattern);
  meter.Add(s.size() * (1 + static_cast<uint64_t>(re.ProgramSize()) / 256));
  meter.Check();
  return Value::Bool(re.Match(StringPiece(s.data(), s.size()), 0, s.size(), RE2::UNANCHORED, nullptr, 0));
}

Value Library_kReFind(Instance::Impl& vm, Value* args, int argc) {
  std::string_view s = StringArg("re.find", args, 0);
  std::string_view pattern = StringArg("re.find", args, 1);
  int64_t start = argc == 3 ? IntArg("re.find", args, 2) : 0;
  if (start < 0) start = 0;
  WorkMeter meter(vm, "re.find");
  const RE2& re = CompiledPattern(meter, pattern);
  if (static_cast<uint64_t>(start) > s.size()) return Value::Nil();
  meter.Add((s.size() - static_cast<size_t>(start)) * (1 + static_cast<uint64_t>(re.ProgramSize()) / 256));
  meter.Check();
  std::vector<StringPiece> groups(static_cast<size_t>(1 + re.NumberOfCapturingGroups()));
  if (!re.Match(StringPiece(s.data(), s.size()), static_cast<size_t>(start), s.size(), RE2::UNANCHORED,
                groups.data(), static_cast<int>(groups.size()))) {
    return Value::Nil();
  }
  return CapturesMap(vm, re, groups);
}

Value Library_kReFindAll(Instance::Impl& vm, Value* args, int) {
  std::string_view s = StringArg("re.find_all", args, 0);
  std::string_view pattern = StringArg("re.find_all", args, 1);
  WorkMeter meter(vm, "re.find_all");
  const RE2& re = CompiledPattern(meter, pattern);
  MatchWalker walker(meter, re, s, 1 + re.NumberOfCapturingGroups());
  Array* out = vm.heap.NewArray(0);
  while (walker.Next()) vm.heap.ArrayPush(out, CapturesMap(vm, re, walker.groups()));
  return Value::Object(Tag::kArray, out);
}

Value Library_kReGsub(Instance::Impl& vm, Value* args, int) { return Substitute(vm, args, true, "re.gsub"); }

Value Library_kReReplace(Instance::Impl& vm, Value* args, int) {
  return Substitute(vm, args, false, "re.replace");
}

Value Library_kReSplit(Instance::Impl& vm, Value* args, int argc) {
  std::string_view s = StringArg("re.split", args, 0);
  std::string_view pattern = StringArg("re.split", args, 1);
  int64_t limit = argc == 3 ? IntArg("re.split", args, 2) : -1;
  if (argc == 3 && limit < 1) ThrowTrap(TrapKind::kError, "re.split(): limit must be at least 1");
  WorkMeter meter(vm, "re.split");
  const RE2& re = CompiledPattern(meter, pattern);
  MatchWalker walker(meter, re, s, 1);
  Array* out = vm.heap.NewArray(0);
  size_t piece = 0;
  while ((limit < 0 || static_cast<int64_t>(out->size) + 1 < limit) && walker.Next()) {
    vm.heap.ArrayPush(out, vm.NewStringValue(s.substr(piece, walker.match_begin() - piece)));
    piece = walker.match_end();
  }
  vm.heap.ArrayPush(out, vm.NewStringValue(s.substr(piece)));
  return Value::Object(Tag::kArray, out);
}

Value Library_kReQuote(Instance::Impl& vm, Value* args, int) {
  std::string_view s = StringArg("re.quote", args, 0);
  WorkMeter meter(vm, "re.quote");
  // QuoteMeta at most doubles its input (a NUL becomes four bytes: \x00).
  HeapCharge charge(vm.heap);
  charge.Set(s.size() * 4);
  meter.Add(s.size());
  return vm.NewStringValue(RE2::QuoteMeta(StringPiece(s.data(), s.size())));
}

}  // namespace trinity
