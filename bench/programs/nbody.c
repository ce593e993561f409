// nbody: Jovian planets under Newtonian gravity, the native C baseline for nbody.tri.
// Structs replace the maps; the float expression order is kept identical on purpose.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct { double x, y, z, vx, vy, vz, mass; } Body;

static const double kPi = 3.141592653589793;

static Body body(double x, double y, double z, double vx, double vy, double vz, double mass) {
  double days = 365.24;
  Body b = {x, y, z, vx * days, vy * days, vz * days, mass * 4.0 * kPi * kPi};
  return b;
}

static double energy(Body* bodies, int nb) {
  double e = 0.0;
  for (int i = 0; i < nb; i++) {
    Body* bi = &bodies[i];
    e += 0.5 * bi->mass * (bi->vx * bi->vx + bi->vy * bi->vy + bi->vz * bi->vz);
    for (int j = i + 1; j < nb; j++) {
      Body* bj = &bodies[j];
      double dx = bi->x - bj->x, dy = bi->y - bj->y, dz = bi->z - bj->z;
      e -= bi->mass * bj->mass / sqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return e;
}

static void advance(Body* bodies, int nb, double dt) {
  for (int i = 0; i < nb; i++) {
    Body* bi = &bodies[i];
    for (int j = i + 1; j < nb; j++) {
      Body* bj = &bodies[j];
      double dx = bi->x - bj->x, dy = bi->y - bj->y, dz = bi->z - bj->z;
      double d2 = dx * dx + dy * dy + dz * dz;
      double mag = dt / (d2 * sqrt(d2));
      bi->vx -= dx * bj->mass * mag;
      bi->vy -= dy * bj->mass * mag;
      bi->vz -= dz * bj->mass * mag;
      bj->vx += dx * bi->mass * mag;
      bj->vy += dy * bi->mass * mag;
      bj->vz += dz * bi->mass * mag;
    }
  }
  for (int i = 0; i < nb; i++) {
    bodies[i].x += dt * bodies[i].vx;
    bodies[i].y += dt * bodies[i].vy;
    bodies[i].z += dt * bodies[i].vz;
  }
}

int main(int argc, char** argv) {
  long long n = argc > 1 ? atoll(argv[1]) : 1000;
  Body bodies[5] = {
      body(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0),
      body(4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
           1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05,
           9.54791938424326609e-04),
      body(8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
           -2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05,
           2.85885980666130812e-04),
      body(1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
           2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05,
           4.36624404335156298e-05),
      body(1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
           2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05,
           5.15138902046611451e-05),
  };
  double px = 0.0, py = 0.0, pz = 0.0;
  for (int i = 0; i < 5; i++) {
    px += bodies[i].vx * bodies[i].mass;
    py += bodies[i].vy * bodies[i].mass;
    pz += bodies[i].vz * bodies[i].mass;
  }
  double solar = 4.0 * kPi * kPi;
  bodies[0].vx = -px / solar;
  bodies[0].vy = -py / solar;
  bodies[0].vz = -pz / solar;
  double e0 = energy(bodies, 5);
  for (long long s = 0; s < n; s++) advance(bodies, 5, 0.01);
  double e1 = energy(bodies, 5);
  printf("%lld %lld\n", (long long)(-e0 * 1e9), (long long)(-e1 * 1e9));
  return 0;
}
