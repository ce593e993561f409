// Offsets of the runtime structures traces read, taken from live objects so they follow
// any change to value.h (the structures inherit from Obj, so offsetof is not portable).
#include "jit/trace_abi.h"

namespace trinity::jit {
namespace {

template <typename T, typename M>
int32_t OffsetOf(const T& object, const M& member) {
  return static_cast<int32_t>(reinterpret_cast<const char*>(&member) -
                              reinterpret_cast<const char*>(&object));
}

Layout Compute() {
  Layout l{};
  Value v{};
  Array a{};
  Map m{};
  MapEntry e{};
  TraceContext c{};
  l.value_size = sizeof(Value);
  l.value_payload = OffsetOf(v, v.i);
  l.array_items = OffsetOf(a, a.items);
  l.array_size = OffsetOf(a, a.size);
  l.map_entries = OffsetOf(m, m.entries);
  l.map_used = OffsetOf(m, m.used);
  l.entry_size = sizeof(MapEntry);
  l.entry_key = OffsetOf(e, e.key);
  l.entry_value = OffsetOf(e, e.value);
  l.ctx_budget = OffsetOf(c, c.budget);
  l.ctx_globals = OffsetOf(c, c.globals);
  l.ctx_safepoint_due = OffsetOf(c, c.safepoint_due);
  l.ctx_stress = OffsetOf(c, c.stress_countdown);
  return l;
}

}  // namespace

const Layout& RuntimeLayout() {
  static const Layout layout = Compute();
  return layout;
}

}  // namespace trinity::jit
