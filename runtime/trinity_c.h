/* The Trinity C embedding API: one header for C hosts (the nginx module, other servers)
 * to load verified plugin modules, offer host functions and call exports under limits.
 * Opaque handles, status codes with message strings, no C++ type crosses it; modelled on
 * lua.h for naming and Wasmtime's C API for ownership. The C++ API is runtime/trinity.h.
 *
 * Ownership: a function that returns a pointer through `*out` gives the caller that
 * object, to be freed with the matching trinity_*_delete. Values passed to a function
 * that "takes" them belong to the callee afterwards. Strings the API returns are owned by
 * the object they came from and live as long as it does (unless said otherwise). Nothing
 * here is thread-safe per object: one thread at a time per instance, value or error; a
 * module may be shared by instances on different threads.
 *
 * Errors: every fallible function returns a trinity_status_t (TRINITY_OK = 0) and, when
 * `error` is not NULL, stores a trinity_error_t with the same code and a message there
 * on failure (the caller deletes it). A plugin trap is TRINITY_TRAP with a trinity_trap_t.
 */
#ifndef TRINITY_C_H_
#define TRINITY_C_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes and errors ------------------------------------------------------ */

typedef enum trinity_status {
  TRINITY_OK = 0,
  TRINITY_INVALID_ARGUMENT = 1, /* NULL where an object is needed, bad value type, ... */
  TRINITY_LOAD_ERROR = 2,       /* bytes are not a valid module (verifier message) */
  TRINITY_COMPILE_ERROR = 3,    /* .tri source did not compile (file:line:col messages) */
  TRINITY_LINK_ERROR = 4,       /* an import no host function provides */
  TRINITY_RESOURCE_ERROR = 5,   /* memory for an instance or domain could not be had */
  TRINITY_TRAP = 6,             /* the plugin trapped; see trinity_trap_t */
  TRINITY_UNAVAILABLE = 7       /* a feature the machine lacks (protection keys, ...) */
} trinity_status_t;

typedef struct trinity_error trinity_error_t;

trinity_status_t trinity_error_code(const trinity_error_t* error);
const char* trinity_error_message(const trinity_error_t* error); /* NUL-terminated */
void trinity_error_delete(trinity_error_t* error);
/* "ok", "invalid argument", "load error", ... */
const char* trinity_status_name(trinity_status_t status);

/* ---- values ----------------------------------------------------------------------- */

/* An owned value tree: arguments for exports, their results, host function results.
 * Arrays and maps own their elements. */
typedef struct trinity_value trinity_value_t;

typedef enum trinity_type {
  TRINITY_NIL = 0,
  TRINITY_BOOL = 1,
  TRINITY_INT = 2,
  TRINITY_FLOAT = 3,
  TRINITY_STRING = 4,
  TRINITY_ARRAY = 5,
  TRINITY_MAP = 6,
  TRINITY_FUNCTION = 7, /* only in results: a plugin function, by name (as_string) */
  TRINITY_HANDLE = 8    /* an opaque host handle (as_int is its id) */
} trinity_type_t;

/* Constructors return NULL only when memory runs out. */
trinity_value_t* trinity_value_nil(void);
trinity_value_t* trinity_value_bool(int b);
trinity_value_t* trinity_value_int(int64_t i);
trinity_value_t* trinity_value_float(double f);
trinity_value_t* trinity_value_string(const char* bytes, size_t len); /* copies */
trinity_value_t* trinity_value_array(void);
trinity_value_t* trinity_value_map(void);
trinity_value_t* trinity_value_handle(int64_t id);
trinity_value_t* trinity_value_clone(const trinity_value_t* v);
void trinity_value_delete(trinity_value_t* v); /* NULL is fine */

/* Containers take `item`/`key`/`value` (also on failure). Setting an existing map key
 * replaces its value and keeps its position; keys are compared as the language does. */
trinity_status_t trinity_value_array_push(trinity_value_t* array, trinity_value_t* item);
trinity_status_t trinity_value_map_set(trinity_value_t* map, trinity_value_t* key,
                                       trinity_value_t* value);
/* map[key] = value with a string key, copying the key bytes. */
trinity_status_t trinity_value_map_set_string(trinity_value_t* map, const char* key,
                                              size_t key_len, trinity_value_t* value);

trinity_type_t trinity_value_type(const trinity_value_t* v);
const char* trinity_type_name(trinity_type_t type); /* "nil", "bool", ... */
int trinity_value_as_bool(const trinity_value_t* v);     /* 0 unless a true bool */
int64_t trinity_value_as_int(const trinity_value_t* v);  /* int or handle id, else 0 */
double trinity_value_as_float(const trinity_value_t* v); /* float or int, else 0 */
/* String bytes (or a function's name); NULL for other types. *len may be NULL. The bytes
 * are followed by a NUL, but may contain NULs themselves. */
