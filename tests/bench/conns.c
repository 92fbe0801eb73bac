/* SPDX-License-Identifier: MIT */
/* conns: the clients of the many-connection cases (tests/bench/cases/keep.sh).
 *   conns idle N HOST PORT
 *       opens up to N connections that send nothing (non-blocking connects,
 *       256 in flight, each given 2 s), prints "opened M" on stdout once
 *       done, then holds them until stdin ends or it is killed.  It stops
 *       at the first connect that fails or times out (a listener that no
 *       longer accepts fills its backlog, then drops SYNs) and after 20 s
 *       (a listener that accepts and closes at once, slowly).
 *   conns fanin C BYTES HOST PORT [-g]
 *       C connections at once, each sending the same BYTES of 64-byte lines
 *       (generated before the clock starts) with writes of up to 1 MiB from
 *       one poll(2) loop, then shutdown(SHUT_WR) and reading until the
 *       listener closes it.  Prints "BYTES_TOTAL SECONDS" from the first
 *       connect to the last close: the listener read every byte by then.
 *       -g: once every connect is done, prints "connected SECONDS" (since
 *       the first connect) and waits for a
 *       line on stdin (the caller sees the listener accept them all), and
 *       the clock starts then: a listener's accept queue overflowing (a SYN
 *       retried a second later) is left out of the rate.
 *   conns rate N HOST PORT
 *       N connections one after the other: connect, send "PING\n", read the
 *       reply until "\n" (it must be "PING\n"), close.  Prints "N SECONDS".
 * Build: cc -O2 -o conns conns.c */
#define _GNU_SOURCE
#define BENCH_PROG "conns"
#include "bench_util.h"
#include <poll.h>
#include <stdbool.h>

static struct sockaddr_storage peer;
static socklen_t peer_len;

static void set_peer(const char *host, const char *port)
{
    struct addrinfo *res = resolve(host, port, 0);
    memcpy(&peer, res->ai_addr, res->ai_addrlen);
    peer_len = res->ai_addrlen;
    freeaddrinfo(res);
}

