// guest-test: opt=O0,O2
/* glibc string and sorting routines (which use word-at-a-time and
 * misaligned tricks): memcpy/memmove with every small offset and length
 * and overlapping ranges, memset, memcmp, strlen at every alignment,
 * strcmp/strncmp, strchr/strrchr, strstr, strtok, snprintf truncation,
 * qsort and bsearch on integers and strings. */
#include <stdlib.h>
#include <string.h>
#include "common.h"

static uint64_t fnv(const void *p, size_t n) {
    const uint8_t *b = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static void mem_tests(void) {
    static uint8_t src[300], dst[300], ref[300];
    int ok = 1;
    for (unsigned i = 0; i < 300; i++) src[i] = (uint8_t)(i * 13 + 5);
    for (unsigned so = 0; so < 8; so++)
        for (unsigned d_o = 0; d_o < 8; d_o++)
            for (unsigned n = 0; n < 70; n++) {
                memset(dst, 0xee, sizeof dst);
                memcpy(dst + d_o, src + so, n);
                for (unsigned i = 0; i < 300; i++) {
                    uint8_t want = (i >= d_o && i < d_o + n) ? src[so + i - d_o] : 0xee;
                    ok &= dst[i] == want;
                }
            }
    check("memcpy all offsets/lengths", ok);
    ok = 1;
    /* Overlapping memmove both directions against a byte-wise model. */
    for (int shift = -9; shift <= 9; shift++)
        for (unsigned n = 0; n < 100; n += 7) {
            for (unsigned i = 0; i < 300; i++) dst[i] = ref[i] = src[i];
            unsigned from = 100, to = (unsigned)(100 + shift);
            memmove(dst + to, dst + from, n);
            uint8_t tmp[300];
            for (unsigned i = 0; i < n; i++) tmp[i] = ref[from + i];
            for (unsigned i = 0; i < n; i++) ref[to + i] = tmp[i];
            ok &= memcmp(dst, ref, 300) == 0;
        }
    check("memmove overlapping", ok);
    memset(dst, 0x5a, 257);
    printf("memset hash %016llx\n", (unsigned long long)fnv(dst, 300));
    printf("memcmp signs: %d %d %d\n", memcmp("abc", "abd", 3) < 0, memcmp("abd", "abc", 3) > 0,
           memcmp("\x80", "\x01", 1) > 0);
}

static void str_tests(void) {
    char buf[128];
    int ok = 1;
    for (unsigned align = 0; align < 16; align++)
        for (unsigned len = 0; len < 40; len++) {
            memset(buf, 'x', sizeof buf);
            buf[align + len] = 0;
            ok &= strlen(buf + align) == len;
        }
    check("strlen all alignments", ok);
    printf("strcmp: %d %d %d %d\n", strcmp("abc", "abc") == 0, strcmp("abc", "abcd") < 0,
           strcmp("b", "abc") > 0, strcmp("\xff", "a") > 0);
    printf("strncmp: %d %d\n", strncmp("abcdef", "abcxyz", 3) == 0, strncmp("abcdef", "abcxyz", 4) < 0);
    const char *hay = "the quick brown fox jumps over the lazy dog";
    printf("strstr: %ld %ld %d\n", (long)(strstr(hay, "fox") - hay), (long)(strstr(hay, "the l") - hay),
           strstr(hay, "cat") == NULL);
    printf("strchr: %ld strrchr: %ld\n", (long)(strchr(hay, 'o') - hay), (long)(strrchr(hay, 'o') - hay));
    char tok[] = "a,b;;c,,d";
    printf("strtok:");
    for (char *t = strtok(tok, ",;"); t; t = strtok(NULL, ",;")) printf(" [%s]", t);
    printf("\n");
    volatile size_t cap = 8; /* hidden from -Wformat-truncation on purpose */
    int n = snprintf(buf, cap, "%s-%d", "truncated", 12345);
    printf("snprintf returns %d, buffer \"%s\"\n", n, buf);
    check("snprintf truncates", n == 15 && strlen(buf) == 7);
    snprintf(buf, sizeof buf, "%5d|%-5d|%05d|%x|%#o|%c|%%|%lld|%llu", 42, 42, 42, 255, 8, 'z',
             -9223372036854775807LL - 1, 18446744073709551615ULL);
    printf("%s\n", buf);
    char dup[32];
    strcpy(dup, "hello");
    strcat(dup, ", world");
    printf("strcpy/strcat: %s (%zu)\n", dup, strlen(dup));
    printf("strtol: %ld %ld %lu\n", strtol("-0x7f", NULL, 16), strtol("  123abc", NULL, 10),
           strtoul("18446744073709551615", NULL, 10));
}

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}
static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void sort_tests(void) {
    static int v[5000];
    uint32_t s = 12345;
    for (int i = 0; i < 5000; i++) {
        s = s * 1103515245u + 12345u;
        v[i] = (int)(s >> 1) - (1 << 30);
    }
    qsort(v, 5000, sizeof v[0], cmp_int);
    int sorted = 1;
    for (int i = 1; i < 5000; i++) sorted &= v[i - 1] <= v[i];
    check("qsort ints sorted", sorted);
    printf("qsort ints: first %d last %d hash %016llx\n", v[0], v[4999],
           (unsigned long long)fnv(v, sizeof v));
    int key = v[1234];
    int *found = bsearch(&key, v, 5000, sizeof v[0], cmp_int);
    check("bsearch finds", found && *found == key);
    const char *words[] = {"pear", "apple", "fig", "banana", "cherry", "apple", "date", "Zebra", ""};
    qsort(words, 9, sizeof words[0], cmp_str);
    printf("qsort strings:");
    for (int i = 0; i < 9; i++) printf(" \"%s\"", words[i]);
    printf("\n");
}

int main(void) {
    mem_tests();
    str_tests();
    sort_tests();
    return finish();
}
