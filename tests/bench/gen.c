/* SPDX-License-Identifier: MIT */
/* gen: fast data generators for the benchmarks (tests/bench/run.sh).
 *   gen raw MB              MB MiB of bytes on stdout; into a pipe with vmsplice(2)
 *                           (no copy: the generator must not be what is measured),
 *                           elsewhere with write(2) of a 1 MiB buffer.  GEN_WRITE=1
 *                           forces write(2).
 *   gen lines N LEN         N lines of LEN printable bytes, each + "\n"
 *   gen frames TYPE N LEN   the same N items encoded as TYPE on the wire:
 *                           line, netstring, packstring:N (len:u32be: the
 *                           same bytes, a 4-byte big-endian length); or json: N JSON
 *                           texts {"id":I,"name":"...","ok":true} of exactly
 *                           LEN bytes each, the trailing "\n" included, compact
 *                           (what JSON Lines writers print for them)
 *   gen jsonmix MB          MB MiB of mixed JSON texts, back to back or
 *                           separated by whitespace (see gen_jsonmix); on
 *                           stderr "jsonmix BYTES TEXTS TEXT_BYTES" (TEXT_BYTES:
 *                           the texts without the whitespace between them).
 *                           Into a pipe with vmsplice(2), as gen raw.
 *   gen jsonbig KIND MB     one JSON text of about MB MiB + "\n": KIND array
 *                           (of small objects) or string (see gen_jsonbig)
 * Build: cc -O2 -o gen gen.c */
#define _GNU_SOURCE
#define BENCH_PROG "gen"
#include "bench_util.h"
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/uio.h>

enum { CHUNK = 1 << 20 };

/* Whether stdout is a pipe to vmsplice(2) into (then sized to CHUNK, the
 * same for every tool measured). */
static int stdout_vmsplice(void)
{
    struct stat st;
    int use = fstat(1, &st) == 0 && S_ISFIFO(st.st_mode) && !getenv("GEN_WRITE");
    if (use)
        fcntl(1, F_SETPIPE_SZ, CHUNK);
    return use;
}

/* Writes p[0, n) to stdout.  With vmsplice the pipe may keep references to
 * the pages: p must never change afterwards. */
static void emit(const char *p, size_t n, int use_vmsplice)
{
    if (!use_vmsplice) {
        write_all(1, p, n);
        return;
    }
    struct iovec iov = { (void *)p, n };
    while (iov.iov_len) {
        ssize_t w = vmsplice(1, &iov, 1, 0);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            die("vmsplice");
        }
        iov.iov_base = (char *)iov.iov_base + w;
        iov.iov_len -= (size_t)w;
    }
}

static int gen_raw(long long mb)
{
    static char buf[CHUNK] __attribute__((aligned(4096)));
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (char)('a' + i % 26);
    int use_vmsplice = stdout_vmsplice();
    long long total = mb * CHUNK;
    while (total > 0) {
        size_t n = total < CHUNK ? (size_t)total : CHUNK;
        emit(buf, n, use_vmsplice);   /* the buffer never changes */
        total -= (long long)n;
    }
    return 0;
}

typedef struct { char *p; size_t n, cap; } out_t;

static void out_put(out_t *o, const void *p, size_t n)
{
    if (o->n + n > o->cap) {
        write_all(1, o->p, o->n);
        o->n = 0;
    }
    memcpy(o->p + o->n, p, n);
    o->n += n;
}

static void item(char *dst, long i, int len)
{
    /* a printable, distinct item: "000123:" then letters */
    char head[32];
    int h = snprintf(head, sizeof head, "%09ld:", i);
    for (int k = 0; k < len; k++)
        dst[k] = k < h ? head[k] : (char)('A' + (i + k) % 26);
}

/* A compact JSON text of exactly LEN bytes with its "\n", ITEM I; -1 if
 * LEN is too short for it. */
static int json_item(char *dst, long i, int len)
{
    char head[48];
    const char *tail = i % 3 ? "\",\"ok\":true}\n" : "\",\"ok\":false}\n";
    int h = snprintf(head, sizeof head, "{\"id\":%ld,\"name\":\"", i);
    int t = (int)strlen(tail), pad = len - h - t;
    if (pad < 0)
        return -1;
    memcpy(dst, head, (size_t)h);
    for (int k = 0; k < pad; k++)
        dst[h + k] = (char)((k & 1 ? 'a' : 'A') + (i + k) % 26);
    memcpy(dst + h + pad, tail, (size_t)t);
    return 0;
}

