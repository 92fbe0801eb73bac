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
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { CHUNK = 1 << 20 };

static void die(const char *what)
{
    fprintf(stderr, "sink: %s: %s\n", what, strerror(errno));
    exit(1);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int listen_ready(const char *ready)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 8) < 0 ||
        getsockname(s, (struct sockaddr *)&a, &al) < 0)
        die("listen");
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", ready);
    FILE *f = fopen(tmp, "w");
    if (!f)
        die(tmp);
    fprintf(f, "listening 127.0.0.1 %u\n", ntohs(a.sin_port));
    if (fclose(f) != 0 || rename(tmp, ready) < 0)
        die(ready);
    int c = accept(s, NULL, NULL);
    if (c < 0)
        die("accept");
    close(s);
    return c;
}

int main(int argc, char **argv)
{
    const char *ready = NULL, *outfile = NULL;
    size_t rsize = 0;
    long delay = -1;
    unsigned long long expect = 0;
    double tl = 0;
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
    double t0 = now(), t1 = 0;
    int fd = ready ? listen_ready(ready) : 0;
    if (ready)
        t0 = now();
    unsigned long long total = 0;
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
            if (!t1)
                t1 = now();
            total += (unsigned long long)n;
            if (expect && !tl && total >= expect)
                tl = now();
            for (ssize_t left = n; pp[1] >= 0 && left > 0;) {
                ssize_t m = splice(pin, NULL, devnull, NULL, (size_t)left, SPLICE_F_MOVE);
                if (m < 0) {
                    if (errno == EINTR)
                        continue;
                    die("splice /dev/null");
                }
                left -= m;
            }
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
        for (;;) {
            ssize_t n = read(fd, buf, rsize);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                die("read");
            }
            if (n == 0)
                break;
            if (!t1)
                t1 = now();
            total += (unsigned long long)n;
            if (expect && !tl && total >= expect)
                tl = now();
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
