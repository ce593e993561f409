// mandelbrot: escape-time iteration, the native C baseline for mandelbrot.tri.
// Plain scalar doubles (no -ffast-math) so rounding matches the dynamic versions.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  long long n = argc > 1 ? atoll(argv[1]) : 100;
  long long total = 0, inside = 0;
  for (long long y = 0; y < n; y++) {
    double ci = 2.0 * y / n - 1.0;
    for (long long x = 0; x < n; x++) {
      double cr = 2.0 * x / n - 1.5;
      double zr = 0.0, zi = 0.0;
      int it = 0;
      while (it < 50) {
        double tr = zr * zr - zi * zi + cr;
        zi = 2.0 * zr * zi + ci;
        zr = tr;
        if (zr * zr + zi * zi > 4.0) break;
        it++;
      }
      total += it;
      if (it == 50) inside++;
    }
  }
  printf("%lld %lld\n", inside, total);
  return 0;
}