static int gen_items(const char *type, long n, int len)
{
    out_t o = { malloc(CHUNK + 64), 0, CHUNK };
    char it[4096];
    if (len < 1 || len > (int)sizeof it - 32 || !o.p) {
        fprintf(stderr, "gen: bad item length\n");
        return 2;
    }
    for (long i = 0; i < n; i++) {
        if (!strcmp(type, "json")) {
            if (json_item(it, i, len) < 0) {
                fprintf(stderr, "gen: json item %ld does not fit in %d bytes\n", i, len);
                return 2;
            }
            out_put(&o, it, (size_t)len);
            continue;
        }
        item(it, i, len);
        if (!strcmp(type, "lines") || !strcmp(type, "line")) {
            out_put(&o, it, (size_t)len);
            out_put(&o, "\n", 1);
        } else if (!strcmp(type, "netstring")) {
            char hdr[24];
            int h = snprintf(hdr, sizeof hdr, "%d:", len);
            out_put(&o, hdr, (size_t)h);
            out_put(&o, it, (size_t)len);
            out_put(&o, ",", 1);
        } else if (!strcmp(type, "packstring:N") || !strcmp(type, "len:u32be")) {
            unsigned char hdr[4] = { (unsigned char)(len >> 24), (unsigned char)(len >> 16),
                                     (unsigned char)(len >> 8), (unsigned char)len };
            out_put(&o, hdr, 4);
            out_put(&o, it, (size_t)len);
        } else {
            fprintf(stderr, "gen: unknown type '%s' (line, netstring, packstring:N, len:u32be, json)\n", type);
            return 2;
        }
    }
    write_all(1, o.p, o.n);
    return 0;
}

/* ------------------------------------------------------------ jsonmix
 * A pattern of about PATTERN bytes of JSON texts is made once (a fixed
 * seed: the same bytes every run), then written again and again; the
 * stream ends on a text boundary, padded to exactly MB MiB with newlines.
 * The texts, by count (the shares by bytes go to stderr):
 *   55% small objects (a tenth of them pretty-printed, "jq ." style)
 *    4% long strings, 1 to 8 KiB: ASCII words, every escape (\" \\ \/ \b
 *       \f \n \r \t \u00e9 \u0000 and a \ud83d\ude00 surrogate pair), and
 *       raw UTF-8 of 2, 3 and 4 bytes; half of them top-level strings, half
 *       the value in {"text": ...}
 *    3% deep nesting, 100 to 400 levels of arrays and objects
 *    6% arrays of 20 to 200 numbers, 15% top-level numbers, of all shapes
 *       (0, -0, integers up to 20 digits, fractions, exponents e/E/+/-)
 *    9% top-level literals, 8% top-level short strings
 * A scalar text is followed by whitespace (" ", "\n", "\t", "\r\n" or
 * " \n  "), as the grammar requires; an object or array by nothing
 * (back to back) or by whitespace, one time in two. */
enum { PATTERN = 4 << 20 };

typedef struct { char *p; size_t n, cap; } sb_t;

