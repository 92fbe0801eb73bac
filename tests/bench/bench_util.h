/* SPDX-License-Identifier: MIT */
/* bench_util.h: the helpers the bench programs share (tests/bench/run.sh).
 * Header-only, all static: a program defines _GNU_SOURCE (splice(2)) and
 * BENCH_PROG, its name for error messages, then includes this file:
 *     #define _GNU_SOURCE
 *     #define BENCH_PROG "sink"
 *     #include "bench_util.h"
 * A program that does not use a helper gets no warning for it (BENCH_FN). */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#ifndef BENCH_PROG
#error "define BENCH_PROG (the program's name) before including bench_util.h"
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BENCH_FN static __attribute__((unused))

/* "PROG: WHAT: strerror(errno)" on stderr, exit 1. */
BENCH_FN void die(const char *what)
{
    fprintf(stderr, BENCH_PROG ": %s: %s\n", what, strerror(errno));
    exit(1);
}

/* CLOCK_MONOTONIC in seconds. */
BENCH_FN double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Listens on 127.0.0.1 port 0 with BACKLOG (SO_REUSEADDR if REUSE), then
 * writes "listening 127.0.0.1 PORT\n" to READY (through READY.tmp and a
 * rename, so that a reader never sees half of it); returns the socket. */
BENCH_FN int listen_announce(const char *ready, int backlog, int reuse)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    if (reuse)
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, backlog) < 0 ||
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
    return s;
}

/* listen_announce, then accepts one connection and closes the listener. */
BENCH_FN int listen_ready(const char *ready)
{
    int s = listen_announce(ready, 8, 0);
    int c = accept(s, NULL, NULL);
    if (c < 0)
        die("accept");
    close(s);
    return c;
}

/* getaddrinfo for a TCP connection (FLAGS: ai_flags); a message and exit 1
 * when it fails. */
BENCH_FN struct addrinfo *resolve(const char *host, const char *port, int flags)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = flags }, *res;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc) {
        fprintf(stderr, BENCH_PROG ": %s: %s\n", host, gai_strerror(rc));
        exit(1);
    }
    return res;
}

/* Connects to the first address of RES and frees RES; returns the socket. */
BENCH_FN int connect_ai(struct addrinfo *res)
{
    int s = socket(res->ai_family, SOCK_STREAM, 0);
    if (s < 0 || connect(s, res->ai_addr, res->ai_addrlen) < 0)
        die("connect");
    freeaddrinfo(res);
    return s;
}

BENCH_FN int connect_to(const char *host, const char *port)
{
    return connect_ai(resolve(host, port, 0));
}

/* read(2) of up to N bytes, again on EINTR; returns 0 at EOF. */
BENCH_FN size_t read_some(int fd, void *buf, size_t n)
{
    for (;;) {
        ssize_t r = read(fd, buf, n);
        if (r >= 0)
            return (size_t)r;
        if (errno != EINTR)
            die("read");
    }
}

/* write(2) until all N bytes are out, again on EINTR. */
BENCH_FN void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            die("write");
        }
        p += w;
        n -= (size_t)w;
    }
}

/* splice(2) of up to N bytes with FLAGS, again on EINTR; dies with WHAT on
 * an error; returns 0 at EOF. */
BENCH_FN size_t splice_some(int from, int to, size_t n, unsigned flags, const char *what)
{
    for (;;) {
        ssize_t r = splice(from, NULL, to, NULL, n, flags);
        if (r >= 0)
            return (size_t)r;
        if (errno != EINTR)
            die(what);
    }
}

/* shutdown(SHUT_WR), then reads (and drops) until the peer closes. */
BENCH_FN void shut_and_drain(int s)
{
    shutdown(s, SHUT_WR);
    char b[4096];
    while (read(s, b, sizeof b) > 0)
        ;
}

/* The main of a bare relay (relay_rw, relay_splice), moving the data with
 * COPY(from, to) until FROM's EOF:
 *   PROG HOST PORT      connect; stdin -> socket, shutdown(SHUT_WR) at EOF,
 *                       then socket -> stdout until the peer closes
 *   PROG -L READYFILE   listen_ready, then socket -> stdout until EOF */
BENCH_FN int relay_main(int argc, char **argv, void (*copy)(int from, int to))
{
    if (argc == 3 && !strcmp(argv[1], "-L")) {
        int s = listen_ready(argv[2]);
        copy(s, 1);
        return 0;
    }
    if (argc == 3) {
        int s = connect_to(argv[1], argv[2]);
        copy(0, s);
        shutdown(s, SHUT_WR);
        copy(s, 1);
        return 0;
    }
    fprintf(stderr, "usage: " BENCH_PROG " HOST PORT | " BENCH_PROG " -L READYFILE\n");
    return 2;
}

#endif
