// Test helper: builds small modules instruction by instruction with CodeEmitter, fills in
// max_stack with the verifier's analysis, and loads them through the public LoadModule
// path so every test module is verified exactly as a plugin would be.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "runtime/code_emitter.h"
#include "runtime/module.h"
#include "runtime/module_writer.h"
#include "runtime/trinity.h"
#include "runtime/verifier.h"

namespace trinity::testing {

class ModuleBuilder {
 public:
  uint32_t Const(Constant c) {
    module_.constants.push_back(std::move(c));
    return static_cast<uint32_t>(module_.constants.size() - 1);
  }
  uint32_t Import(std::string name) {
    module_.imports.push_back(std::move(name));
    return static_cast<uint32_t>(module_.imports.size() - 1);
  }
  uint32_t Global(std::string name) {
    module_.globals.push_back(std::move(name));
    return static_cast<uint32_t>(module_.globals.size() - 1);
  }
  // Declares a function now (so calls can refer to its index) and defines its body later.
  uint32_t Declare(std::string name, uint16_t arity, uint16_t locals, uint16_t captures = 0) {
    Function f;
    f.name = std::move(name);
    f.arity = arity;
    f.num_locals = locals;
    f.num_captures = captures;
    module_.functions.push_back(std::move(f));
    return static_cast<uint32_t>(module_.functions.size() - 1);
  }
  void Define(uint32_t index, const std::function<void(CodeEmitter&)>& body) {
    CodeEmitter e;
    e.SetLine(1);
    body(e);
    e.Finish(module_.functions[index]);
  }
  uint32_t Func(std::string name, uint16_t arity, uint16_t locals,
                const std::function<void(CodeEmitter&)>& body, bool exported = true) {
    uint32_t i = Declare(name, arity, locals);
    Define(i, body);
    if (exported) module_.exports.push_back(Export{std::move(name), i});
    return i;
  }
  void Start(uint32_t f) { module_.start_function = f; }
  Module& module() { return module_; }

  std::shared_ptr<const Module> Load() {
    for (Function& f : module_.functions) {
      auto ms = ComputeMaxStack(module_, f);
      if (!ms.ok()) {
        ADD_FAILURE() << ms.error().ToString();
        return nullptr;
      }
      f.max_stack = ms.value();
    }
    std::vector<uint8_t> bytes = WriteModule(module_);
    auto loaded = LoadModule(bytes);
    if (!loaded.ok()) {
      ADD_FAILURE() << loaded.error().ToString();
      return nullptr;
    }
    return loaded.value();
  }

 private:
  Module module_;
};

inline std::unique_ptr<Instance> MakeInstance(std::shared_ptr<const Module> m,
                                              const HostFunctions& host = {},
                                              InstanceOptions options = {}) {
  auto inst = Instance::Create(std::move(m), host, std::move(options));
  if (!inst.ok()) {
    ADD_FAILURE() << inst.error();
    return nullptr;
  }
  return std::move(inst).value();
}

}  // namespace trinity::testing
