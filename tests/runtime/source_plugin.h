// Compiles .tri source for runtime tests that read better as programs than as hand-built
// bytecode (error handling, the standard library's limits).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string_view>

#include "lang/compiler.h"
#include "runtime/module_writer.h"
#include "runtime/trinity.h"

namespace trinity::testing {

// The loaded module, or nullptr after reporting the compile errors as a test failure.
inline std::shared_ptr<const Module> CompilePlugin(std::string_view source) {
  auto compiled = lang::CompileSource(source, "test.tri");
  if (!compiled.ok()) {
    ADD_FAILURE() << lang::FormatCompileErrors(compiled.error(), source);
    return nullptr;
  }
  auto loaded = LoadModule(WriteModule(compiled.value()));
  if (!loaded.ok()) {
    ADD_FAILURE() << loaded.error().ToString();
    return nullptr;
  }
  return loaded.value();
}

// An instance of `source` with `options` (print() discarded) and the given host functions.
inline std::unique_ptr<Instance> PluginInstance(std::string_view source, InstanceOptions options = {},
                                                const HostFunctions& host = {}) {
  auto module = CompilePlugin(source);
  if (!module) return nullptr;
  if (!options.print) options.print = [](std::string_view) {};
  auto instance = Instance::Create(module, host, options);
  if (!instance.ok()) {
    ADD_FAILURE() << instance.error();
    return nullptr;
  }
  return std::move(instance.value());
}

}  // namespace trinity::testing
