/* Floating point: the n-body simulation of the Computer Language Benchmarks
 * Game (double precision, sqrt, divisions), n steps.
 *
 * FP contraction is off for this file so that x86-64 (no FMA at -O2) and
 * riscv64 (fmadd) compute bit-identical results and print the same checksum. */
#pragma GCC optimize("fp-contract=off")
#include <math.h>
#include <string.h>
#include "common.h"

#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24
#define NBODIES 5

struct body { double x[3], v[3], mass; };

static struct body bodies[NBODIES] = {
    {{0, 0, 0}, {0, 0, 0}, SOLAR_MASS},
    {{4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01},
     {1.66007664274403694e-03 * DAYS_PER_YEAR, 7.69901118419740425e-03 * DAYS_PER_YEAR,
      -6.90460016972063023e-05 * DAYS_PER_YEAR}, 9.54791938424326609e-04 * SOLAR_MASS},
    {{8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01},
     {-2.76742510726862411e-03 * DAYS_PER_YEAR, 4.99852801234917238e-03 * DAYS_PER_YEAR,
      2.30417297573763929e-05 * DAYS_PER_YEAR}, 2.85885980666130812e-04 * SOLAR_MASS},
    {{1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01},
     {2.96460137564761618e-03 * DAYS_PER_YEAR, 2.37847173959480950e-03 * DAYS_PER_YEAR,
      -2.96589568540237556e-05 * DAYS_PER_YEAR}, 4.36624404335156298e-05 * SOLAR_MASS},
    {{1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01},
     {2.68067772490389322e-03 * DAYS_PER_YEAR, 1.62824170038242295e-03 * DAYS_PER_YEAR,
      -9.51592254519715870e-05 * DAYS_PER_YEAR}, 5.15138902046611451e-05 * SOLAR_MASS},
};

static double energy(void) {
    double e = 0;
    for (int i = 0; i < NBODIES; i++) {
        struct body *b = &bodies[i];
        e += 0.5 * b->mass * (b->v[0] * b->v[0] + b->v[1] * b->v[1] + b->v[2] * b->v[2]);
        for (int j = i + 1; j < NBODIES; j++) {
            double d[3];
            for (int k = 0; k < 3; k++) d[k] = b->x[k] - bodies[j].x[k];
            e -= b->mass * bodies[j].mass / sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        }
    }
    return e;
}

static void advance(double dt) {
    for (int i = 0; i < NBODIES; i++)
        for (int j = i + 1; j < NBODIES; j++) {
            double d[3];
            for (int k = 0; k < 3; k++) d[k] = bodies[i].x[k] - bodies[j].x[k];
            double d2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
            double mag = dt / (d2 * sqrt(d2));
            for (int k = 0; k < 3; k++) {
                bodies[i].v[k] -= d[k] * bodies[j].mass * mag;
                bodies[j].v[k] += d[k] * bodies[i].mass * mag;
            }
        }
    for (int i = 0; i < NBODIES; i++)
        for (int k = 0; k < 3; k++) bodies[i].x[k] += dt * bodies[i].v[k];
}

int main(int argc, char **argv) {
    long n = bench_size(argc, argv, 1000000);
    double p[3] = {0, 0, 0};
    for (int i = 0; i < NBODIES; i++)
        for (int k = 0; k < 3; k++) p[k] += bodies[i].v[k] * bodies[i].mass;
    for (int k = 0; k < 3; k++) bodies[0].v[k] = -p[k] / SOLAR_MASS;
    double e0 = energy();
    for (long s = 0; s < n; s++) advance(0.01);
    double e1 = energy();
    printf("%.9f\n%.9f\n", e0, e1);
    uint64_t bits0, bits1;
    memcpy(&bits0, &e0, sizeof bits0);
    memcpy(&bits1, &e1, sizeof bits1);
    bench_report("nbody", n, bits0 ^ (bits1 * 3));
    return 0;
}
