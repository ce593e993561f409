// sieve: sieve of Eratosthenes, the native C baseline for sieve.tri.
// A byte per flag, heap-allocated like the dynamic versions' arrays.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  long long n = argc > 1 ? atoll(argv[1]) : 100;
  unsigned char* flags = malloc(n + 1);
  memset(flags, 1, n + 1);
  long long count = 0, sum = 0;
  for (long long i = 2; i <= n; i++) {
    if (flags[i]) {
      count++;
      sum += i;
      for (long long j = i * i; j <= n; j += i) flags[j] = 0;
    }
  }
  printf("%lld %lld\n", count, sum);
  free(flags);
  return 0;
}
