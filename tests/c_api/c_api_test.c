/* The C embedding API (runtime/trinity_c.h, lang/trinity_compile_c.h) exercised from C:
 * loading and compiling, values, host functions, calls, limits, traps and resets. Plain
 * C on purpose, so the header is checked to be C and nothing C++ leaks through it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/trinity_compile_c.h"
#include "runtime/trinity_c.h"

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    ++checks;                                                                  \
    if (!(cond)) {                                                             \
      ++failures;                                                              \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)

#define CONTAINS(haystack, needle) CHECK(strstr((haystack), (needle)) != NULL)

static trinity_module_t* compile(const char* source) {
  trinity_module_t* module = NULL;
  trinity_error_t* error = NULL;
  trinity_status_t s = trinity_module_compile(source, strlen(source), "test.tri", &module, &error);
  if (s != TRINITY_OK) {
    fprintf(stderr, "compile failed: %s\n", trinity_error_message(error));
    trinity_error_delete(error);
    exit(1);
  }
  return module;
}

/* Host function add(a, b): ints; "fail" as a makes it fail. */
static trinity_value_t* host_add(void* data, trinity_call_t* call) {
  int* calls = (int*)data;
  ++*calls;
  const char* s = NULL;
  size_t n = 0;
  if (trinity_call_arg_string(call, 0, &s, &n) == TRINITY_OK) {
    if (n == 4 && memcmp(s, "fail", 4) == 0) {
      trinity_call_fail(call, "asked to fail");
      return NULL;
    }
    return trinity_value_string(s, n);
  }
  int64_t a = 0, b = 0;
  if (trinity_call_arg_int(call, 0, &a) != TRINITY_OK ||
      trinity_call_arg_int(call, 1, &b) != TRINITY_OK) {
    trinity_call_fail(call, "add wants two ints");
    return NULL;
  }
  return trinity_value_int(a + b);
}

/* Host function keys_of(m): the argument copied out, its length returned. */
static trinity_value_t* host_count(void* data, trinity_call_t* call) {
  (void)data;
  trinity_value_t* copy = trinity_call_arg(call, 0);
  if (copy == NULL) return NULL;
  trinity_value_t* n = trinity_value_int((int64_t)trinity_value_len(copy));
  trinity_value_delete(copy);
  return n;
}

static void test_load_errors(void) {
  trinity_module_t* module = NULL;
  trinity_error_t* error = NULL;
  const uint8_t junk[] = {1, 2, 3, 4, 5};
  CHECK(trinity_module_load(junk, sizeof junk, &module, &error) == TRINITY_LOAD_ERROR);
  CHECK(module == NULL);
  CHECK(trinity_error_code(error) == TRINITY_LOAD_ERROR);
  CONTAINS(trinity_error_message(error), "at byte");
  trinity_error_delete(error);

  const char* bad = "export fn handle(req) {\n  let x = (1 + \n}\n";
  error = NULL;
  CHECK(trinity_module_compile(bad, strlen(bad), "bad.tri", &module, &error) ==
        TRINITY_COMPILE_ERROR);
  CONTAINS(trinity_error_message(error), "bad.tri:3:1: error:");
  CHECK(strcmp(trinity_status_name(trinity_error_code(error)), "compile error") == 0);
  trinity_error_delete(error);

  /* NULL error pointers are allowed: the code alone comes back. */
  CHECK(trinity_module_load(junk, sizeof junk, &module, NULL) == TRINITY_LOAD_ERROR);
  CHECK(trinity_module_load(NULL, 3, &module, NULL) == TRINITY_INVALID_ARGUMENT);
}

static void test_bytecode_round_trip(void) {
  const char* src = "export fn answer() { return 42 }";
  uint8_t* bytes = NULL;
  size_t len = 0;
  CHECK(trinity_compile_to_bytecode(src, strlen(src), "a.tri", &bytes, &len, NULL) == TRINITY_OK);
  CHECK(len > 8);
  trinity_module_t* module = NULL;
  CHECK(trinity_module_load(bytes, len, &module, NULL) == TRINITY_OK);
  trinity_bytecode_free(bytes);
  uint32_t arity = 99;
  CHECK(trinity_module_has_export(module, "answer", &arity) == 1 && arity == 0);
  CHECK(trinity_module_has_export(module, "missing", NULL) == 0);

  trinity_host_t* host = trinity_host_new();
  trinity_instance_t* inst = NULL;
  CHECK(trinity_instance_new(module, host, NULL, &inst, NULL) == TRINITY_OK);
  trinity_module_delete(module); /* the instance keeps it alive */
  trinity_value_t* result = NULL;
  CHECK(trinity_instance_call(inst, "answer", NULL, 0, &result, NULL) == TRINITY_OK);
  CHECK(trinity_value_type(result) == TRINITY_INT && trinity_value_as_int(result) == 42);
  CHECK(trinity_instance_isolated(inst) == 0);
  trinity_value_delete(result);
  trinity_instance_delete(inst);
  trinity_host_delete(host);
}

