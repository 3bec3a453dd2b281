// guest-test: opt=O0,O2
/* getrandom(2) and AT_RANDOM: calls succeed and fill the buffer (two
 * 64-byte draws differ; the bytes are not all zero); flags GRND_NONBLOCK
 * accepted; the result itself is never printed. */
#include <sys/auxv.h>
#include <sys/random.h>
#include "common.h"

int main(void) {
    uint8_t a[64], b[64];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    check("getrandom 64", getrandom(a, sizeof a, 0) == 64);
    check("getrandom nonblock", getrandom(b, sizeof b, GRND_NONBLOCK) == 64);
    check("draws differ", memcmp(a, b, sizeof a) != 0);
    int nonzero = 0;
    for (unsigned i = 0; i < sizeof a; i++) nonzero |= a[i];
    check("not all zero", nonzero != 0);
    check("getrandom 0 bytes", getrandom(a, 0, 0) == 0);
    static uint8_t big[100000];
    ssize_t got = getrandom(big, sizeof big, 0);
    check("large request returns bytes", got > 0 && got <= (ssize_t)sizeof big);
    const uint8_t *r = (const uint8_t *)getauxval(AT_RANDOM);
    int rnz = 0;
    for (int i = 0; r && i < 16; i++) rnz |= r[i];
    check("AT_RANDOM has 16 bytes not all zero", r && rnz);
    return finish();
}
