/*
 * zstd workload for the real-software test: compresses generated data of
 * several kinds at several levels with the one-shot, streaming and
 * dictionary APIs, decompresses it again, and prints sizes and checksums.
 * Every result is also checked here (round trip equals the input), so a
 * wrong answer shows up as "MISMATCH" even before the comparison with qemu.
 * Exit status: 0 when every round trip matched, 1 otherwise.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZSTD_STATIC_LINKING_ONLY
#include "zdict.h"
#include "zstd.h"

static int failures;

/* 64-bit FNV-1a, independent of zstd's own xxhash. */
static uint64_t fnv1a(const unsigned char *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: deterministic data independent of libc's rand(). */
static uint64_t rng(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Text-like data: words drawn with a skewed distribution, with punctuation. */
static void gen_text(unsigned char *buf, size_t n) {
    static const char *words[] = {
        "the", "of", "and", "to", "in", "virtual", "machine", "register",
        "instruction", "memory", "page", "fault", "signal", "compressor",
        "entropy", "dictionary", "frame", "block", "literal", "sequence",
    };
    size_t pos = 0;
    while (pos < n) {
        uint64_t r = rng();
        unsigned idx = (unsigned)((r & 0xff) * (r & 0xff) / (256 * 256 / 20)) % 20;
        const char *w = words[idx];
        size_t len = strlen(w);
        for (size_t i = 0; i < len && pos < n; i++) buf[pos++] = (unsigned char)w[i];
        if (pos < n) buf[pos++] = (r >> 20) % 13 == 0 ? '\n' : ((r >> 20) % 7 == 0 ? ',' : ' ');
    }
}

/* Structured binary data: little-endian records with slowly changing fields. */
static void gen_records(unsigned char *buf, size_t n) {
    uint32_t a = 1000, b = 7;
    for (size_t i = 0; i + 16 <= n; i += 16) {
        a += (uint32_t)(rng() % 5);
        b = b * 3 + 1;
        uint64_t c = rng() & 0xffff;
        memcpy(buf + i, &a, 4);
        memcpy(buf + i + 4, &b, 4);
        memcpy(buf + i + 8, &c, 8);
    }
}

static void gen_random(unsigned char *buf, size_t n) {
    for (size_t i = 0; i < n; i++) buf[i] = (unsigned char)(rng() >> 56);
}

static void check(int ok, const char *what) {
    if (!ok) {
        printf("MISMATCH: %s\n", what);
        failures++;
    }
}

/* One-shot compression at `level`, then decompression and comparison. */
static void one_shot(const char *name, const unsigned char *src, size_t n, int level) {
    size_t cap = ZSTD_compressBound(n);
    unsigned char *comp = malloc(cap);
    unsigned char *back = malloc(n + 1);
    size_t csize = ZSTD_compress(comp, cap, src, n, level);
    if (ZSTD_isError(csize)) {
        printf("%s level %d: compress error %s\n", name, level, ZSTD_getErrorName(csize));
        failures++;
        free(comp);
        free(back);
        return;
    }
    unsigned long long content = ZSTD_getFrameContentSize(comp, csize);
    size_t dsize = ZSTD_decompress(back, n + 1, comp, csize);
    check(!ZSTD_isError(dsize) && dsize == n && memcmp(back, src, n) == 0, name);
    printf("%-8s level %3d: %7zu -> %7zu bytes, content %llu, comp %016llx\n", name, level, n,
           csize, content, (unsigned long long)fnv1a(comp, csize));
    free(comp);
    free(back);
}

/* Streaming compression with a checksum, fed in odd-sized pieces. */
static void streaming(const char *name, const unsigned char *src, size_t n, int level) {
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, 17);
    size_t cap = ZSTD_compressBound(n) + 1024;
    unsigned char *comp = malloc(cap);
    ZSTD_outBuffer out = {comp, cap, 0};
    size_t fed = 0;
    size_t piece = 1000;
    while (fed < n) {
        size_t len = n - fed < piece ? n - fed : piece;
        ZSTD_inBuffer in = {src + fed, len, 0};
        while (in.pos < in.size) {
            size_t r = ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_continue);
            if (ZSTD_isError(r)) {
                printf("stream error %s\n", ZSTD_getErrorName(r));
                failures++;
                goto done;
            }
        }
        fed += len;
        piece = piece * 3 / 2 + 17;
    }
    {
        ZSTD_inBuffer in = {NULL, 0, 0};
        size_t left;
        do {
            left = ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_end);
        } while (left != 0 && !ZSTD_isError(left));
    }
    {
        /* Decompress in small output chunks. */
        ZSTD_DCtx *dctx = ZSTD_createDCtx();
        unsigned char *back = malloc(n);
        unsigned char chunk[4096];
        ZSTD_inBuffer in = {comp, out.pos, 0};
        size_t got = 0;
        int ok = 1;
        for (;;) {
            ZSTD_outBuffer o = {chunk, sizeof chunk, 0};
            size_t r = ZSTD_decompressStream(dctx, &o, &in);
            if (ZSTD_isError(r) || got + o.pos > n) {
                ok = 0;
                break;
            }
            memcpy(back + got, chunk, o.pos);
            got += o.pos;
            if (r == 0) break;
            if (in.pos == in.size && o.pos == 0) {
                ok = 0;
                break;
            }
        }
        check(ok && got == n && memcmp(back, src, n) == 0, "streaming round trip");
        printf("%-8s stream %3d: %7zu -> %7zu bytes, comp %016llx\n", name, level, n, out.pos,
               (unsigned long long)fnv1a(comp, out.pos));
        free(back);
        ZSTD_freeDCtx(dctx);
    }
