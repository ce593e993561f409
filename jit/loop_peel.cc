// PeelLoop (LuaJIT's LOOP pass in spirit): copy, substitute, and let CSE hoist.
#include "jit/loop_peel.h"

#include <algorithm>
#include <map>
#include <unordered_map>

namespace trinity::jit {
namespace {

IrRef Map(const std::vector<IrRef>& m, IrRef r) { return r == kNoRef ? kNoRef : m[r]; }

IrIns Substituted(const IrIns& ins, const std::vector<IrRef>& m) {
  IrIns out = ins;
  out.a = Map(m, ins.a);
  out.b = Map(m, ins.b);
  out.c = Map(m, ins.c);
  return out;
}

Snapshot SubstitutedSnapshot(const Snapshot& s, const std::vector<IrRef>& m) {
  Snapshot out = s;
  for (SnapEntry& e : out.entries) e.ref = Map(m, e.ref);
  return out;
}

Tag TypeOf(const TraceIr& ir, IrRef r) { return r == kNoRef ? Tag::kNil : ir[r].type; }

// The types each read-before-written slot was specialised for must be the types the
// iteration leaves in it, or the next iteration would start from a different state.
std::string CheckTypeStable(const RecordedIteration& rec) {
  std::unordered_map<int32_t, Tag> entry;
  for (const IrIns& ins : rec.ir.instructions()) {
    if (ins.op == IrOp::kSLoad) entry.emplace(static_cast<int32_t>(ins.imm), ins.type);
  }
  for (const SlotValue& s : rec.final_slots) {
    auto it = entry.find(s.slot);
    if (it == entry.end()) continue;
    const Tag end = TypeOf(rec.ir, s.ref);
    if (end != it->second) {
      return "slot " + std::to_string(s.slot / 16) + " starts the loop as " +
             std::string(TypeName(it->second)) + " and ends it as " + std::string(TypeName(end));
    }
  }
  return "";
}

}  // namespace

// The final value of every slot a side segment writes: the entries of its linking exit.
const Snapshot* LinkSnapshot(const SideSegment& side) {
  if (side.ir.size() == 0) return nullptr;
  const IrIns& last = side.ir[static_cast<IrRef>(side.ir.size() - 1)];
  if (last.op != IrOp::kExit) return nullptr;
  return &side.ir.snapshots()[last.snap];
}

std::variant<TraceIr, std::string> PeelLoop(const RecordedIteration& rec, FoldOptions options,
                                            const std::vector<SideSegment>& sides) {
  if (std::string why = CheckTypeStable(rec); !why.empty()) return why;
  const TraceIr& in = rec.ir;
  TraceIr out;
  IrBuilder b(out, options);

  // Every slot any path writes is carried around the loop, with the type all paths agree on.
  std::map<int32_t, Tag> carried;
  std::unordered_map<int32_t, IrRef> root_final;
  for (const SlotValue& s : rec.final_slots) {
    carried[s.slot] = TypeOf(in, s.ref);
    root_final.emplace(s.slot, s.ref);
  }
  for (const SideSegment& side : sides) {
    const Snapshot* link = LinkSnapshot(side);
    if (link == nullptr || side.at >= in.snapshots().size()) return std::string("malformed side path");
    for (const SnapEntry& e : link->entries) {
      const Tag t = TypeOf(side.ir, e.ref);
      auto [it, fresh] = carried.emplace(e.slot, t);
      if (!fresh && it->second != t) {
        return "slot " + std::to_string(e.slot / 16) + " is " + std::string(TypeName(it->second)) +
               " on one path of the loop and " + std::string(TypeName(t)) + " on another";
      }
    }
  }
  std::unordered_map<int32_t, IrRef> entry_load;  // slot -> the iteration's SLoad of it
  for (IrRef r = 0; r < in.size(); ++r) {
    if (in[r].op == IrOp::kSLoad) entry_load.emplace(static_cast<int32_t>(in[r].imm), r);
  }

  // Snapshots of the preamble keep their numbers (their values are filled in below).
  for (const Snapshot& s : in.snapshots()) out.AddSnapshot(s);
  out.snap_origin().assign(out.snapshots().size(), -1);

  // A slot only a side path writes enters the loop with the value in the frame: load it
  // first, before anything is written (leaving at the loop header if its type is not the
  // one the paths expect).
  std::unordered_map<int32_t, IrRef> extra_entry;
  for (const auto& [slot, type] : carried) {
    if (root_final.count(slot) || entry_load.count(slot)) continue;
    IrIns load{IrOp::kSLoad};
    load.type = type;
    load.imm = slot;
    load.snap = out.AddSnapshot(rec.entry);
    out.snap_origin().push_back(-1);
    extra_entry.emplace(slot, out.Emit(load));
  }

  // Preamble: the iteration as recorded.
  std::vector<IrRef> pre(in.size(), kNoRef);
  for (IrRef r = 0; r < in.size(); ++r) pre[r] = b.Emit(Substituted(in[r], pre));
  for (uint32_t i = 0; i < in.snapshots().size(); ++i) {
    out.snapshots()[i] = SubstitutedSnapshot(in.snapshots()[i], pre);
  }
  auto entry_value = [&](int32_t slot) -> IrRef {
    if (auto it = root_final.find(slot); it != root_final.end()) return Map(pre, it->second);
    if (auto it = entry_load.find(slot); it != entry_load.end()) return pre[it->second];
    return extra_entry.at(slot);
  };
  for (const auto& [slot, type] : carried) {
    if (TypeOf(out, entry_value(slot)) != type) {
      return "slot " + std::to_string(slot / 16) + " enters the loop as " +
             std::string(TypeName(TypeOf(out, entry_value(slot)))) + " but a path leaves it " +
             std::string(TypeName(type));
    }
  }

  // Between any load of the preamble and the same load in the body, every store of the
  // iteration has run: those loads must be done again.
  auto kill_written = [&](const TraceIr& ir) {
    for (const IrIns& ins : ir.instructions()) {
      if (ins.op == IrOp::kCallAlloc) b.KillAll();
      for (int c = 0; c < static_cast<int>(MemoryClass::kCount); ++c) {
        if (IrBuilder::Writes(ins, static_cast<MemoryClass>(c))) b.Kill(static_cast<MemoryClass>(c));
      }
    }
  };
  kill_written(in);
  for (const SideSegment& side : sides) kill_written(side.ir);

  IrIns loop{IrOp::kLoop};
  out.set_loop(out.Emit(loop));
  std::map<int32_t, IrRef> phi_of;
  for (const auto& [slot, type] : carried) {
    IrIns phi{IrOp::kPhi};
    phi.a = entry_value(slot);
    phi.type = type;
    phi_of.emplace(slot, out.Emit(phi));
  }
  // A snapshot inside the loop restores every carried slot: the value the path has given
  // it so far, else the PHI (what the previous iteration left).
  auto loop_snapshot = [&](const Snapshot& s, const std::vector<IrRef>& m,
                           const std::unordered_map<int32_t, IrRef>* current) {
    Snapshot t = SubstitutedSnapshot(s, m);
    std::unordered_map<int32_t, IrRef> have;
    if (current != nullptr) have = *current;
    for (const SnapEntry& e : t.entries) have[e.slot] = e.ref;
    t.entries.clear();
    for (const auto& [slot, phi] : phi_of) {
      auto h = have.find(slot);
      t.entries.push_back({slot, h != have.end() ? h->second : phi});
    }
    for (const auto& [slot, ref] : have) {
      if (!phi_of.count(slot)) t.entries.push_back({slot, ref});
    }
    std::sort(t.entries.begin(), t.entries.end(),
              [](const SnapEntry& x, const SnapEntry& y) { return x.slot < y.slot; });
    return t;
  };

  // Body: the iteration again, slots written in the loop read through their PHIs.
  std::vector<IrRef> body(in.size(), kNoRef);
  std::unordered_map<uint32_t, uint32_t> body_snap;
  for (IrRef r = 0; r < in.size(); ++r) {
    const IrIns& ins = in[r];
    if (ins.op == IrOp::kSLoad) {
      auto it = phi_of.find(static_cast<int32_t>(ins.imm));
      body[r] = it != phi_of.end() ? it->second : pre[r];
      continue;
    }
    IrIns copy = Substituted(ins, body);
    if (ins.snap < in.snapshots().size() && UsesSnapshot(ins.op)) {
      auto [it, fresh] = body_snap.emplace(ins.snap, 0);
      if (fresh) {
        it->second = out.AddSnapshot(loop_snapshot(in.snapshots()[ins.snap], body, nullptr));
        out.snap_origin().push_back(static_cast<int32_t>(ins.snap));
      }
      copy.snap = it->second;
    }
    body[r] = b.Emit(copy);
  }
  for (const auto& [slot, phi] : phi_of) {
    auto it = root_final.find(slot);
    out.at(phi).b = it != root_final.end() ? Map(body, it->second) : phi;
  }

  // Side paths, after the loop's own back-edge. Each starts from the state of the body
  // snapshot it continues: its loads of a slot read that snapshot's value for it.
  for (const SideSegment& side : sides) {
    auto attach = body_snap.find(side.at);
    if (attach == body_snap.end()) return std::string("a side path continues an exit the loop body lost");
    const Snapshot& from = out.snapshots()[attach->second];
    std::unordered_map<int32_t, IrRef> state;
    for (const SnapEntry& e : from.entries) state[e.slot] = e.ref;
    TreeSide tree;
    tree.snap = attach->second;
    tree.first = static_cast<IrRef>(out.size());
    // A fresh builder: nothing the body computes after the exit point may be reused here.
    IrBuilder sb(out, options);
    std::vector<IrRef> m(side.ir.size(), kNoRef);
    std::unordered_map<int32_t, IrRef> written;
    const IrRef end = static_cast<IrRef>(side.ir.size() - 1);  // the linking exit
    for (IrRef r = 0; r < end; ++r) {
      const IrIns& ins = side.ir[r];
      if (ins.op == IrOp::kSLoad) {
        const int32_t slot = static_cast<int32_t>(ins.imm);
        if (auto it = state.find(slot); it != state.end()) {
          if (TypeOf(out, it->second) != ins.type) return std::string("a side path expects another type");
          m[r] = it->second;
          continue;
        }
        if (auto it = entry_load.find(slot); it != entry_load.end() && pre[it->second] != kNoRef &&
            TypeOf(out, pre[it->second]) == ins.type) {
          m[r] = pre[it->second];  // never written in the loop: what the frame held at entry
          continue;
        }
      }
      IrIns copy = Substituted(ins, m);
      if (UsesSnapshot(ins.op)) {
        // Written slots of the path so far come from the side's own snapshot entries.
        copy.snap = out.AddSnapshot(loop_snapshot(side.ir.snapshots()[ins.snap], m, &state));
        out.snap_origin().push_back(-1);
      }
      m[r] = sb.Emit(copy);
    }
    for (const SnapEntry& e : LinkSnapshot(side)->entries) written[e.slot] = Map(m, e.ref);
    for (const auto& [slot, phi] : phi_of) {
      IrRef next;
      if (auto w = written.find(slot); w != written.end()) {
        next = w->second;
      } else {
        next = state.at(slot);
      }
      tree.moves.emplace_back(phi, next);
    }
    tree.last = static_cast<IrRef>(out.size() - 1);
    if (tree.last + 1 == tree.first) return std::string("an empty side path");
    out.sides().push_back(std::move(tree));
  }
  return out;
}

std::variant<TraceIr, std::string> LoopWithoutPeeling(const RecordedIteration& rec) {
  if (std::string why = CheckTypeStable(rec); !why.empty()) return why;
  // Loads of every slot the loop writes move in front of the marker; the body reads the
  // PHIs instead, and every snapshot restores every written slot.
  const TraceIr& in = rec.ir;
  TraceIr out;
  std::vector<IrRef> m(in.size(), kNoRef);
  std::unordered_map<int32_t, IrRef> entry;  // slot -> its load before the loop
  // The recorded snapshots keep their numbers; hoisted loads leave through one that
  // resumes at the loop header, since nothing of the iteration has run yet.
  for (const Snapshot& s : in.snapshots()) out.AddSnapshot(s);
  const uint32_t at_header = out.AddSnapshot(rec.entry);
  for (IrRef r = 0; r < in.size(); ++r) {
    if (in[r].op == IrOp::kSLoad) {
      IrIns load = in[r];
      load.snap = at_header;
      m[r] = out.Emit(load);
      entry.emplace(static_cast<int32_t>(in[r].imm), m[r]);
    }
  }
  std::unordered_map<int32_t, IrRef> phi_of;
  std::vector<std::pair<IrRef, IrRef>> phis;
  std::vector<IrIns> pending_phis;
  IrIns loop{IrOp::kLoop};
  out.set_loop(out.Emit(loop));
  for (const SlotValue& s : rec.final_slots) {
    auto e = entry.find(s.slot);
    if (e == entry.end()) {
      return std::string("slot ") + std::to_string(s.slot / 16) +
             " is written before it is read; only the LOOP pass can carry it";
    }
    IrIns phi{IrOp::kPhi};
    phi.a = e->second;
    phi.type = out[e->second].type;
    IrRef p = out.Emit(phi);
    phi_of.emplace(s.slot, p);
    phis.emplace_back(p, s.ref);
  }
  for (IrRef r = 0; r < in.size(); ++r) {
    if (in[r].op == IrOp::kSLoad) {
      auto it = phi_of.find(static_cast<int32_t>(in[r].imm));
      m[r] = it != phi_of.end() ? it->second : m[r];
      continue;
    }
    m[r] = out.Emit(Substituted(in[r], m));
  }
  for (uint32_t i = 0; i < in.snapshots().size(); ++i) {
    Snapshot t = SubstitutedSnapshot(in.snapshots()[i], m);
    std::unordered_map<int32_t, IrRef> have;
    for (const SnapEntry& e : t.entries) have.emplace(e.slot, e.ref);
    t.entries.clear();
    for (const SlotValue& sv : rec.final_slots) {
      auto h = have.find(sv.slot);
      t.entries.push_back({sv.slot, h != have.end() ? h->second : phi_of.at(sv.slot)});
    }
    for (const auto& [slot, ref] : have) {
      if (!phi_of.count(slot)) t.entries.push_back({slot, ref});
    }
    std::sort(t.entries.begin(), t.entries.end(),
              [](const SnapEntry& x, const SnapEntry& y) { return x.slot < y.slot; });
    out.snapshots()[i] = std::move(t);
  }
  for (auto& [p, end] : phis) out.at(p).b = Map(m, end);
  return out;
}

}  // namespace trinity::jit
