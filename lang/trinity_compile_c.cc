// lang/trinity_compile_c.h: CompileSource behind a C signature. The compiled module is
// written to bytes and loaded back through trinity_module_load, so a C host's modules
// always pass the same reader and verifier whatever their origin.
#include "lang/trinity_compile_c.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "lang/compiler.h"
#include "runtime/module_writer.h"
#include "runtime/trinity_c_bridge.h"

namespace {

using trinity::c_api::Fail;

trinity_status_t CompileBytes(const char* source, size_t len, const char* file_name,
                              std::vector<uint8_t>& bytes, trinity_error_t** error) {
  if (source == nullptr && len != 0) {
    return Fail(error, TRINITY_INVALID_ARGUMENT, "trinity_compile: no source");
  }
  try {
    std::string_view text(source ? source : "", len);
    auto compiled = trinity::lang::CompileSource(text, file_name ? file_name : "<source>");
    if (!compiled) {
      return Fail(error, TRINITY_COMPILE_ERROR,
                  trinity::lang::FormatCompileErrors(compiled.error(), text));
    }
    bytes = trinity::WriteModule(compiled.value());
  } catch (const std::bad_alloc&) {
    return Fail(error, TRINITY_RESOURCE_ERROR, "out of memory compiling");
  }
  return TRINITY_OK;
}

}  // namespace

extern "C" {

trinity_status_t trinity_module_compile(const char* source, size_t len, const char* file_name,
                                        trinity_module_t** out, trinity_error_t** error) {
  if (out == nullptr) return Fail(error, TRINITY_INVALID_ARGUMENT, "trinity_compile: no result");
  std::vector<uint8_t> bytes;
  trinity_status_t status = CompileBytes(source, len, file_name, bytes, error);
  if (status != TRINITY_OK) return status;
  return trinity_module_load(bytes.data(), bytes.size(), out, error);
}

trinity_status_t trinity_compile_to_bytecode(const char* source, size_t len,
                                             const char* file_name, uint8_t** bytecode,
                                             size_t* bytecode_len, trinity_error_t** error) {
  if (bytecode == nullptr || bytecode_len == nullptr) {
    return Fail(error, TRINITY_INVALID_ARGUMENT, "trinity_compile: no result");
  }
  std::vector<uint8_t> bytes;
  trinity_status_t status = CompileBytes(source, len, file_name, bytes, error);
  if (status != TRINITY_OK) return status;
  auto* out = static_cast<uint8_t*>(std::malloc(bytes.size() ? bytes.size() : 1));
  if (out == nullptr) return Fail(error, TRINITY_RESOURCE_ERROR, "out of memory compiling");
  std::memcpy(out, bytes.data(), bytes.size());
  *bytecode = out;
  *bytecode_len = bytes.size();
  return TRINITY_OK;
}

void trinity_bytecode_free(uint8_t* bytecode) { std::free(bytecode); }

}  // extern "C"
