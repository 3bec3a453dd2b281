/* Mandelbrot set as ASCII art: double-precision floating point in a
 * tight loop. Optional argv[1]: maximum iterations (default 500). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long max_iter = argc > 1 ? strtol(argv[1], NULL, 10) : 500;
    if (max_iter < 1 || max_iter > 1000000) {
        fprintf(stderr, "usage: mandelbrot [MAX_ITER], 1 <= MAX_ITER <= 1e6\n");
        return 2;
    }
    /* Escape-time bands, roughly logarithmic so the halo shows. */
    const char *shades = " .:-=+*#%";
    const long bands[9] = {2, 3, 4, 5, 7, 10, 16, 30, 1000001};
    const int width = 78, height = 32;
    for (int y = 0; y < height; y++) {
        double ci = -1.2 + 2.4 * y / (height - 1);
        for (int x = 0; x < width; x++) {
            double cr = -2.1 + 2.8 * x / (width - 1);
            double zr = 0, zi = 0;
            long i = 0;
            while (i < max_iter && zr * zr + zi * zi <= 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci;
                zr = t;
                i++;
            }
            int band = 0;
            while (i > bands[band]) band++;
            putchar(i == max_iter ? '@' : shades[band]);
        }
        putchar('\n');
    }
    return 0;
}
