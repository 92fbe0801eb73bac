/* SPDX-License-Identifier: MIT */
/* ping: the one-shot request/reply benchmark (tests/bench/run.sh).
 *   ping serve READYFILE    listen on 127.0.0.1 port 0 (writes "listening
 *                           127.0.0.1 PORT\n" to READYFILE); for each
 *                           connection, read up to "\n" (or EOF), answer
 *                           "PONG\r\n" and close; forever (stop it by PID)
 *   ping client HOST PORT   the C floor of a client: connect, send
 *                           "PING\r\n", shutdown(SHUT_WR), copy the reply to
 *                           stdout until the server closes
 * Build: cc -O2 -o ping ping.c */
#define _GNU_SOURCE
#define BENCH_PROG "ping"
#include "bench_util.h"
#include <signal.h>

static _Noreturn void serve(const char *ready)
{
    signal(SIGPIPE, SIG_IGN);
    int s = listen_announce(ready, 64, 1);
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            die("accept");
        }
        char b[512];
        size_t got = 0;
        for (;;) {
            ssize_t n = read(c, b + got, sizeof b - got);
            if (n <= 0)
                break;
            got += (size_t)n;
            if (memchr(b, '\n', got) || got == sizeof b)
                break;
        }
        if (write(c, "PONG\r\n", 6) < 0) {
            /* the client left early: nothing to do */
        }
        close(c);
    }
}

static int client(const char *host, const char *port)
{
    int s = connect_ai(resolve(host, port, AI_NUMERICHOST));
    if (write(s, "PING\r\n", 6) != 6)
        die("write");
    shutdown(s, SHUT_WR);
    char b[512];
    ssize_t n;
    while ((n = read(s, b, sizeof b)) > 0)
        if (write(1, b, (size_t)n) != n)
            die("write stdout");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "serve"))
        serve(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "client"))
        return client(argv[2], argv[3]);
    fprintf(stderr, "usage: ping serve READYFILE | ping client HOST PORT\n");
    return 2;
}
