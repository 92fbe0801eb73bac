/* SPDX-License-Identifier: MIT */
/* relay_rw: the bare read/write relay, the machine's ceiling for a raw relay
 * with no event loop and no library (tests/bench/run.sh).  Blocking read(2)
 * and write(2) with a 256 KiB buffer.
 *   relay_rw HOST PORT      connect; stdin -> socket, shutdown(SHUT_WR) at EOF,
 *                           then socket -> stdout until the peer closes
 *   relay_rw -L READYFILE   listen on 127.0.0.1 port 0 (writes "listening
 *                           127.0.0.1 PORT\n" to READYFILE), accept one
 *                           connection, socket -> stdout until EOF
 * Build: cc -O2 -o relay_rw relay_rw.c */
#define _GNU_SOURCE
#define BENCH_PROG "relay_rw"
#include "bench_util.h"

enum { BUFSZ = 256 * 1024 };

static void copy(int from, int to)
{
    static char buf[BUFSZ];
    size_t n;
    while ((n = read_some(from, buf, BUFSZ)) > 0)
        write_all(to, buf, n);
}

int main(int argc, char **argv)
{
    return relay_main(argc, argv, copy);
}
