// The C API's modules, instances, limits and traps (runtime/trinity_c.h), over the C++
// embedding API in runtime/trinity.h and nothing below it.
#include <new>
#include <vector>

#include "runtime/module.h"
#include "runtime/trinity_c_bridge.h"

using trinity::HostValue;

struct trinity_trap {
  trinity::Trap trap;
  std::string text;  // ToString(), made once
};

namespace trinity::c_api {

InstanceOptions OptionsFrom(const trinity_instance_config_t* config) {
  InstanceOptions options;
  if (config == nullptr) return options;
  options.limits.fuel = config->limits.fuel;
  options.limits.max_heap_bytes = static_cast<size_t>(config->limits.max_heap_bytes);
  options.limits.max_depth = config->limits.max_depth;
  options.limits.timeout = std::chrono::milliseconds(config->limits.timeout_ms);
  options.limits.max_stack_bytes = static_cast<size_t>(config->limits.max_stack_bytes);
  if (config->print != nullptr) {
    trinity_print_callback_t print = config->print;
    void* data = config->print_data;
    options.print = [print, data](std::string_view s) { print(data, s.data(), s.size()); };
  }
  return options;
}

}  // namespace trinity::c_api

namespace {

using trinity::c_api::Fail;

void ToC(const trinity::Limits& in, trinity_limits_t* out) {
  out->fuel = in.fuel;
  out->max_heap_bytes = in.max_heap_bytes;
  out->max_depth = in.max_depth;
  out->timeout_ms = static_cast<uint32_t>(in.timeout.count());
  out->max_stack_bytes = in.max_stack_bytes;
}

}  // namespace