static void sb_put(sb_t *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            die("realloc");
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void sb_s(sb_t *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_f(sb_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_f(sb_t *b, const char *fmt, ...)
{
    char t[256];
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(t, sizeof t, fmt, ap);
    va_end(ap);
    sb_put(b, t, (size_t)m);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

/* 0 <= rnd(n) < n, xorshift64* */
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ull) >> 32) % n;
}

static void j_number(sb_t *b)
{
    switch (rnd(12)) {
    case 0:  sb_s(b, rnd(2) ? "0" : "-0"); break;
    case 1:  sb_f(b, "%u", rnd(10)); break;
    case 2:  sb_f(b, "%u", rnd(4000000000u)); break;
    case 3:  sb_f(b, "-%u", 1 + rnd(100000)); break;
    case 4:  sb_f(b, "%u%09u%09u", 1 + rnd(99), rnd(1000000000), rnd(1000000000)); break;
    case 5:  sb_f(b, "%u.%u", rnd(1000), rnd(1000000)); break;
    case 6:  sb_f(b, "-0.%03u%u", rnd(1000), 1 + rnd(999)); break;
    case 7:  sb_f(b, "%u.%02ue%d", 1 + rnd(9), rnd(100), (int)rnd(600) - 300); break;
    case 8:  sb_f(b, "-%uE+%u", 1 + rnd(9), rnd(308)); break;
    case 9:  sb_f(b, "%ue-%03u", 1 + rnd(9), rnd(300)); break;
    case 10: sb_f(b, "6.02214076E%u", 10 + rnd(20)); break;
    default: sb_f(b, "%u.%09u", rnd(100000), rnd(1000000000)); break;
    }
}

static const char *const words[] = {
    "lorem", "ipsum", "dolor", "sit", "amet", "stream", "frame", "handle", "buffer",
    "socket", "the", "of", "and", "network", "latency", "throughput", "a", "JSON",
};
static const char *const escapes[] = {
    "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u00e9", "\\u0000",
    "\\ud83d\\ude00", "\\u20AC",
};
static const char *const utf8[] = {
    "\xc3\xa9", "\xc3\xbc", "\xc3\x9f", "\xd0\x96", "\xe2\x82\xac", "\xe4\xb8\xad\xe6\x96\x87",
    "\xe2\x80\x94", "\xf0\x9f\x98\x80", "\xf0\x9d\x84\x9e", "\xef\xbf\xbd",
};
#define COUNT(a) (sizeof (a) / sizeof (a)[0])

static void j_long_string(sb_t *b, size_t len)
{
    size_t start = b->n;
    sb_s(b, "\"");
    while (b->n - start < len) {
        uint32_t k = rnd(100);
        if (k < 80) {
            sb_s(b, words[rnd(COUNT(words))]);
            sb_s(b, " ");
        } else if (k < 88) {
            sb_s(b, escapes[rnd(COUNT(escapes))]);
        } else {
            sb_s(b, utf8[rnd(COUNT(utf8))]);
        }
    }
    sb_s(b, "\"");
}

static void j_small_object(sb_t *b, int pretty)
{
    const char *o = pretty ? "{\n  " : "{", *c = pretty ? ",\n  " : ",", *k = pretty ? ": " : ":";
    uint32_t id = rnd(10000000);
    sb_f(b, "%s\"id\"%s%u%s\"user\"%s\"user_%u\"%s\"email\"%s\"u%u@example.com\"", o, k, id, c, k, id, c, k, id);
    sb_f(b, "%s\"score\"%s", c, k);
    j_number(b);
    sb_f(b, "%s\"tags\"%s[\"t%u\",\"t%u\"]%s\"active\"%s%s", c, k, rnd(50), rnd(50), c, k,
         rnd(2) ? "true" : "false");
    if (rnd(2))
        sb_f(b, "%s\"parent\"%snull", c, k);
    if (rnd(3) == 0)
        sb_f(b, "%s\"geo\"%s{\"lat\"%s%d.%04u,\"lon\"%s%d.%04u}", c, k, k, (int)rnd(180) - 90,
             rnd(10000), k, (int)rnd(360) - 180, rnd(10000));
    sb_s(b, pretty ? "\n}" : "}");
}

static void j_deep(sb_t *b, unsigned depth)
{
    char stack[512];
    for (unsigned d = 0; d < depth; d++) {
        if (rnd(2)) {
            stack[d] = ']';
            sb_s(b, "[");
            if (rnd(3) == 0) {
                j_number(b);
                sb_s(b, ",");
            }
        } else {
            stack[d] = '}';
            sb_f(b, "{\"k%u\":", d);
        }
    }
    switch (rnd(4)) {
    case 0: j_number(b); break;
    case 1: sb_s(b, "\"deep\""); break;
    case 2: sb_s(b, "[]"); break;
    default: sb_s(b, "{}"); break;
    }
    for (unsigned d = depth; d-- > 0;) {
        if (rnd(4) == 0)
            sb_s(b, stack[d] == ']' ? ",true" : ",\"z\":null");
        sb_put(b, &stack[d], 1);
    }
}

static void j_number_array(sb_t *b)
{
    unsigned n = 20 + rnd(181);
    sb_s(b, "[");
    for (unsigned i = 0; i < n; i++) {
        if (i)
            sb_s(b, rnd(4) ? "," : ", ");
        j_number(b);
    }
    sb_s(b, "]");
}

static void j_ws(sb_t *b)
{
    static const char *const ws[] = { " ", "\n", "\n", "\t", "\r\n", " \n  " };
    sb_s(b, ws[rnd(COUNT(ws))]);
}

static int gen_jsonmix(long long mb)
{
    sb_t pat = { 0 };
    size_t *ends = NULL, ntexts = 0, cap = 0;   /* ends[i]: offset after text i and its whitespace */
    unsigned long long *tb = NULL;                /* tb[i]: text bytes in texts 0..i */
    static const char *const kinds[] = { "small objects", "long strings", "deep nesting",
                                         "number arrays", "numbers", "literals", "short strings" };
    unsigned long long kind_bytes[7] = { 0 }, text_bytes = 0;
    while (pat.n < PATTERN) {
        size_t at = pat.n;
        uint32_t r = rnd(100);
        int kind, scalar = 0;
        if (r < 55) {
            kind = 0;
            j_small_object(&pat, rnd(10) == 0);
        } else if (r < 59) {
            kind = 1;
            size_t len = 1024 + rnd(7 * 1024);
            if (rnd(2)) {
                j_long_string(&pat, len);
                scalar = 1;
            } else {
                sb_s(&pat, "{\"text\":");
                j_long_string(&pat, len);
                sb_s(&pat, "}");
            }
        } else if (r < 62) {
            kind = 2;
            j_deep(&pat, 100 + rnd(301));
        } else if (r < 68) {
            kind = 3;
            j_number_array(&pat);
        } else if (r < 83) {
            kind = 4;
            j_number(&pat);
            scalar = 1;
        } else if (r < 92) {
            static const char *const lits[] = { "true", "false", "null" };
            kind = 5;
            sb_s(&pat, lits[rnd(3)]);
            scalar = 1;
        } else {
            kind = 6;
            sb_f(&pat, "\"s%u\"", rnd(100000));
            scalar = 1;
        }
        kind_bytes[kind] += pat.n - at;
        text_bytes += pat.n - at;
        if (scalar || rnd(2))
            j_ws(&pat);
        if (ntexts == cap) {
            cap = cap ? cap * 2 : 4096;
            ends = realloc(ends, cap * sizeof *ends);
            tb = realloc(tb, cap * sizeof *tb);
            if (!ends || !tb)
                die("realloc");
        }
        ends[ntexts] = pat.n;
        tb[ntexts++] = text_bytes;
    }
    fprintf(stderr, "jsonmix pattern: %zu bytes, %zu texts; by bytes:", pat.n, ntexts);
    for (int k = 0; k < 7; k++)
        fprintf(stderr, "%s %s %.1f%%", k ? "," : "", kinds[k], 100.0 * (double)kind_bytes[k] / (double)pat.n);
    fprintf(stderr, "\n");

    static char pad[65536];
    memset(pad, '\n', sizeof pad);
    int use_vmsplice = stdout_vmsplice();
    unsigned long long total = (unsigned long long)mb << 20, left = total, texts = 0, tbytes = 0;
    while (left >= pat.n) {
        emit(pat.p, pat.n, use_vmsplice);   /* pat never changes from here on */
        left -= pat.n;
        texts += ntexts;
        tbytes += text_bytes;
    }
    size_t k = 0;   /* the texts that fit in what is left */
    while (k < ntexts && ends[k] <= left)
        k++;
    if (k) {
        emit(pat.p, ends[k - 1], use_vmsplice);
        left -= ends[k - 1];
        texts += k;
        tbytes += tb[k - 1];
    }
    while (left) {
        size_t n = left < sizeof pad ? (size_t)left : sizeof pad;
        emit(pad, n, use_vmsplice);
        left -= n;
    }
    fprintf(stderr, "jsonmix %llu %llu %llu\n", total, texts, tbytes);
    return 0;
}

/* One text of about MB MiB: KIND array, an array of small objects (as in
 * jsonmix, a tenth pretty-printed, some of them nested), or string, a
 * single string of words, escapes and UTF-8 (as jsonmix's long strings);
 * then "\n". */
static int gen_jsonbig(const char *kind, long long mb)
{
    sb_t b = { 0 };
    size_t size = (size_t)mb << 20;
    if (!strcmp(kind, "string")) {
        j_long_string(&b, size - 2);
    } else if (!strcmp(kind, "array")) {
        sb_s(&b, "[");
        while (b.n < size - 400) {
            if (b.n > 1)
                sb_s(&b, rnd(8) ? "," : ",\n ");
            j_small_object(&b, rnd(10) == 0);
        }
        sb_s(&b, "]");
    } else {
        fprintf(stderr, "gen: jsonbig: unknown kind '%s' (array, string)\n", kind);
        return 2;
    }
    sb_s(&b, "\n");
    write_all(1, b.p, b.n);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "raw"))
        return gen_raw(atoll(argv[2]));
    if (argc == 4 && !strcmp(argv[1], "lines"))
        return gen_items("lines", atol(argv[2]), atoi(argv[3]));
    if (argc == 5 && !strcmp(argv[1], "frames"))
        return gen_items(argv[2], atol(argv[3]), atoi(argv[4]));
    if (argc == 3 && !strcmp(argv[1], "jsonmix"))
        return gen_jsonmix(atoll(argv[2]));
    if (argc == 4 && !strcmp(argv[1], "jsonbig"))
        return gen_jsonbig(argv[2], atoll(argv[3]));
    fprintf(stderr, "usage: gen raw MB | gen lines N LEN | gen frames TYPE N LEN | gen jsonmix MB |\n"
                    "       gen jsonbig array|string MB\n");
    return 2;
}
