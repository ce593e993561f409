// Argument checks for the standard library: each returns the argument with the type the
// function needs, or raises a type error naming the function, the argument's position
// and the type it had.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/heap.h"
#include "runtime/value.h"

namespace trinity {

[[noreturn]] inline void ArgTypeError(std::string_view fn, int index, std::string_view wanted,
                                      const Value& got) {
  ThrowTrap(TrapKind::kTypeError, std::string(fn) + "() argument " + std::to_string(index + 1) +
                                      " must be " + std::string(wanted) + ", got " +
                                      std::string(TypeName(got.tag)));
}

inline std::string_view StringArg(std::string_view fn, const Value* args, int i) {
  if (args[i].tag != Tag::kString) ArgTypeError(fn, i, "a string", args[i]);
  return AsString(args[i])->view();
}

inline int64_t IntArg(std::string_view fn, const Value* args, int i) {
  if (args[i].tag != Tag::kInt) ArgTypeError(fn, i, "an int", args[i]);
  return args[i].i;
}

inline Map* MapArg(std::string_view fn, const Value* args, int i) {
  if (args[i].tag != Tag::kMap) ArgTypeError(fn, i, "a map", args[i]);
  return AsMap(args[i]);
}

}  // namespace trinity
