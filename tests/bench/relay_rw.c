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
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { BUFSZ = 256 * 1024 };

static void die(const char *what)
{
    fprintf(stderr, "relay_rw: %s: %s\n", what, strerror(errno));
    exit(1);
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

static int connect_to(const char *host, const char *port)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc) {
        fprintf(stderr, "relay_rw: %s: %s\n", host, gai_strerror(rc));
        exit(1);
    }
    int s = socket(res->ai_family, SOCK_STREAM, 0);
    if (s < 0 || connect(s, res->ai_addr, res->ai_addrlen) < 0)
        die("connect");
    freeaddrinfo(res);
    return s;
}

static void copy(int from, int to, char *buf)
{
    for (;;) {
        ssize_t n = read(from, buf, BUFSZ);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("read");
        }
        if (n == 0)
            return;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(to, buf + off, (size_t)(n - off));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                die("write");
            }
            off += w;
        }
    }
}

int main(int argc, char **argv)
{
    static char buf[BUFSZ];
    if (argc == 3 && !strcmp(argv[1], "-L")) {
        int s = listen_ready(argv[2]);
        copy(s, 1, buf);
        return 0;
    }
    if (argc == 3) {
        int s = connect_to(argv[1], argv[2]);
        copy(0, s, buf);
        shutdown(s, SHUT_WR);
        copy(s, 1, buf);
        return 0;
    }
    fprintf(stderr, "usage: relay_rw HOST PORT | relay_rw -L READYFILE\n");
    return 2;
}
