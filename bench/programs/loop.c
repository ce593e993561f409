// loop: tight integer loop, the native C baseline for loop.tri.
// volatile-free on purpose: the loop-carried modulo chain cannot be folded away.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  long long n = argc > 1 ? atoll(argv[1]) : 1000;
  long long acc = 0, evens = 0;
  for (long long i = 0; i < n; i++) {
    acc = (acc * 31 + i) % 1000000007;
    if (acc % 2 == 0) evens++;
  }
  printf("%lld\n", acc + evens);
  return 0;
}
