// What the C API's opaque handles are, for C++ code in other layers that extends the C
// API (isolation/trinity_isolation_c.cc, lang/trinity_compile_c.cc). C hosts never see
// this header; they use runtime/trinity_c.h only.
#pragma once

#include <memory>
#include <string>

#include "runtime/trinity.h"
#include "runtime/trinity_c.h"

struct trinity_error {
  trinity_status_t code;
  std::string message;
};

struct trinity_value {
  trinity::HostValue v;
};

struct trinity_module {
  std::shared_ptr<const trinity::Module> module;
};

struct trinity_host {
  trinity::HostFunctions functions;
};

struct trinity_instance {
  // Whatever must outlive the instance and be destroyed after it (an MPK domain).
  std::shared_ptr<void> owner;
  std::unique_ptr<trinity::Instance> instance;
  bool isolated = false;
};

namespace trinity::c_api {

// Stores an error with `code` and `message` in *error when error is not NULL; returns code.
trinity_status_t Fail(trinity_error_t** error, trinity_status_t code, std::string message);

// The InstanceOptions a C config describes (print callback included); config may be NULL.
InstanceOptions OptionsFrom(const trinity_instance_config_t* config);

}  // namespace trinity::c_api
