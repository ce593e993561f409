/* The isolation layer's C entry points (isolation/trinity_isolation_c.h) from C: MPK
 * instances with the CLI's fallback rules, and a seccomp policy installed in a child that
 * then still runs plugin calls (the nginx-worker policy, as ngx_http_trinity_module does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "isolation/trinity_isolation_c.h"
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

static const char kSource[] =
    "export fn handle(req) { return \"hi \" + req }\n"
    "export fn spin() { while true { } }\n";

/* Calls handle("x") and spin() (which must hit its fuel); 0 when both behave. */
static int exercise(trinity_instance_t* inst) {
  trinity_value_t* arg = trinity_value_string("x", 1);
  const trinity_value_t* args[] = {arg};
  trinity_value_t* result = NULL;
  int bad = trinity_instance_call(inst, "handle", args, 1, &result, NULL) != TRINITY_OK ||
            strcmp(trinity_value_as_string(result, NULL), "hi x") != 0;
  trinity_value_delete(result);
  trinity_value_delete(arg);
  trinity_trap_t* trap = NULL;
  bad |= trinity_instance_call(inst, "spin", NULL, 0, NULL, &trap) != TRINITY_TRAP ||
         trinity_trap_kind(trap) != TRINITY_TRAP_FUEL_EXHAUSTED;
  trinity_trap_delete(trap);
  trinity_instance_reset(inst);
  return bad;
}

int main(void) {
  trinity_module_t* module = NULL;
  if (trinity_module_compile(kSource, strlen(kSource), "iso.tri", &module, NULL) != TRINITY_OK) {
    fprintf(stderr, "compile failed\n");
    return 1;
  }
  trinity_host_t* host = trinity_host_new();
  trinity_instance_config_t config;
  trinity_instance_config_init(&config);
  config.limits.fuel = 100000;
  config.limits.max_heap_bytes = 1 << 20;

  const char* reason = NULL;
  int mpk = trinity_mpk_available(&reason);
  if (!mpk) {
    CHECK(reason != NULL && strlen(reason) > 0);
    printf("no MPK here: %s\n", reason);
  }

  /* DEFAULT: isolated exactly where protection keys exist. */
  trinity_instance_t* inst = NULL;
  CHECK(trinity_instance_new_isolated(module, host, &config, TRINITY_ISOLATION_DEFAULT, &inst,
                                      NULL) == TRINITY_OK);
  CHECK(trinity_instance_isolated(inst) == mpk);
  CHECK(exercise(inst) == 0);
  trinity_instance_delete(inst);

  /* MPK insists. */
  trinity_error_t* error = NULL;
  inst = NULL;
  trinity_status_t s =
      trinity_instance_new_isolated(module, host, &config, TRINITY_ISOLATION_MPK, &inst, &error);
  if (mpk) {
    CHECK(s == TRINITY_OK && trinity_instance_isolated(inst));
    CHECK(exercise(inst) == 0);
    trinity_instance_delete(inst);
  } else {
    CHECK(s == TRINITY_UNAVAILABLE && inst == NULL);
    CHECK(strstr(trinity_error_message(error), "MPK isolation required") != NULL);
    CHECK(trinity_mpk_init(NULL) == TRINITY_UNAVAILABLE);
  }
  trinity_error_delete(error);

  /* NONE: a plain instance even where MPK exists. */
  inst = NULL;
  CHECK(trinity_instance_new_isolated(module, host, &config, TRINITY_ISOLATION_NONE, &inst,
                                      NULL) == TRINITY_OK);
  CHECK(!trinity_instance_isolated(inst));
  trinity_instance_delete(inst);

  /* Policy names are checked without installing anything. */
  CHECK(trinity_seccomp_check("nginx-worker", NULL) == TRINITY_OK);
  CHECK(trinity_seccomp_check("strict", NULL) == TRINITY_OK);
  error = NULL;
  CHECK(trinity_seccomp_check("bogus", &error) == TRINITY_INVALID_ARGUMENT);
  CHECK(strstr(trinity_error_message(error), "no seccomp policy 'bogus'") != NULL);
  trinity_error_delete(error);

  /* A child installs nginx-worker (irreversible, hence the child) with an instance made
   * before, like a worker's warm pool, and one made after; both still run plugins. */
  fflush(NULL);
  pid_t child = fork();
  if (child == 0) {
    trinity_instance_t* before = NULL;
    if (trinity_instance_new_isolated(module, host, &config, TRINITY_ISOLATION_DEFAULT, &before,
                                      NULL) != TRINITY_OK) {
      _exit(10);
    }
    trinity_error_t* err = NULL;
    if (trinity_seccomp_install("nginx-worker", &err) != TRINITY_OK) {
      fprintf(stderr, "install: %s\n", trinity_error_message(err));
      _exit(11);
    }
    if (exercise(before) != 0) _exit(12);
    trinity_instance_t* after = NULL;
    if (trinity_instance_new(module, host, &config, &after, NULL) != TRINITY_OK) _exit(13);
    if (exercise(after) != 0) _exit(14);
    /* The filter is really there: a call it refuses kills the child with SIGSYS. */
    fflush(NULL);
    if (fork() >= 0) _exit(15);
    _exit(16);
  }
  int status = 0;
  CHECK(waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);
  if (WIFEXITED(status)) fprintf(stderr, "child exited with %d\n", WEXITSTATUS(status));

  trinity_host_delete(host);
  trinity_module_delete(module);
  printf("%d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
