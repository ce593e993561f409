// fannkuch: pancake flipping over all permutations, the native C baseline for
// fannkuch.tri; the same counting-order permutation walk, no SIMD tricks.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 7;
  int perm[32], perm1[33], count[32];
  for (int i = 0; i < n; i++) { perm[i] = 0; perm1[i] = i; count[i] = 0; }
  perm1[n] = 0;
  long long max_flips = 0, checksum = 0, perm_count = 0;
  int r = n;
  for (;;) {
    while (r != 1) { count[r - 1] = r; r--; }
    for (int i = 0; i < n; i++) perm[i] = perm1[i];
    long long flips = 0;
    int k = perm[0];
    while (k != 0) {
      for (int lo = 0, hi = k; lo < hi; lo++, hi--) {
        int t = perm[lo]; perm[lo] = perm[hi]; perm[hi] = t;
      }
      flips++;
      k = perm[0];
    }
    if (flips > max_flips) max_flips = flips;
    checksum += perm_count % 2 == 0 ? flips : -flips;
    for (;;) {
      if (r == n) {
        printf("%lld %lld\n", checksum, max_flips);
        return 0;
      }
      int first = perm1[0];
      for (int i = 0; i < r; i++) perm1[i] = perm1[i + 1];
      perm1[r] = first;
      if (--count[r] > 0) break;
      r++;
    }
    perm_count++;
  }
}
