/* SPDX-License-Identifier: MIT */
/* relay_splice: the bare splice(2) relay, the machine's ceiling for a raw
 * relay with no event loop and no library (tests/bench/run.sh).  Blocking
 * splice(2), 1 MiB at a time: straight between the socket and stdin/stdout
 * when that is a pipe, else through a pipe of its own (1 MiB).
 *   relay_splice HOST PORT      connect; stdin -> socket, shutdown(SHUT_WR) at EOF,
 *                           then socket -> stdout until the peer closes
 *   relay_splice -L READYFILE   listen on 127.0.0.1 port 0 (writes "listening
 *                           127.0.0.1 PORT\n" to READYFILE), accept one
 *                           connection, socket -> stdout until EOF
 * Build: cc -O2 -o relay_splice relay_splice.c */
#define _GNU_SOURCE
#define BENCH_PROG "relay_splice"
#include "bench_util.h"
#include <sys/stat.h>

enum { CHUNK = 1 << 20 };
#define FLAGS (SPLICE_F_MOVE | SPLICE_F_MORE)

static int is_pipe(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

/* Moves N bytes from FROM to TO (fewer at EOF). */
static void splice_all(int from, int to, size_t n)
{
    while (n > 0) {
        size_t w = splice_some(from, to, n, FLAGS, "splice");
        if (w == 0)
            break;
        n -= w;
    }
}

static void copy(int from, int to)
{
    if (is_pipe(from) || is_pipe(to)) {
        while (splice_some(from, to, CHUNK, FLAGS, "splice") > 0)
            ;
        return;
    }
    int pp[2];
    if (pipe(pp) < 0)
        die("pipe");
    fcntl(pp[0], F_SETPIPE_SZ, CHUNK);
    size_t n;
    while ((n = splice_some(from, pp[1], CHUNK, FLAGS, "splice")) > 0)
        splice_all(pp[0], to, n);
    close(pp[0]);
    close(pp[1]);
}

int main(int argc, char **argv)
{
    return relay_main(argc, argv, copy);
}
