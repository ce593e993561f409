/* The compiler's C entry point, an optional companion of runtime/trinity_c.h: .tri source
 * to a verified module, or to .tbc bytes. Kept out of the runtime's C API because
 * runtime/ does not depend on lang/; hosts that only load .tbc files do not link it. */
#ifndef TRINITY_COMPILE_C_H_
#define TRINITY_COMPILE_C_H_

#include <stddef.h>
#include <stdint.h>

#include "runtime/trinity_c.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Compiles `source` (`file_name` is used in messages) and loads the result through the
 * verifier. TRINITY_COMPILE_ERROR's message lists every error as
 * "file:line:col: error: message" followed by the source line and a caret. */
trinity_status_t trinity_module_compile(const char* source, size_t len, const char* file_name,
                                        trinity_module_t** out, trinity_error_t** error);

/* Compiles `source` to .tbc bytes (malloc'd; free them with trinity_bytecode_free). */
trinity_status_t trinity_compile_to_bytecode(const char* source, size_t len,
                                             const char* file_name, uint8_t** bytecode,
                                             size_t* bytecode_len, trinity_error_t** error);
void trinity_bytecode_free(uint8_t* bytecode);

#ifdef __cplusplus
}
#endif

#endif /* TRINITY_COMPILE_C_H_ */