const char* trinity_value_as_string(const trinity_value_t* v, size_t* len);
/* Elements of an array or entries of a map; 0 for other types. */
size_t trinity_value_len(const trinity_value_t* v);
/* Borrowed: valid until the container changes or is deleted. NULL when out of range. */
const trinity_value_t* trinity_value_array_get(const trinity_value_t* array, size_t i);
const trinity_value_t* trinity_value_map_key(const trinity_value_t* map, size_t i);
const trinity_value_t* trinity_value_map_value(const trinity_value_t* map, size_t i);
/* The value stored under a string key, or NULL. */
const trinity_value_t* trinity_value_map_get_string(const trinity_value_t* map,
                                                    const char* key, size_t key_len);
/* The language's str() of the value; the caller frees it with trinity_string_free. */
char* trinity_value_to_string(const trinity_value_t* v, size_t* len);
void trinity_string_free(char* s);

/* ---- modules ---------------------------------------------------------------------- */

typedef struct trinity_module trinity_module_t;

/* Reads and verifies a .tbc module; nothing of it runs. TRINITY_LOAD_ERROR names the
 * function, byte offset and reason. The module may be shared by many instances. */
trinity_status_t trinity_module_load(const uint8_t* bytes, size_t len, trinity_module_t** out,
                                     trinity_error_t** error);
void trinity_module_delete(trinity_module_t* module); /* instances keep it alive */
/* Whether the module exports a function `name` (NUL-terminated), and its arity. */
int trinity_module_has_export(const trinity_module_t* module, const char* name, uint32_t* arity);

/* Compiling .tri source lives in the optional front end, lang/trinity_compile_c.h. */

/* ---- host functions --------------------------------------------------------------- */

typedef struct trinity_host trinity_host_t;
typedef struct trinity_call trinity_call_t; /* one host call in progress */

/* A host function returns an owned result (NULL means nil), or calls
 * trinity_call_fail and returns NULL: the plugin call then traps with `host error`.
 * `call` and the argument views are valid only until it returns. */
typedef trinity_value_t* (*trinity_host_callback_t)(void* data, trinity_call_t* call);

trinity_host_t* trinity_host_new(void);
void trinity_host_delete(trinity_host_t* host); /* instances created from it keep a copy */
#define TRINITY_VARIADIC (-1)
/* Offers `name` to plugins that `import fn name(...)`. `arity` is the exact argument count
 * or TRINITY_VARIADIC (a call with another count traps). `data` is passed back to the
 * callback; it is not owned and must outlive every instance linked against it.
 * Registering a name again replaces it. */
trinity_status_t trinity_host_register(trinity_host_t* host, const char* name, int arity,
                                       trinity_host_callback_t callback, void* data);

size_t trinity_call_argc(const trinity_call_t* call);
trinity_type_t trinity_call_arg_type(const trinity_call_t* call, size_t i);
/* Typed views; TRINITY_INVALID_ARGUMENT when the argument is missing or of another type
 * (ints are accepted as floats). Strings stay valid until the callback returns. */
trinity_status_t trinity_call_arg_int(const trinity_call_t* call, size_t i, int64_t* out);
trinity_status_t trinity_call_arg_float(const trinity_call_t* call, size_t i, double* out);
trinity_status_t trinity_call_arg_string(const trinity_call_t* call, size_t i,
                                         const char** bytes, size_t* len);
/* An owned deep copy of any argument, charged as fuel like every copy to the host;
 * NULL when the fuel runs out (the call then traps once the callback returns). */
trinity_value_t* trinity_call_arg(trinity_call_t* call, size_t i);
/* Makes this host call trap with kind `host error` and `message` (copied). */
void trinity_call_fail(trinity_call_t* call, const char* message);

/* ---- instances, limits and traps --------------------------------------------------- */

typedef struct trinity_instance trinity_instance_t;

/* Limits for every call into an instance; 0 means unlimited where noted. */
typedef struct trinity_limits {
  uint64_t fuel;           /* per call: calls, loop back-edges, 1 per KiB allocated,
                              copied to the host or printed; 0 = unlimited */
  uint64_t max_heap_bytes; /* per instance; also bounds values copied out to the host */
  uint32_t max_depth;      /* nested plugin calls */
  uint32_t timeout_ms;     /* per call wall-clock deadline; 0 = none */
  uint64_t max_stack_bytes; /* per instance: value stack and call frames together */
} trinity_limits_t;

/* The runtime's defaults (trinity::Limits): unlimited fuel, 256 MiB heap, depth 512,
 * a 10 s deadline, 1 MiB of stack. */
