// strings: string building, the native C baseline for strings.tri. Every step
// allocates and copies a fresh string like the dynamic versions do.
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char* replace_all(const char* s, const char* old, const char* rep) {
  size_t lo = strlen(old), lr = strlen(rep), count = 0;
  for (const char* p = strstr(s, old); p; p = strstr(p + lo, old)) count++;
  char* out = malloc(strlen(s) + count * lr - count * lo + 1);
  char* w = out;
  const char* p = s;
  for (const char* q = strstr(p, old); q; q = strstr(p, old)) {
    memcpy(w, p, q - p); w += q - p;
    memcpy(w, rep, lr); w += lr;
    p = q + lo;
  }
  strcpy(w, p);
  return out;
}

int main(int argc, char** argv) {
  long long n = argc > 1 ? atoll(argv[1]) : 10;
  long long total = 0, h = 0;
  for (long long r = 0; r < n; r++) {
    char* parts[200];
    size_t size = 0;
    for (int i = 0; i < 200; i++) {
      char buf[64];
      int len = snprintf(buf, sizeof buf, "item%lld=%d;", i * 7 + r, i % 13);
      parts[i] = malloc(len + 1);
      memcpy(parts[i], buf, len + 1);
      size += len;
    }
    char* s = malloc(size + 1);
    char* w = s;
    for (int i = 0; i < 200; i++) {
      size_t len = strlen(parts[i]);
      memcpy(w, parts[i], len); w += len;
      free(parts[i]);
    }
    *w = 0;
    char* u = malloc(size + 1);
    for (size_t i = 0; i <= size; i++) u[i] = (char)toupper((unsigned char)s[i]);
    total += (long long)size;
    long long hits = 0;
    for (const char* p = strstr(u, "=1"); p; p = strstr(p + 1, "=1")) hits++;
    char* replaced = replace_all(u, "ITEM", "k");
    total += (long long)strlen(replaced);
    char* line = malloc(1);
    line[0] = 0;
    for (int i = 0; i < 40; i++) {
      size_t len = strlen(line);
      char* next = malloc(len + 2);
      memcpy(next, line, len);
      next[len] = (char)(97 + (i + r) % 26);
      next[len + 1] = 0;
      free(line);
      line = next;
    }
    h = (h * 31 + hits + (unsigned char)line[r % 40]) % 1000000007;
    free(line); free(replaced); free(u); free(s);
  }
  printf("%lld %lld\n", total, h);
  return 0;
}
