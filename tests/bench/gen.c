/* gen: fast data generators for the benchmarks (tests/bench/run.sh).
 *   gen raw MB              MB MiB of bytes on stdout; into a pipe with vmsplice(2)
 *                           (no copy: the generator must not be what is measured),
 *                           elsewhere with write(2) of a 1 MiB buffer.  GEN_WRITE=1
 *                           forces write(2).
 *   gen lines N LEN         N lines of LEN printable bytes, each + "\n"
 *   gen frames TYPE N LEN   the same N items encoded as TYPE on the wire:
 *                           line, netstring, packstring:N
 * Build: cc -O2 -o gen gen.c */
#define _GNU_SOURCE
#define BENCH_PROG "gen"
#include "bench_util.h"
#include <sys/stat.h>
#include <sys/uio.h>

enum { CHUNK = 1 << 20 };

static int gen_raw(long long mb)
{
    static char buf[CHUNK] __attribute__((aligned(4096)));
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (char)('a' + i % 26);
    struct stat st;
    int use_vmsplice = fstat(1, &st) == 0 && S_ISFIFO(st.st_mode) && !getenv("GEN_WRITE");
    if (use_vmsplice)
        fcntl(1, F_SETPIPE_SZ, CHUNK);   /* same for every tool measured */
    long long total = mb * CHUNK;
    while (total > 0) {
        size_t n = total < CHUNK ? (size_t)total : CHUNK;
        if (use_vmsplice) {
            /* The buffer never changes, so the pipe may keep references to it. */
            struct iovec iov = { buf, n };
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
        } else {
            write_all(1, buf, n);
        }
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

static int gen_items(const char *type, long n, int len)
{
    out_t o = { malloc(CHUNK + 64), 0, CHUNK };
    char it[4096];
    if (len < 1 || len > (int)sizeof it - 32 || !o.p) {
        fprintf(stderr, "gen: bad item length\n");
        return 2;
    }
    for (long i = 0; i < n; i++) {
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
        } else if (!strcmp(type, "packstring:N")) {
            unsigned char hdr[4] = { (unsigned char)(len >> 24), (unsigned char)(len >> 16),
                                     (unsigned char)(len >> 8), (unsigned char)len };
            out_put(&o, hdr, 4);
            out_put(&o, it, (size_t)len);
        } else {
            fprintf(stderr, "gen: unknown type '%s' (line, netstring, packstring:N)\n", type);
            return 2;
        }
    }
    write_all(1, o.p, o.n);
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
    fprintf(stderr, "usage: gen raw MB | gen lines N LEN | gen frames TYPE N LEN\n");
    return 2;
}
