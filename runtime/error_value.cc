// The value a plugin's catch block receives: a map with the trap's kind (as TrapKindName
// spells it), message, function and line. Shared by every execution tier (opcodes.h).
#include "runtime/interpreter.h"

namespace trinity {

Value Instance::Impl::NewErrorValue(const Trap& trap) {
  // Not reachable from a root while it is built; the collector runs only at safepoints.
  Map* m = heap.NewMap(4);
  heap.MapSet(m, NewStringValue("kind"), NewStringValue(TrapKindName(trap.kind)));
  heap.MapSet(m, NewStringValue("message"), NewStringValue(trap.message));
  heap.MapSet(m, NewStringValue("function"), NewStringValue(trap.function));
  heap.MapSet(m, NewStringValue("line"), Value::Int(trap.line));
  return Value::Object(Tag::kMap, m);
}

}  // namespace trinity