/* A non-blocking socket whose connect to the peer is under way (or done). */
static int connect_nb(void)
{
    int s = socket(peer.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (s < 0)
        return -1;
    if (connect(s, (struct sockaddr *)&peer, peer_len) < 0 && errno != EINPROGRESS) {
        close(s);
        return -1;
    }
    return s;
}

/* Waits up to 2 s for the connects of FDS[0..N) to finish; returns how
 * many of them, from the first, succeeded. */
static double deadline;   /* idle: no connect is started after it */

static int finish_connects(int *fds, int n)
{
    struct pollfd pf[256];
    int ok = n;
    for (int i = 0; i < n; i++)
        pf[i] = (struct pollfd){ .fd = fds[i], .events = POLLOUT };
    double end = now() + 2 < deadline ? now() + 2 : deadline;
    int left = n;
    while (left > 0) {
        int ms = (int)((end - now()) * 1000);
        if (ms <= 0 || poll(pf, (nfds_t)n, ms) <= 0)
            break;
        for (int i = 0; i < n; i++) {
            if (pf[i].fd < 0 || !pf[i].revents)
                continue;
            int err = 0;
            socklen_t el = sizeof err;
            getsockopt(pf[i].fd, SOL_SOCKET, SO_ERROR, &err, &el);
            if (err && i < ok)
                ok = i;
            pf[i].fd = -1;
            left--;
        }
    }
    for (int i = 0; i < n; i++)
        if (pf[i].fd >= 0 && i < ok)
            ok = i;   /* still connecting after 2 s */
    return ok;
}

static int idle(int n)
{
    int *fds = calloc((size_t)n, sizeof *fds);
    int opened = 0;
    if (!fds)
        die("calloc");
    deadline = now() + 20;
    while (opened < n && now() < deadline) {
        int batch = n - opened < 256 ? n - opened : 256, started = 0;
        for (; started < batch; started++)
            if ((fds[opened + started] = connect_nb()) < 0)
                break;
        int ok = finish_connects(fds + opened, started);
        opened += ok;
        if (ok < batch) {
            if (started < batch)
                fprintf(stderr, "conns: socket/connect %d: %s\n", opened + started, strerror(errno));
            break;
        }
    }
    printf("opened %d\n", opened);
    fflush(stdout);
    char b[64];
    while (read_some(0, b, sizeof b) > 0)
        ;
    return 0;
}

/* Until every connect of PF[0..C) is done (writable). */
static void wait_connected(struct pollfd *pf, int c)
{
    for (int left = c; left > 0;) {
        if (poll(pf, (nfds_t)c, -1) < 0) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        for (int i = 0; i < c; i++)
            if (pf[i].revents && pf[i].events) {
                pf[i].events = 0;
                left--;
            }
    }
    for (int i = 0; i < c; i++)
        pf[i].events = POLLOUT;
}

static int fanin(int c, size_t bytes, bool gated)
{
    char *data = malloc(bytes);
    if (!data)
        die("malloc");
    for (size_t i = 0; i < bytes; i += 64) {   /* 63 printable bytes and "\n" */
        size_t n = bytes - i < 64 ? bytes - i : 64;
        for (size_t j = 0; j < n; j++)
            data[i + j] = (char)('a' + (i / 64 + j) % 26);
        data[i + n - 1] = '\n';
    }
    struct pollfd pf[64];
    size_t off[64];
    if (c < 1 || c > 64)
        return fprintf(stderr, "conns: 1 to 64 clients\n"), 2;
    double t0 = now();
    for (int i = 0; i < c; i++) {
        if ((pf[i].fd = connect_nb()) < 0)
            die("connect");
        pf[i].events = POLLOUT;
        off[i] = 0;
    }
    if (gated) {
        wait_connected(pf, c);
        printf("connected %.6f\n", now() - t0);
        fflush(stdout);
        char go[16];
        if (!fgets(go, sizeof go, stdin))
            return fprintf(stderr, "conns: no go on stdin\n"), 1;
        t0 = now();
    }
    int left = c;
    while (left > 0) {
        if (poll(pf, (nfds_t)c, -1) < 0) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        for (int i = 0; i < c; i++) {
            if (pf[i].fd < 0 || !pf[i].revents)
                continue;
            if (pf[i].events == POLLOUT) {
                size_t n = bytes - off[i] < 1048576 ? bytes - off[i] : 1048576;
                ssize_t w = send(pf[i].fd, data + off[i], n, MSG_NOSIGNAL);
                if (w < 0 && errno != EAGAIN && errno != EINTR)
                    die("send");
                if (w > 0)
                    off[i] += (size_t)w;
                if (off[i] == bytes) {
                    shutdown(pf[i].fd, SHUT_WR);
                    pf[i].events = POLLIN;
                }
            } else {
                char b[4096];
                ssize_t r = read(pf[i].fd, b, sizeof b);
                if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                    close(pf[i].fd);
                    pf[i].fd = -1;
                    left--;
                }
            }
        }
    }
    printf("%zu %.6f\n", bytes * (size_t)c, now() - t0);
    return 0;
}

static int rate(long n)
{
    double t0 = now();
    for (long i = 0; i < n; i++) {
        int s = socket(peer.ss_family, SOCK_STREAM, 0);
        if (s < 0 || connect(s, (struct sockaddr *)&peer, peer_len) < 0)
            die("connect");
        write_all(s, "PING\n", 5);
        char b[16];
        size_t got = 0;
        while (got < sizeof b && (got == 0 || b[got - 1] != '\n')) {
            size_t r = read_some(s, b + got, sizeof b - got);
            if (r == 0)
                break;
            got += r;
        }
        if (got != 5 || memcmp(b, "PING\n", 5)) {
            fprintf(stderr, "conns: connection %ld: reply of %zu bytes, not \"PING\\n\"\n", i + 1, got);
            return 1;
        }
        close(s);
    }
    printf("%ld %.6f\n", n, now() - t0);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "idle")) {
        set_peer(argv[3], argv[4]);
        return idle(atoi(argv[2]));
    }
    if ((argc == 6 || (argc == 7 && !strcmp(argv[6], "-g"))) && !strcmp(argv[1], "fanin")) {
        set_peer(argv[4], argv[5]);
        return fanin(atoi(argv[2]), strtoull(argv[3], NULL, 10), argc == 7);
    }
    if (argc == 5 && !strcmp(argv[1], "rate")) {
        set_peer(argv[3], argv[4]);
        return rate(atol(argv[2]));
    }
    fprintf(stderr, "usage: conns idle N HOST PORT | conns fanin C BYTES HOST PORT [-g] | conns rate N HOST PORT\n");
    return 2;
}