extern "C" {

trinity_status_t trinity_module_load(const uint8_t* bytes, size_t len, trinity_module_t** out,
                                     trinity_error_t** error) {
  if (out == nullptr || (bytes == nullptr && len != 0)) {
    return Fail(error, TRINITY_INVALID_ARGUMENT, "trinity_module_load: no bytes or no result");
  }
  try {
    auto loaded = trinity::LoadModule(std::span<const uint8_t>(bytes, len));
    if (!loaded) return Fail(error, TRINITY_LOAD_ERROR, loaded.error().ToString());
    *out = new trinity_module{std::move(loaded.value())};
  } catch (const std::bad_alloc&) {
    return Fail(error, TRINITY_RESOURCE_ERROR, "out of memory loading a module");
  }
  return TRINITY_OK;
}

void trinity_module_delete(trinity_module_t* module) { delete module; }

int trinity_module_has_export(const trinity_module_t* module, const char* name, uint32_t* arity) {
  if (module == nullptr || name == nullptr) return 0;
  uint32_t f = module->module->FindExport(name);
  if (f == trinity::kNoFunction) return 0;
  if (arity != nullptr) *arity = module->module->functions[f].arity;
  return 1;
}

void trinity_limits_init(trinity_limits_t* limits) {
  if (limits != nullptr) ToC(trinity::Limits{}, limits);
}

void trinity_instance_config_init(trinity_instance_config_t* config) {
  if (config == nullptr) return;
  trinity_limits_init(&config->limits);
  config->print = nullptr;
  config->print_data = nullptr;
}

trinity_status_t trinity_instance_new(const trinity_module_t* module, const trinity_host_t* host,
                                      const trinity_instance_config_t* config,
                                      trinity_instance_t** out, trinity_error_t** error) {
  if (module == nullptr || host == nullptr || out == nullptr) {
    return Fail(error, TRINITY_INVALID_ARGUMENT, "trinity_instance_new: no module, host or result");
  }
  try {
    auto created =
        trinity::Instance::Create(module->module, host->functions, trinity::c_api::OptionsFrom(config));
    if (!created) {
      trinity_status_t code = created.error().rfind("unresolved import", 0) == 0
                                  ? TRINITY_LINK_ERROR
                                  : TRINITY_RESOURCE_ERROR;
      return Fail(error, code, created.error());
    }
    auto* instance = new trinity_instance;
    instance->instance = std::move(created.value());
    *out = instance;
  } catch (const std::bad_alloc&) {
    return Fail(error, TRINITY_RESOURCE_ERROR, "out of memory creating an instance");
  }
  return TRINITY_OK;
}

void trinity_instance_delete(trinity_instance_t* instance) {
  if (instance == nullptr) return;
  instance->instance.reset();  // before its owner (the MPK domain that backs its memory)
  delete instance;
}

trinity_status_t trinity_instance_call(trinity_instance_t* instance, const char* name,
                                       const trinity_value_t* const* args, size_t nargs,
                                       trinity_value_t** result, trinity_trap_t** trap) {
  if (instance == nullptr || name == nullptr || (args == nullptr && nargs != 0)) {
    return TRINITY_INVALID_ARGUMENT;
  }
  for (size_t i = 0; i < nargs; ++i) {
    if (args[i] == nullptr) return TRINITY_INVALID_ARGUMENT;
  }
  // The arguments are borrowed: they are moved into one contiguous span for the call and
  // moved back afterwards, so a request-sized map is never deep-copied on the way in.
  // Call() neither throws nor changes its arguments; an argument passed twice is copied.
  std::vector<HostValue> moved;
  try {
    moved.reserve(nargs);
    for (size_t i = 0; i < nargs; ++i) {
      bool repeated = false;
      for (size_t j = 0; j < i && !repeated; ++j) repeated = args[j] == args[i];
      if (repeated) {
        moved.push_back(args[i]->v);
      } else {
        moved.push_back(std::move(const_cast<trinity_value_t*>(args[i])->v));
      }
    }
  } catch (const std::bad_alloc&) {
    for (size_t i = 0; i < moved.size(); ++i) const_cast<trinity_value_t*>(args[i])->v = std::move(moved[i]);
    return TRINITY_RESOURCE_ERROR;
  }
  auto r = instance->instance->Call(name, moved);
  for (size_t i = nargs; i-- > 0;) {
    bool repeated = false;
    for (size_t j = 0; j < i && !repeated; ++j) repeated = args[j] == args[i];
    if (!repeated) const_cast<trinity_value_t*>(args[i])->v = std::move(moved[i]);
  }
  try {
    if (!r) {
      if (trap != nullptr) {
        auto* t = new trinity_trap{std::move(r.error()), {}};
        t->text = t->trap.ToString();
        *trap = t;
      }
      return TRINITY_TRAP;
    }
    if (result != nullptr) *result = new trinity_value{std::move(r.value())};
  } catch (const std::bad_alloc&) {
    return TRINITY_RESOURCE_ERROR;
  }
  return TRINITY_OK;
}

void trinity_instance_reset(trinity_instance_t* instance) {
  if (instance != nullptr) instance->instance->Reset();
}

trinity_status_t trinity_instance_set_limits(trinity_instance_t* instance,
                                             const trinity_limits_t* limits) {
  if (instance == nullptr || limits == nullptr) return TRINITY_INVALID_ARGUMENT;
  trinity_instance_config_t config;
  trinity_instance_config_init(&config);
  config.limits = *limits;
  trinity::Limits wanted = trinity::c_api::OptionsFrom(&config).limits;
  instance->instance->set_limits(wanted);
  // set_limits keeps the old limits when the memory for a deeper call stack is missing.
  const trinity::Limits& now = instance->instance->limits();
  if (now.max_depth != wanted.max_depth || now.fuel != wanted.fuel ||
      now.max_heap_bytes != wanted.max_heap_bytes || now.timeout != wanted.timeout ||
      now.max_stack_bytes != wanted.max_stack_bytes) {
    return TRINITY_RESOURCE_ERROR;
  }
  return TRINITY_OK;
}

void trinity_instance_limits(const trinity_instance_t* instance, trinity_limits_t* out) {
  if (instance != nullptr && out != nullptr) ToC(instance->instance->limits(), out);
}

uint64_t trinity_instance_heap_bytes(const trinity_instance_t* instance) {
  return instance ? instance->instance->heap_bytes() : 0;
}

uint64_t trinity_instance_fuel_used(const trinity_instance_t* instance) {
  return instance ? instance->instance->fuel_used() : 0;
}

int trinity_instance_isolated(const trinity_instance_t* instance) {
  return instance != nullptr && instance->isolated;
}

trinity_trap_kind_t trinity_trap_kind(const trinity_trap_t* trap) {
  return trap ? static_cast<trinity_trap_kind_t>(trap->trap.kind) : TRINITY_TRAP_INTERNAL;
}

const char* trinity_trap_kind_name(trinity_trap_kind_t kind) {
  if (kind < TRINITY_TRAP_TYPE_ERROR || kind > TRINITY_TRAP_INTERNAL) return "unknown";
  // TrapKindName returns views of string literals, so data() is NUL-terminated.
  return trinity::TrapKindName(static_cast<trinity::TrapKind>(kind)).data();
}

const char* trinity_trap_message(const trinity_trap_t* trap) {
  return trap ? trap->trap.message.c_str() : "";
}
const char* trinity_trap_function(const trinity_trap_t* trap) {
  return trap ? trap->trap.function.c_str() : "";
}
uint32_t trinity_trap_line(const trinity_trap_t* trap) { return trap ? trap->trap.line : 0; }

size_t trinity_trap_frame_count(const trinity_trap_t* trap) {
  return trap ? trap->trap.stack.size() : 0;
}
const char* trinity_trap_frame_function(const trinity_trap_t* trap, size_t i) {
  if (trap == nullptr || i >= trap->trap.stack.size()) return "";
  return trap->trap.stack[i].function.c_str();
}
uint32_t trinity_trap_frame_line(const trinity_trap_t* trap, size_t i) {
  if (trap == nullptr || i >= trap->trap.stack.size()) return 0;
  return trap->trap.stack[i].line;
}

const char* trinity_trap_to_string(const trinity_trap_t* trap) {
  return trap ? trap->text.c_str() : "";
}

void trinity_trap_delete(trinity_trap_t* trap) { delete trap; }

}  // extern "C"

// The C enums mirror the C++ ones value for value.
static_assert(TRINITY_TRAP_INTERNAL == static_cast<int>(trinity::TrapKind::kInternal));
static_assert(TRINITY_TRAP_DEADLINE_EXCEEDED == static_cast<int>(trinity::TrapKind::kDeadlineExceeded));
static_assert(TRINITY_TRAP_LINK == static_cast<int>(trinity::TrapKind::kLinkError));
static_assert(TRINITY_HANDLE == static_cast<int>(HostValue::Type::kHandle));
static_assert(TRINITY_MAP == static_cast<int>(HostValue::Type::kMap));
