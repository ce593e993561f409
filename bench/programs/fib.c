// fib: doubly recursive Fibonacci, the native C baseline for fib.tri.
// noinline keeps the compiler from turning the recursion into a loop nest.
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static long long fib(long long n) {
  if (n < 2) return n;
  return fib(n - 1) + fib(n - 2);
}

int main(int argc, char** argv) {
  long long n = argc > 1 ? atoll(argv[1]) : 32;
  printf("%lld\n", fib(n));
  return 0;
}