void trinity_limits_init(trinity_limits_t* limits);

/* Where print() output goes; default: stdout. */
typedef void (*trinity_print_callback_t)(void* data, const char* bytes, size_t len);

typedef struct trinity_instance_config {
  trinity_limits_t limits;
  trinity_print_callback_t print; /* NULL: stdout */
  void* print_data;
} trinity_instance_config_t;

void trinity_instance_config_init(trinity_instance_config_t* config);

/* Links the module's imports against `host` (TRINITY_LINK_ERROR names a missing one) and
 * allocates the instance's memory. Runs no plugin code. `config` may be NULL. */
trinity_status_t trinity_instance_new(const trinity_module_t* module, const trinity_host_t* host,
                                      const trinity_instance_config_t* config,
                                      trinity_instance_t** out, trinity_error_t** error);
void trinity_instance_delete(trinity_instance_t* instance);

typedef struct trinity_trap trinity_trap_t;

/* Calls export `name` with `args` (borrowed: they are unchanged afterwards, but no other
 * thread may touch them during the call). On success *result receives the owned
 * return value (result may be NULL to drop it). TRINITY_TRAP stores the trap in *trap
 * when trap is not NULL; the instance stays usable. The module's top-level code runs
 * first when it has not run since creation or the last reset; a trap there is returned
 * the same way. A missing export or a wrong argument count is a trap of kind
 * TRINITY_TRAP_LINK. */
trinity_status_t trinity_instance_call(trinity_instance_t* instance, const char* name,
                                       const trinity_value_t* const* args, size_t nargs,
                                       trinity_value_t** result, trinity_trap_t** trap);
/* Frees every heap object and returns globals to the not-started state: the next call
 * runs top-level code again. Cheap; the way to reuse an instance for another request. */
void trinity_instance_reset(trinity_instance_t* instance);
/* Applies to the following calls; TRINITY_RESOURCE_ERROR when a larger call depth needs
 * memory that cannot be had (the old limits stay). */
trinity_status_t trinity_instance_set_limits(trinity_instance_t* instance,
                                             const trinity_limits_t* limits);
void trinity_instance_limits(const trinity_instance_t* instance, trinity_limits_t* out);
uint64_t trinity_instance_heap_bytes(const trinity_instance_t* instance);
uint64_t trinity_instance_fuel_used(const trinity_instance_t* instance); /* by the last call */
/* Whether the instance runs in its own MPK domain (see isolation/trinity_isolation_c.h). */
int trinity_instance_isolated(const trinity_instance_t* instance);

typedef enum trinity_trap_kind {
  TRINITY_TRAP_TYPE_ERROR = 0,
  TRINITY_TRAP_DIVISION_BY_ZERO = 1,
  TRINITY_TRAP_INDEX_OUT_OF_RANGE = 2,
  TRINITY_TRAP_KEY_NOT_FOUND = 3,
  TRINITY_TRAP_ERROR = 4, /* error()/assert() in the plugin */
  TRINITY_TRAP_FUEL_EXHAUSTED = 5,
  TRINITY_TRAP_OUT_OF_MEMORY = 6,
  TRINITY_TRAP_STACK_OVERFLOW = 7,
  TRINITY_TRAP_DEADLINE_EXCEEDED = 8,
  TRINITY_TRAP_HOST_ERROR = 9,
  TRINITY_TRAP_ISOLATION_VIOLATION = 10,
  TRINITY_TRAP_FORBIDDEN_SYSCALL = 11,
  TRINITY_TRAP_LINK = 12,
  TRINITY_TRAP_INTERNAL = 13
} trinity_trap_kind_t;

trinity_trap_kind_t trinity_trap_kind(const trinity_trap_t* trap);
const char* trinity_trap_kind_name(trinity_trap_kind_t kind); /* "deadline exceeded", ... */
const char* trinity_trap_message(const trinity_trap_t* trap);
/* Innermost plugin function ("" when none) and its .tri line (0 when unknown). */
const char* trinity_trap_function(const trinity_trap_t* trap);
uint32_t trinity_trap_line(const trinity_trap_t* trap);
/* The call stack, innermost first. */
size_t trinity_trap_frame_count(const trinity_trap_t* trap);
const char* trinity_trap_frame_function(const trinity_trap_t* trap, size_t i);
uint32_t trinity_trap_frame_line(const trinity_trap_t* trap, size_t i);
/* "deadline exceeded: ... (in fn handle at line 3)" */
const char* trinity_trap_to_string(const trinity_trap_t* trap);
void trinity_trap_delete(trinity_trap_t* trap);

#ifdef __cplusplus
}
#endif

#endif /* TRINITY_C_H_ */
