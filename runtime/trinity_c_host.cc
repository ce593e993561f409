// The C API's host functions (runtime/trinity_c.h): a C callback behind each registered
// name, and typed views of a host call's arguments. Exceptions from the runtime (a fuel
// trap while copying an argument) never unwind through the C callback: they are held and
// rethrown once it has returned.
#include <exception>
#include <new>

#include "runtime/trinity_c_bridge.h"

using trinity::HostArgs;
using trinity::HostValue;

struct trinity_call {
  const HostArgs* args;
  bool failed = false;
  std::string failure;
  std::exception_ptr pending;
};

extern "C" {

trinity_host_t* trinity_host_new(void) { return new (std::nothrow) trinity_host; }
void trinity_host_delete(trinity_host_t* host) { delete host; }

trinity_status_t trinity_host_register(trinity_host_t* host, const char* name, int arity,
                                       trinity_host_callback_t callback, void* data) {
  if (host == nullptr || name == nullptr || callback == nullptr || arity < TRINITY_VARIADIC) {
    return TRINITY_INVALID_ARGUMENT;
  }
  try {
    host->functions.Register(
        name, arity,
        [callback, data](HostArgs args) -> trinity::Result<HostValue, std::string> {
          trinity_call call{&args, false, {}, {}};
          std::unique_ptr<trinity_value_t> result(callback(data, &call));
          if (call.pending) std::rethrow_exception(call.pending);
          if (call.failed) return trinity::Err(std::move(call.failure));
          if (result == nullptr) return HostValue::Nil();
          return std::move(result->v);
        });
  } catch (const std::bad_alloc&) {
    return TRINITY_RESOURCE_ERROR;
  }
  return TRINITY_OK;
}

size_t trinity_call_argc(const trinity_call_t* call) { return call ? call->args->size() : 0; }

trinity_type_t trinity_call_arg_type(const trinity_call_t* call, size_t i) {
  if (call == nullptr || i >= call->args->size()) return TRINITY_NIL;
  return static_cast<trinity_type_t>(call->args->TypeOf(i));
}

trinity_status_t trinity_call_arg_int(const trinity_call_t* call, size_t i, int64_t* out) {
  if (out == nullptr || trinity_call_arg_type(call, i) != TRINITY_INT || i >= call->args->size()) {
    return TRINITY_INVALID_ARGUMENT;
  }
  *out = call->args->Int(i);
  return TRINITY_OK;
}

trinity_status_t trinity_call_arg_float(const trinity_call_t* call, size_t i, double* out) {
  trinity_type_t t = trinity_call_arg_type(call, i);
  if (out == nullptr || call == nullptr || i >= call->args->size() ||
      (t != TRINITY_INT && t != TRINITY_FLOAT)) {
    return TRINITY_INVALID_ARGUMENT;
  }
  *out = call->args->Number(i);
  return TRINITY_OK;
}

trinity_status_t trinity_call_arg_string(const trinity_call_t* call, size_t i,
                                         const char** bytes, size_t* len) {
  if (bytes == nullptr || call == nullptr || i >= call->args->size() ||
      trinity_call_arg_type(call, i) != TRINITY_STRING) {
    return TRINITY_INVALID_ARGUMENT;
  }
  std::string_view s = call->args->String(i);
  *bytes = s.data();
  if (len != nullptr) *len = s.size();
  return TRINITY_OK;
}

trinity_value_t* trinity_call_arg(trinity_call_t* call, size_t i) {
  if (call == nullptr || call->pending || i >= call->args->size()) return nullptr;
  try {
    return new trinity_value{call->args->Get(i)};
  } catch (...) {
    call->pending = std::current_exception();
    return nullptr;
  }
}

void trinity_call_fail(trinity_call_t* call, const char* message) {
  if (call == nullptr) return;
  call->failed = true;
  try {
    call->failure = message ? message : "host function failed";
  } catch (const std::bad_alloc&) {
    call->failure.clear();
  }
}

}  // extern "C"