static void test_values(void) {
  trinity_value_t* map = trinity_value_map();
  CHECK(trinity_value_map_set_string(map, "a", 1, trinity_value_int(1)) == TRINITY_OK);
  CHECK(trinity_value_map_set_string(map, "b", 1, trinity_value_string("x\0y", 3)) == TRINITY_OK);
  CHECK(trinity_value_map_set(map, trinity_value_int(7), trinity_value_bool(1)) == TRINITY_OK);
  /* Replacing keeps the position; 7.0 is the key 7, as in the language. */
  CHECK(trinity_value_map_set(map, trinity_value_float(7.0), trinity_value_float(2.5)) == TRINITY_OK);
  CHECK(trinity_value_map_set_string(map, "a", 1, trinity_value_int(10)) == TRINITY_OK);
  CHECK(trinity_value_len(map) == 3);
  CHECK(trinity_value_as_int(trinity_value_map_value(map, 0)) == 10);
  CHECK(trinity_value_as_float(trinity_value_map_value(map, 2)) == 2.5);
  size_t n = 0;
  const char* s = trinity_value_as_string(trinity_value_map_get_string(map, "b", 1), &n);
  CHECK(n == 3 && memcmp(s, "x\0y", 3) == 0);
  CHECK(trinity_value_map_get_string(map, "zz", 2) == NULL);
  /* Keys the language refuses. */
  CHECK(trinity_value_map_set(map, trinity_value_nil(), trinity_value_int(1)) ==
        TRINITY_INVALID_ARGUMENT);
  CHECK(trinity_value_map_set(map, trinity_value_array(), trinity_value_int(1)) ==
        TRINITY_INVALID_ARGUMENT);
  CHECK(trinity_value_array_push(map, trinity_value_int(1)) == TRINITY_INVALID_ARGUMENT);

  trinity_value_t* arr = trinity_value_array();
  CHECK(trinity_value_array_push(arr, trinity_value_string("q", 1)) == TRINITY_OK);
  CHECK(trinity_value_array_push(arr, trinity_value_nil()) == TRINITY_OK);
  CHECK(trinity_value_map_set_string(map, "arr", 3, arr) == TRINITY_OK);

  CHECK(trinity_value_map_set_string(map, "b", 1, trinity_value_string("xy", 2)) == TRINITY_OK);
  char* text = trinity_value_to_string(map, &n);
  CHECK(strcmp(text, "{\"a\": 10, \"b\": \"xy\", 7: 2.5, \"arr\": [\"q\", nil]}") == 0);
  CHECK(n == strlen(text));
  trinity_string_free(text);

  trinity_value_t* copy = trinity_value_clone(map);
  CHECK(trinity_value_len(copy) == 4);
  CHECK(trinity_value_type(trinity_value_array_get(trinity_value_map_value(copy, 3), 1)) ==
        TRINITY_NIL);
  CHECK(trinity_value_array_get(trinity_value_map_value(copy, 3), 2) == NULL);
  trinity_value_delete(copy);
  trinity_value_delete(map);

  CHECK(strcmp(trinity_type_name(TRINITY_MAP), "map") == 0);
  CHECK(trinity_value_as_string(NULL, &n) == NULL && n == 0);
  trinity_value_delete(NULL);
}

