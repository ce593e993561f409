// PeelLoop (LuaJIT's LOOP pass in spirit): copy, substitute, and let CSE hoist.
#include "jit/loop_peel.h"

#include <algorithm>
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

std::variant<TraceIr, std::string> PeelLoop(const RecordedIteration& rec, FoldOptions options) {
  if (std::string why = CheckTypeStable(rec); !why.empty()) return why;
  const TraceIr& in = rec.ir;
  TraceIr out;
  IrBuilder b(out, options);

  // Preamble: the iteration as recorded, snapshots keep their numbers.
  std::vector<IrRef> pre(in.size(), kNoRef);
  for (IrRef r = 0; r < in.size(); ++r) pre[r] = b.Emit(Substituted(in[r], pre));
  for (const Snapshot& s : in.snapshots()) out.AddSnapshot(SubstitutedSnapshot(s, pre));

  // Between any load of the preamble and the same load in the body, every store of the
  // iteration has run: those loads must be done again.
  for (const IrIns& ins : in.instructions()) {
    if (ins.op == IrOp::kCallAlloc) b.KillAll();
    for (int c = 0; c < static_cast<int>(MemoryClass::kCount); ++c) {
      if (IrBuilder::Writes(ins, static_cast<MemoryClass>(c))) b.Kill(static_cast<MemoryClass>(c));
    }
  }

  IrIns loop{IrOp::kLoop};
  out.set_loop(out.Emit(loop));
  std::unordered_map<int32_t, IrRef> phi_of;
  std::vector<std::pair<IrRef, IrRef>> phis;  // phi, value at the end of the iteration
  for (const SlotValue& s : rec.final_slots) {
    IrIns phi{IrOp::kPhi};
    phi.a = Map(pre, s.ref);
    phi.type = TypeOf(out, phi.a);
    IrRef p = out.Emit(phi);
    phi_of.emplace(s.slot, p);
    phis.emplace_back(p, s.ref);
  }

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
        // In the body the frame in memory is stale for every slot the loop writes, so
        // the snapshot restores all of them: this iteration's value where it has one,
        // else the PHI (the value the previous iteration left).
        const Snapshot& s = in.snapshots()[ins.snap];
        Snapshot t = SubstitutedSnapshot(s, body);
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
        it->second = out.AddSnapshot(std::move(t));
      }
      copy.snap = it->second;
    }
    body[r] = b.Emit(copy);
  }
  for (auto& [p, end] : phis) out.at(p).b = Map(body, end);
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