done:
    free(comp);
    ZSTD_freeCCtx(cctx);
}

/* Trains a dictionary on small text samples and compresses with it. */
static void dictionary(void) {
    enum { SAMPLES = 300, SAMPLE_SIZE = 400, DICT_CAP = 8192 };
    static unsigned char samples[SAMPLES * SAMPLE_SIZE];
    size_t sizes[SAMPLES];
    gen_text(samples, sizeof samples);
    for (int i = 0; i < SAMPLES; i++) sizes[i] = SAMPLE_SIZE;
    static unsigned char dict[DICT_CAP];
    size_t dsize = ZDICT_trainFromBuffer(dict, DICT_CAP, samples, sizes, SAMPLES);
    if (ZDICT_isError(dsize)) {
        printf("dictionary training failed: %s\n", ZDICT_getErrorName(dsize));
        failures++;
        return;
    }
    printf("dictionary: %zu bytes, id %u, hash %016llx\n", dsize, ZDICT_getDictID(dict, dsize),
           (unsigned long long)fnv1a(dict, dsize));
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    size_t plain_total = 0, dict_total = 0;
    unsigned char comp[1024], back[SAMPLE_SIZE];
    for (int i = 0; i < 50; i++) {
        unsigned char msg[SAMPLE_SIZE];
        gen_text(msg, sizeof msg);
        size_t p = ZSTD_compressCCtx(cctx, comp, sizeof comp, msg, sizeof msg, 3);
        size_t d = ZSTD_compress_usingDict(cctx, comp, sizeof comp, msg, sizeof msg, dict, dsize, 3);
        if (ZSTD_isError(p) || ZSTD_isError(d)) {
            check(0, "dictionary compress");
            continue;
        }
        size_t r = ZSTD_decompress_usingDict(dctx, back, sizeof back, comp, d, dict, dsize);
        check(!ZSTD_isError(r) && r == sizeof msg && memcmp(back, msg, r) == 0, "dictionary round trip");
        plain_total += p;
        dict_total += d;
    }
    printf("dictionary: 50 messages, plain %zu bytes, with dictionary %zu bytes\n", plain_total, dict_total);
    ZSTD_freeCCtx(cctx);
    ZSTD_freeDCtx(dctx);
}

/* Corrupted and truncated frames must be rejected with an error. */
static void corruption(const unsigned char *src, size_t n) {
    size_t cap = ZSTD_compressBound(n);
    unsigned char *comp = malloc(cap);
    unsigned char *back = malloc(n);
    size_t csize = ZSTD_compress(comp, cap, src, n, 5);
    size_t r = ZSTD_decompress(back, n, comp, csize / 2);
    printf("truncated: %s\n", ZSTD_isError(r) ? ZSTD_getErrorName(r) : "accepted");
    comp[0] ^= 0xff;
    r = ZSTD_decompress(back, n, comp, csize);
    printf("bad magic: %s\n", ZSTD_isError(r) ? ZSTD_getErrorName(r) : "accepted");
    comp[0] ^= 0xff;
    r = ZSTD_decompress(back, n / 2, comp, csize);
    printf("small dst: %s\n", ZSTD_isError(r) ? ZSTD_getErrorName(r) : "accepted");
    free(comp);
    free(back);
}

int main(void) {
    printf("zstd %s\n", ZSTD_versionString());
    const size_t text_n = 200000, rec_n = 96000, rnd_n = 40000, zero_n = 1 << 20;
    unsigned char *text = malloc(text_n), *rec = malloc(rec_n), *rnd = malloc(rnd_n);
    unsigned char *zero = calloc(zero_n, 1);
    gen_text(text, text_n);
    gen_records(rec, rec_n);
    gen_random(rnd, rnd_n);
    printf("inputs: text %016llx records %016llx random %016llx\n",
           (unsigned long long)fnv1a(text, text_n), (unsigned long long)fnv1a(rec, rec_n),
           (unsigned long long)fnv1a(rnd, rnd_n));

    static const int levels[] = {-5, 1, 3, 6, 12};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        one_shot("text", text, text_n, levels[i]);
        one_shot("records", rec, rec_n, levels[i]);
    }
    /* The optimal parser (level 19) is slow: give it a prefix only. */
    one_shot("text", text, text_n / 4, 19);
    one_shot("records", rec, rec_n / 2, 19);
    one_shot("random", rnd, rnd_n, 3);
    one_shot("zeros", zero, zero_n, 3);
    streaming("text", text, text_n, 4);
    streaming("records", rec, rec_n, 9);
    dictionary();
    corruption(text, text_n);
    printf("failures: %d\n", failures);
    free(text);
    free(rec);
    free(rnd);
    free(zero);
    return failures == 0 ? 0 : 1;
}