static void test_calls_and_host_functions(void) {
  trinity_module_t* module = compile(
      "import fn add(a, b)\n"
      "import fn count(m)\n"
      "let calls = 0\n"
      "export fn handle(req) {\n"
      "  calls += 1\n"
      "  let out = {\"sum\": add(req.a, req.b), \"n\": count(req), \"calls\": calls}\n"
      "  out.echo = req.name\n"
      "  return out\n"
      "}\n"
      "export fn fail() { return add(\"fail\", 1) }\n");
  trinity_host_t* host = trinity_host_new();
  int add_calls = 0;
  CHECK(trinity_host_register(host, "add", 2, host_add, &add_calls) == TRINITY_OK);
  CHECK(trinity_host_register(host, "count", 1, host_count, NULL) == TRINITY_OK);
  CHECK(trinity_host_register(host, NULL, 1, host_count, NULL) == TRINITY_INVALID_ARGUMENT);
  trinity_instance_t* inst = NULL;
  CHECK(trinity_instance_new(module, host, NULL, &inst, NULL) == TRINITY_OK);

  trinity_value_t* req = trinity_value_map();
  trinity_value_map_set_string(req, "a", 1, trinity_value_int(40));
  trinity_value_map_set_string(req, "b", 1, trinity_value_int(2));
  trinity_value_map_set_string(req, "name", 4, trinity_value_string("trinity", 7));
  const trinity_value_t* args[] = {req};
  trinity_value_t* result = NULL;
  CHECK(trinity_instance_call(inst, "handle", args, 1, &result, NULL) == TRINITY_OK);
  CHECK(trinity_value_as_int(trinity_value_map_get_string(result, "sum", 3)) == 42);
  CHECK(trinity_value_as_int(trinity_value_map_get_string(result, "n", 1)) == 3);
  CHECK(trinity_value_as_int(trinity_value_map_get_string(result, "calls", 5)) == 1);
  CHECK(strcmp(trinity_value_as_string(trinity_value_map_get_string(result, "echo", 4), NULL),
               "trinity") == 0);
  trinity_value_delete(result);
  CHECK(add_calls == 1);
  /* Arguments are borrowed: the request is intact after the call. */
  CHECK(trinity_value_len(req) == 3);
  CHECK(trinity_value_as_int(trinity_value_map_get_string(req, "a", 1)) == 40);

  /* Globals live on between calls, and a reset starts the module afresh. */
  CHECK(trinity_instance_call(inst, "handle", args, 1, &result, NULL) == TRINITY_OK);
  CHECK(trinity_value_as_int(trinity_value_map_get_string(result, "calls", 5)) == 2);
  trinity_value_delete(result);
  trinity_instance_reset(inst);
  CHECK(trinity_instance_call(inst, "handle", args, 1, &result, NULL) == TRINITY_OK);
  CHECK(trinity_value_as_int(trinity_value_map_get_string(result, "calls", 5)) == 1);
  trinity_value_delete(result);

  /* The same value passed twice. */
  const trinity_value_t* twice[] = {req, req};
  trinity_trap_t* trap = NULL;
  CHECK(trinity_instance_call(inst, "handle", twice, 2, NULL, &trap) == TRINITY_TRAP);
  CHECK(trinity_trap_kind(trap) == TRINITY_TRAP_LINK);
  CONTAINS(trinity_trap_message(trap), "takes 1 argument");
  trinity_trap_delete(trap);
  CHECK(trinity_value_len(req) == 3);

  /* A host failure is a host-error trap naming the plugin function and line. */
  trap = NULL;
  CHECK(trinity_instance_call(inst, "fail", NULL, 0, &result, &trap) == TRINITY_TRAP);
  CHECK(trinity_trap_kind(trap) == TRINITY_TRAP_HOST_ERROR);
  CONTAINS(trinity_trap_message(trap), "asked to fail");
  CHECK(strcmp(trinity_trap_function(trap), "fail") == 0);
  CHECK(trinity_trap_line(trap) == 10);
  CHECK(strcmp(trinity_trap_kind_name(trinity_trap_kind(trap)), "host error") == 0);
  CONTAINS(trinity_trap_to_string(trap), "(in fn fail at line 10)");
  trinity_trap_delete(trap);

  trap = NULL;
  CHECK(trinity_instance_call(inst, "nope", NULL, 0, NULL, &trap) == TRINITY_TRAP);
  CHECK(trinity_trap_kind(trap) == TRINITY_TRAP_LINK);
  trinity_trap_delete(trap);

  trinity_value_delete(req);
  trinity_instance_delete(inst);

  /* A host without `count` cannot link the module. */
  trinity_host_t* partial = trinity_host_new();
  trinity_host_register(partial, "add", 2, host_add, &add_calls);
  trinity_error_t* error = NULL;
  inst = NULL;
  CHECK(trinity_instance_new(module, partial, NULL, &inst, &error) == TRINITY_LINK_ERROR);
  CHECK(inst == NULL);
  CONTAINS(trinity_error_message(error), "'count'");
  trinity_error_delete(error);
  trinity_host_delete(partial);

  trinity_host_delete(host);
  trinity_module_delete(module);
}

struct printed {
  char text[64];
  size_t len;
};

static void capture(void* data, const char* bytes, size_t len) {
  struct printed* p = (struct printed*)data;
  if (p->len + len < sizeof p->text) {
    memcpy(p->text + p->len, bytes, len);
    p->len += len;
  }
}

