/* SPDX-License-Identifier: MIT */
/* sink: the receiving end of the benchmarks (tests/bench/run.sh).
 *   sink [-o FILE] [-n BYTES] [-r SIZE] [-d USEC]   read stdin to its end
 *   sink -L READYFILE [-o FILE] [-n BYTES] [-r SIZE] [-d USEC]
 *        listen on 127.0.0.1 port 0, write "listening 127.0.0.1 PORT\n" to
 *        READYFILE, accept one connection, read it to its end
 * Prints "BYTES FIRST_TO_LAST START_TO_LAST LAST_AT EOF_AT" (to FILE with -o):
 * seconds from the first byte to the last, from the start (with -L: the
 * accepted connection) to the last byte, and CLOCK_MONOTONIC at the last byte
 * and at EOF (to compare with blast's).  The last byte is byte N with -n N
 * (throughput must not include how long the writer takes to close), else EOF.
 * Without -d the data goes to /dev/null with splice(2), never through user
 * space (through a pipe of our own when the input is a socket), so the sink
 * costs next to nothing.  With -d USEC it is a slow reader: read(2) of SIZE
 * bytes (default 64 KiB), then a USEC sleep, each time.  -r alone: read(2)
 * of SIZE bytes without sleeping.
 * Build: cc -O2 -o sink sink.c */
#define _GNU_SOURCE
#define BENCH_PROG "sink"
#include "bench_util.h"
#include <sys/stat.h>

enum { CHUNK = 1 << 20 };

static unsigned long long total, expect;   /* bytes read; -n */
static double t1, tl;   /* the first byte's time; the last (expected) byte's */

/* Counts N more bytes read. */
static void got(size_t n)
{
    if (!t1)
        t1 = now();
    total += (unsigned long long)n;
    if (expect && !tl && total >= expect)
        tl = now();
}

int main(int argc, char **argv)
{
    const char *ready = NULL, *outfile = NULL;
    size_t rsize = 0;
    long delay = -1;
    int opt;
    while ((opt = getopt(argc, argv, "L:o:r:d:n:")) != -1) {
        switch (opt) {
        case 'n': expect = strtoull(optarg, NULL, 10); break;
        case 'L': ready = optarg; break;
        case 'o': outfile = optarg; break;
        case 'r': rsize = (size_t)atol(optarg); break;
        case 'd': delay = atol(optarg); break;
        default:
            fprintf(stderr, "usage: sink [-L READYFILE] [-o FILE] [-n BYTES] [-r SIZE] [-d USEC]\n");
            return 2;
        }
    }
    double t0 = now();
    int fd = ready ? listen_ready(ready) : 0;
    if (ready)
        t0 = now();
    if (delay < 0 && rsize == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        struct stat st;
        int pin = fd, pp[2] = { -1, -1 };
        if (devnull < 0 || fstat(fd, &st) < 0)
            die("/dev/null");
        if (S_ISFIFO(st.st_mode)) {
            fcntl(fd, F_SETPIPE_SZ, CHUNK);   /* same for every tool measured */
        } else {
            if (pipe(pp) < 0)
                die("pipe");
            fcntl(pp[0], F_SETPIPE_SZ, CHUNK);
            pin = pp[0];
        }
        for (;;) {
            ssize_t n;
            if (pp[1] >= 0) {
                n = splice(fd, NULL, pp[1], NULL, CHUNK, SPLICE_F_MOVE);
                if (n < 0 && errno == EINVAL)
                    goto plain;   /* not spliceable: read(2) instead */
            } else {
                n = splice(fd, NULL, devnull, NULL, CHUNK, SPLICE_F_MOVE);
            }
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                die("splice");
            }
            if (n == 0)
                break;
            got((size_t)n);
            for (size_t left = (size_t)n; pp[1] >= 0 && left > 0;)
                left -= splice_some(pin, devnull, left, SPLICE_F_MOVE, "splice /dev/null");
        }
        goto done;
    }
plain:
    if (!rsize)
        rsize = delay >= 0 ? 64 * 1024 : CHUNK;
    {
        char *buf = malloc(rsize);
        struct timespec d = { delay / 1000000, (delay % 1000000) * 1000 };
        if (!buf)
            die("malloc");
        for (size_t n; (n = read_some(fd, buf, rsize)) > 0;) {
            got(n);
            if (delay > 0)
                nanosleep(&d, NULL);
        }
    }
done:;
    double t2 = now();
    if (!t1)
        t1 = t2;
    if (!tl)
        tl = t2;
    FILE *o = outfile ? fopen(outfile, "w") : stdout;
    if (!o)
        die(outfile);
    fprintf(o, "%llu %.6f %.6f %.6f %.6f\n", total, tl - t1, tl - t0, tl, t2);
    fclose(o);
    return 0;
}
