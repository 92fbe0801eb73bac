/* SPDX-License-Identifier: MIT */
/* json_split: libaeh's JSON codec alone, in memory (tests/bench/run.sh, case
 * json): the "how fast could aecat split and validate" figure, without
 * sockets, the event loop or stdout.
 *   json_split [-r READ_SIZE] [-n REPS] [-w WARM] [-d DEPTH] [-b] [-v] FILE
 * FILE (mapped, so the disk is not measured) is fed to aeh_codec_json(DEPTH)
 * the way lib/handle.c feeds a decoder: each "read" appends READ_SIZE bytes
 * (default 256 KiB, the handle's largest read) to an aeh_buf read buffer
 * (aeh_buf_reserve, memcpy standing in for read(2), aeh_buf_commit); then
 * decode is called on the unconsumed bytes with the request's aeh_dstate
 * kept, a frame's `consumed` bytes leave the head (aeh_buf_consume), and
 * bytes consumed with MORE (whitespace between texts) too, until MORE with
 * nothing consumed asks for the next read; after the last read, eof.  The
 * frame callback only counts.  WARM untimed runs (default 1), then REPS
 * timed runs (default 3), each with a fresh buffer and state; the fastest is
 * kept.  Time is the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so that
 * other work on the machine does not count; the run is single-threaded and
 * does no I/O, so it is the whole cost.  Freed memory stays in the process
 * (mallopt), and the warm-up run has faulted it in: a 16 MiB text's buffer
 * costs the first run thousands of page faults (tens of microseconds each in
 * a VM), which would otherwise swamp the scanner's own cost.
 * Small READ_SIZEs (1 byte) show whether the scanner's cost depends on how
 * the stream is cut: done in memory on purpose, since 1-byte read(2)s on a
 * socket would measure the kernel's syscall cost, not the scanner.
 * -b: the baseline, the same feeding with a null decoder (returns MORE, and
 * the whole input as one frame at eof): what the reads and the calls cost
 * without any scanning, to subtract from the 1-byte reads' figure.
 * Prints "BYTES TEXTS TEXT_BYTES SECONDS NS_PER_BYTE" (SECONDS: the fastest
 * run; -v: each run's ns/byte on stderr too); exit 1 if the codec reports
 * an error (the message on stderr).
 * Build: cc -O2 -Ilib -o json_split json_split.c lib/libaeh.a -lev -lpcre2-8 -lpthread */
#define _GNU_SOURCE
#define BENCH_PROG "json_split"
#include "bench_util.h"
#include <malloc.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "aeh.h"

typedef struct {
    unsigned long long texts, text_bytes;
} counts;

/* The CPU time of this thread in seconds: the work done, not how much of a
 * loaded machine the process got (other processes' time is not counted). */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One run over in[0, n) in reads of rs bytes; fills *k.  Exits on an error. */
static void run(const aeh_codec *c, const uint8_t *in, size_t n, size_t rs, counts *k)
{
    aeh_buf rbuf = { 0 };
    aeh_dstate st;
    memset(&st, 0, sizeof st);
    size_t off = 0;
    unsigned long long rbase = 0;   /* stream offset of rbuf's head */
    bool eof = false;
    k->texts = k->text_bytes = 0;
    for (;;) {
        if (off < n) {
            size_t m = n - off < rs ? n - off : rs;
            uint8_t *p = aeh_buf_reserve(&rbuf, m);
            if (!p)
                die("aeh_buf_reserve");
            memcpy(p, in + off, m);
            aeh_buf_commit(&rbuf, m);
            off += m;
        } else {
            eof = true;
        }
        for (;;) {
            aeh_span f = { 0 };
            size_t used = 0, len = aeh_buf_len(&rbuf);
            aeh_error e;
            int rc = c->decode(c, &st, aeh_buf_data(&rbuf), len, eof, &f, &used, &e);
            if (rc == AEH_DEC_ERROR) {
                fprintf(stderr, "json_split: at byte %llu: %s\n", rbase + e.offset, e.msg);
                exit(1);
            }
            if (rc == AEH_DEC_MORE) {
                if (used) {
                    aeh_buf_consume(&rbuf, used);
                    rbase += used;
                    continue;
                }
                if (eof && len) {
                    fprintf(stderr, "json_split: truncated text at byte %llu\n", rbase);
                    exit(1);
                }
                break;
            }
            k->texts++;
            k->text_bytes += f.n;
            aeh_buf_consume(&rbuf, used);
            rbase += used;
            if (eof && used == 0 && f.n == 0)
                break;
        }
        if (eof)
            break;
    }
    aeh_buf_free(&st.out);
    aeh_buf_free(&rbuf);
}

/* -b: a decoder that looks at nothing */
static int null_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                       bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    (void)c, (void)st, (void)err;
    if (!eof || !len)
        return AEH_DEC_MORE;
    frame->p = buf;
    frame->n = len;
    *consumed = len;
    return AEH_DEC_FRAME;
}

int main(int argc, char **argv)
{
    size_t rs = 256 * 1024;
    int reps = 3, warm = 1, opt, verbose = 0, baseline = 0;
    unsigned depth = 0;
    while ((opt = getopt(argc, argv, "r:n:w:d:bv")) != -1) {
        switch (opt) {
        case 'v': verbose = 1; break;
        case 'b': baseline = 1; break;
        case 'r': rs = (size_t)strtoull(optarg, NULL, 10); break;
        case 'n': reps = atoi(optarg); break;
        case 'w': warm = atoi(optarg); break;
        case 'd': depth = (unsigned)atoi(optarg); break;
        default: goto usage;
        }
    }
    if (optind != argc - 1 || rs < 1 || reps < 1 || warm < 0)
        goto usage;
    int fd = open(argv[optind], O_RDONLY);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) < 0)
        die(argv[optind]);
    size_t n = (size_t)sb.st_size;
    const uint8_t *in = n ? mmap(NULL, n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0) : NULL;
    if (n && in == MAP_FAILED)
        die("mmap");
    aeh_error e;
    aeh_codec *c = aeh_codec_json(depth, &e);
    if (!c) {
        fprintf(stderr, "json_split: %s\n", e.msg);
        return 1;
    }
    if (baseline)
        c->decode = null_decode;
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    double best = 0;
    counts k = { 0 }, k0 = { 0 };
    for (int r = 0; r < warm; r++)
        run(c, in, n, rs, &k0);
    for (int r = 0; r < reps; r++) {
        double t0 = cpu_now();
        run(c, in, n, rs, &k);
        double t = cpu_now() - t0;
        if ((r || warm) && (k.texts != k0.texts || k.text_bytes != k0.text_bytes)) {
            fprintf(stderr, "json_split: runs disagree\n");
            return 1;
        }
        k0 = k;
        if (verbose)
            fprintf(stderr, "json_split: run %d: %.4f ns/byte\n", r + 1, n ? t * 1e9 / (double)n : 0.0);
        if (!r || t < best)
            best = t;
    }
    printf("%zu %llu %llu %.6f %.4f\n", n, k.texts, k.text_bytes, best, n ? best * 1e9 / (double)n : 0.0);
    aeh_codec_free(c);
    return 0;
usage:
    fprintf(stderr, "usage: json_split [-r READ_SIZE] [-n REPS] [-w WARM] [-d DEPTH] [-b] [-v] FILE\n");
    return 2;
}
