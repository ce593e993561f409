// wordfreq: split, normalise and count words, the native C baseline for wordfreq.tri,
// with a small open-addressing hash table standing in for the map.
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long long next_seed(long long seed) { return seed * 16807 % 2147483647; }

typedef struct { char* key; long long count; } Slot;
enum { kSlots = 4096 };  // power of two, well above the 500-word vocabulary
static Slot table[kSlots];

static unsigned fnv(const char* s, size_t n) {
  unsigned h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static void count_word(const char* w, size_t n) {
  unsigned i = fnv(w, n) & (kSlots - 1);
  while (table[i].key) {
    if (strlen(table[i].key) == n && memcmp(table[i].key, w, n) == 0) {
      table[i].count++;
      return;
    }
    i = (i + 1) & (kSlots - 1);
  }
  table[i].key = strndup(w, n);
  table[i].count = 1;
}

int main(int argc, char** argv) {
  long long n = argc > 1 ? atoll(argv[1]) : 1000;
  static const char* syl[12] = {"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "qu", "ba", "de"};
  long long seed = 42;
  char vocab[500][16];
  for (int v = 0; v < 500; v++) {
    seed = next_seed(seed);
    int nsyl = 2 + (int)(seed % 3);
    vocab[v][0] = 0;
    for (int s = 0; s < nsyl; s++) {
      seed = next_seed(seed);
      strcat(vocab[v], syl[seed % 12]);
    }
    seed = next_seed(seed);
    if (seed % 5 == 0)
      for (char* c = vocab[v]; *c; c++) *c = (char)toupper((unsigned char)*c);
  }
  char* text = malloc(n * 9 + 1);
  size_t len = 0;
  for (long long i = 0; i < n; i++) {
    seed = next_seed(seed);
    const char* w = vocab[seed % 500];
    if (i > 0) text[len++] = (i % 12 == 0) ? '\n' : ' ';
    size_t wl = strlen(w);
    memcpy(text + len, w, wl);
    len += wl;
  }
  text[len] = 0;

  char word[64];
  size_t start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i == len || text[i] == ' ' || text[i] == '\n') {
      size_t wl = i - start;
      for (size_t k = 0; k < wl; k++) word[k] = (char)tolower((unsigned char)text[start + k]);
      count_word(word, wl);
      start = i + 1;
    }
  }
  long long distinct = 0, sum = 0;
  for (int i = 0; i < kSlots; i++) {
    if (!table[i].key) continue;
    distinct++;
    long long h = 0;
    for (const char* c = table[i].key; *c; c++) h = (h * 31 + (unsigned char)*c) % 1000000007;
    sum = (sum + table[i].count * h) % 1000000007;
    free(table[i].key);
  }
  printf("%lld %lld\n", distinct, sum);
  free(text);
  return 0;
}