static void test_limits_and_traps(void) {
  trinity_module_t* module = compile(
      "export fn spin() {\n"
      "  while true { }\n"
      "}\n"
      "export fn bomb() {\n"
      "  let s = \"xxxxxxxxxxxxxxxx\"\n"
      "  while true { s = s + s }\n"
      "}\n"
      "fn inner(d) { return 1 / d }\n"
      "export fn div(d) {\n"
      "  return inner(d)\n"
      "}\n"
      "export fn hello() { print(\"hi\", 1) return \"ok\" }\n");
  trinity_host_t* host = trinity_host_new();
  trinity_instance_config_t config;
  trinity_instance_config_init(&config);
  CHECK(config.limits.max_heap_bytes == 256u << 20 && config.limits.fuel == 0);
  CHECK(config.limits.timeout_ms == 10000 && config.limits.max_stack_bytes == 1u << 20);
  struct printed out = {{0}, 0};
  config.print = capture;
  config.print_data = &out;
  config.limits.fuel = 10000;
  config.limits.max_heap_bytes = 1 << 20;
  trinity_instance_t* inst = NULL;
  CHECK(trinity_instance_new(module, host, &config, &inst, NULL) == TRINITY_OK);

  trinity_trap_t* trap = NULL;
  CHECK(trinity_instance_call(inst, "spin", NULL, 0, NULL, &trap) == TRINITY_TRAP);
  CHECK(trinity_trap_kind(trap) == TRINITY_TRAP_FUEL_EXHAUSTED);
  CHECK(strcmp(trinity_trap_function(trap), "spin") == 0 && trinity_trap_line(trap) == 2);
  trinity_trap_delete(trap);
  CHECK(trinity_instance_fuel_used(inst) >= 10000);

  trap = NULL;
  CHECK(trinity_instance_call(inst, "bomb", NULL, 0, NULL, &trap) == TRINITY_TRAP);
  CHECK(trinity_trap_kind(trap) == TRINITY_TRAP_OUT_OF_MEMORY);
  CHECK(trinity_trap_line(trap) == 6);
  trinity_trap_delete(trap);

  trinity_value_t* zero = trinity_value_int(0);
  const trinity_value_t* args[] = {zero};
  trap = NULL;
  CHECK(trinity_instance_call(inst, "div", args, 1, NULL, &trap) == TRINITY_TRAP);
  CHECK(trinity_trap_kind(trap) == TRINITY_TRAP_DIVISION_BY_ZERO);
  CHECK(strcmp(trinity_trap_function(trap), "inner") == 0 && trinity_trap_line(trap) == 8);
  CHECK(trinity_trap_frame_count(trap) >= 2);
  CHECK(strcmp(trinity_trap_frame_function(trap, 1), "div") == 0);
  CHECK(trinity_trap_frame_line(trap, 1) == 10);
  CHECK(strcmp(trinity_trap_frame_function(trap, 99), "") == 0);
  trinity_trap_delete(trap);
  trinity_value_delete(zero);

  /* A deadline instead of fuel: the loop ends at the timeout. */
  trinity_limits_t limits;
  trinity_instance_limits(inst, &limits);
  CHECK(limits.fuel == 10000 && limits.max_heap_bytes == 1 << 20);
  limits.fuel = 0;
  limits.timeout_ms = 50;
  CHECK(trinity_instance_set_limits(inst, &limits) == TRINITY_OK);
  trap = NULL;
  CHECK(trinity_instance_call(inst, "spin", NULL, 0, NULL, &trap) == TRINITY_TRAP);
  CHECK(trinity_trap_kind(trap) == TRINITY_TRAP_DEADLINE_EXCEEDED);
  trinity_trap_delete(trap);

  /* After all those traps the instance still works, and print() went to the callback. */
  trinity_instance_reset(inst);
  CHECK(trinity_instance_heap_bytes(inst) < 4096);
  trinity_value_t* result = NULL;
  CHECK(trinity_instance_call(inst, "hello", NULL, 0, &result, NULL) == TRINITY_OK);
  CHECK(strcmp(trinity_value_as_string(result, NULL), "ok") == 0);
  CHECK(out.len == 5 && memcmp(out.text, "hi 1\n", 5) == 0);
  trinity_value_delete(result);

  /* A heap too small for the module's constants cannot be created. */
  config.limits.max_heap_bytes = 16;
  trinity_instance_t* tiny = NULL;
  trinity_error_t* error = NULL;
  CHECK(trinity_instance_new(module, host, &config, &tiny, &error) == TRINITY_RESOURCE_ERROR);
  CHECK(tiny == NULL && error != NULL);
  trinity_error_delete(error);

  trinity_instance_delete(inst);
  trinity_host_delete(host);
  trinity_module_delete(module);
}

int main(void) {
  test_load_errors();
  test_bytecode_round_trip();
  test_values();
  test_calls_and_host_functions();
  test_limits_and_traps();
  printf("%d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
