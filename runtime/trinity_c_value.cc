// The C API's owned values, errors and strings (runtime/trinity_c.h): thin wrappers over
// trinity::HostValue. Allocation failures return NULL or an error code; nothing throws
// across the C boundary.
#include <cstdlib>
#include <cstring>
#include <new>

#include "runtime/trinity_c_bridge.h"

using trinity::HostValue;

namespace trinity::c_api {

trinity_status_t Fail(trinity_error_t** error, trinity_status_t code, std::string message) {
  if (error != nullptr) *error = new (std::nothrow) trinity_error{code, std::move(message)};
  return code;
}

}  // namespace trinity::c_api

namespace {

trinity_value_t* Make(HostValue v) {
  try {
    return new trinity_value{std::move(v)};
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

// Map keys follow the language: an int and a float with the same integral value are one
// key; everything else compares by type and content.
bool SameKey(const HostValue& a, const HostValue& b) {
  using T = HostValue::Type;
  if (a.type == T::kInt && b.type == T::kFloat) return static_cast<double>(a.i) == b.f;
  if (a.type == T::kFloat && b.type == T::kInt) return a.f == static_cast<double>(b.i);
  return a == b;
}

}  // namespace

extern "C" {

trinity_status_t trinity_error_code(const trinity_error_t* error) {
  return error ? error->code : TRINITY_INVALID_ARGUMENT;
}
const char* trinity_error_message(const trinity_error_t* error) {
  return error ? error->message.c_str() : "";
}
void trinity_error_delete(trinity_error_t* error) { delete error; }

const char* trinity_status_name(trinity_status_t status) {
  switch (status) {
    case TRINITY_OK: return "ok";
    case TRINITY_INVALID_ARGUMENT: return "invalid argument";
    case TRINITY_LOAD_ERROR: return "load error";
    case TRINITY_COMPILE_ERROR: return "compile error";
    case TRINITY_LINK_ERROR: return "link error";
    case TRINITY_RESOURCE_ERROR: return "resource error";
    case TRINITY_TRAP: return "trap";
    case TRINITY_UNAVAILABLE: return "unavailable";
  }
  return "unknown status";
}

trinity_value_t* trinity_value_nil(void) { return Make(HostValue::Nil()); }
trinity_value_t* trinity_value_bool(int b) { return Make(HostValue::Bool(b != 0)); }
trinity_value_t* trinity_value_int(int64_t i) { return Make(HostValue::Int(i)); }
trinity_value_t* trinity_value_float(double f) { return Make(HostValue::Float(f)); }
trinity_value_t* trinity_value_handle(int64_t id) { return Make(HostValue::Handle(id)); }

trinity_value_t* trinity_value_string(const char* bytes, size_t len) {
  if (bytes == nullptr && len != 0) return nullptr;
  try {
    return Make(HostValue::String(std::string(bytes ? bytes : "", len)));
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

trinity_value_t* trinity_value_array(void) { return Make(HostValue::Array({})); }

trinity_value_t* trinity_value_map(void) {
  HostValue v;
  v.type = HostValue::Type::kMap;
  return Make(std::move(v));
}

trinity_value_t* trinity_value_clone(const trinity_value_t* v) {
  if (v == nullptr) return nullptr;
  try {
    return Make(v->v);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

void trinity_value_delete(trinity_value_t* v) { delete v; }

trinity_status_t trinity_value_array_push(trinity_value_t* array, trinity_value_t* item) {
  std::unique_ptr<trinity_value_t> owned(item);
  if (array == nullptr || item == nullptr || array->v.type != HostValue::Type::kArray) {
    return TRINITY_INVALID_ARGUMENT;
  }
  try {
    array->v.items.push_back(std::move(item->v));
  } catch (const std::bad_alloc&) {
    return TRINITY_RESOURCE_ERROR;
  }
  return TRINITY_OK;
}

trinity_status_t trinity_value_map_set(trinity_value_t* map, trinity_value_t* key,
                                       trinity_value_t* value) {
  std::unique_ptr<trinity_value_t> owned_key(key), owned_value(value);
  if (map == nullptr || key == nullptr || value == nullptr ||
      map->v.type != HostValue::Type::kMap) {
    return TRINITY_INVALID_ARGUMENT;
  }
  switch (key->v.type) {
    case HostValue::Type::kBool:
    case HostValue::Type::kInt:
    case HostValue::Type::kString:
      break;
    case HostValue::Type::kFloat:
      if (key->v.f != key->v.f) return TRINITY_INVALID_ARGUMENT;  // NaN is no key
      break;
    default:
      return TRINITY_INVALID_ARGUMENT;  // as in the language: nil/containers are no keys
  }
  for (auto& [k, v] : map->v.entries) {
    if (SameKey(k, key->v)) {
      v = std::move(value->v);
      return TRINITY_OK;
    }
  }
  try {
    map->v.entries.emplace_back(std::move(key->v), std::move(value->v));
  } catch (const std::bad_alloc&) {
    return TRINITY_RESOURCE_ERROR;
  }
  return TRINITY_OK;
}

trinity_status_t trinity_value_map_set_string(trinity_value_t* map, const char* key,
                                              size_t key_len, trinity_value_t* value) {
  trinity_value_t* k = trinity_value_string(key, key_len);
  if (k == nullptr) {
    delete value;
    return key == nullptr ? TRINITY_INVALID_ARGUMENT : TRINITY_RESOURCE_ERROR;
  }
  return trinity_value_map_set(map, k, value);
}

trinity_type_t trinity_value_type(const trinity_value_t* v) {
  return v ? static_cast<trinity_type_t>(v->v.type) : TRINITY_NIL;
}

const char* trinity_type_name(trinity_type_t type) {
  switch (type) {
    case TRINITY_NIL: return "nil";
    case TRINITY_BOOL: return "bool";
    case TRINITY_INT: return "int";
    case TRINITY_FLOAT: return "float";
    case TRINITY_STRING: return "string";
    case TRINITY_ARRAY: return "array";
    case TRINITY_MAP: return "map";
    case TRINITY_FUNCTION: return "function";
    case TRINITY_HANDLE: return "handle";
  }
  return "unknown";
}

int trinity_value_as_bool(const trinity_value_t* v) {
  return v != nullptr && v->v.type == HostValue::Type::kBool && v->v.b;
}

int64_t trinity_value_as_int(const trinity_value_t* v) {
  if (v == nullptr) return 0;
  return v->v.type == HostValue::Type::kInt || v->v.type == HostValue::Type::kHandle ? v->v.i : 0;
}

double trinity_value_as_float(const trinity_value_t* v) {
  if (v == nullptr) return 0;
  if (v->v.type == HostValue::Type::kFloat) return v->v.f;
  if (v->v.type == HostValue::Type::kInt) return static_cast<double>(v->v.i);
  return 0;
}

const char* trinity_value_as_string(const trinity_value_t* v, size_t* len) {
  if (v == nullptr ||
      (v->v.type != HostValue::Type::kString && v->v.type != HostValue::Type::kFunction)) {
    if (len != nullptr) *len = 0;
    return nullptr;
  }
  if (len != nullptr) *len = v->v.s.size();
  return v->v.s.c_str();
}

size_t trinity_value_len(const trinity_value_t* v) {
  if (v == nullptr) return 0;
  if (v->v.type == HostValue::Type::kArray) return v->v.items.size();
  if (v->v.type == HostValue::Type::kMap) return v->v.entries.size();
  return 0;
}

const trinity_value_t* trinity_value_array_get(const trinity_value_t* array, size_t i) {
  if (array == nullptr || array->v.type != HostValue::Type::kArray || i >= array->v.items.size()) {
    return nullptr;
  }
  // trinity_value is standard-layout with HostValue as its only member.
  return reinterpret_cast<const trinity_value_t*>(&array->v.items[i]);
}

const trinity_value_t* trinity_value_map_key(const trinity_value_t* map, size_t i) {
  if (map == nullptr || map->v.type != HostValue::Type::kMap || i >= map->v.entries.size()) {
    return nullptr;
  }
  return reinterpret_cast<const trinity_value_t*>(&map->v.entries[i].first);
}

const trinity_value_t* trinity_value_map_value(const trinity_value_t* map, size_t i) {
  if (map == nullptr || map->v.type != HostValue::Type::kMap || i >= map->v.entries.size()) {
    return nullptr;
  }
  return reinterpret_cast<const trinity_value_t*>(&map->v.entries[i].second);
}

const trinity_value_t* trinity_value_map_get_string(const trinity_value_t* map, const char* key,
                                                    size_t key_len) {
  if (map == nullptr || key == nullptr || map->v.type != HostValue::Type::kMap) return nullptr;
  std::string_view wanted(key, key_len);
  for (const auto& [k, v] : map->v.entries) {
    if (k.type == HostValue::Type::kString && k.s == wanted) {
      return reinterpret_cast<const trinity_value_t*>(&v);
    }
  }
  return nullptr;
}

char* trinity_value_to_string(const trinity_value_t* v, size_t* len) {
  if (v == nullptr) return nullptr;
  try {
    std::string text = v->v.ToString();
    char* out = static_cast<char*>(std::malloc(text.size() + 1));
    if (out == nullptr) return nullptr;
    std::memcpy(out, text.data(), text.size());
    out[text.size()] = '\0';
    if (len != nullptr) *len = text.size();
    return out;
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

void trinity_string_free(char* s) { std::free(s); }

}  // extern "C"

static_assert(std::is_standard_layout_v<trinity_value>);
static_assert(sizeof(trinity_value) == sizeof(HostValue));
