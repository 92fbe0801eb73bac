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
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { BUFSZ = 16, CHUNK = 1 << 20 };

static void die(const char *what)
{
    fprintf(stderr, "relay_splice: %s: %s\n", what, strerror(errno));
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
        fprintf(stderr, "relay_splice: %s: %s\n", host, gai_strerror(rc));
        exit(1);
    }
    int s = socket(res->ai_family, SOCK_STREAM, 0);
    if (s < 0 || connect(s, res->ai_addr, res->ai_addrlen) < 0)
        die("connect");
    freeaddrinfo(res);
    return s;
}

#include <fcntl.h>
#include <sys/stat.h>

static int is_pipe(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

static ssize_t splice_all(int from, int to, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = splice(from, NULL, to, NULL, n - done, SPLICE_F_MOVE | SPLICE_F_MORE);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            die("splice");
        }
        if (w == 0)
            break;
        done += (size_t)w;
    }
    return (ssize_t)done;
}

static void copy(int from, int to, char *unused)
{
    (void)unused;
    if (is_pipe(from) || is_pipe(to)) {
        for (;;) {
            ssize_t n = splice(from, NULL, to, NULL, CHUNK, SPLICE_F_MOVE | SPLICE_F_MORE);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                die("splice");
            }
            if (n == 0)
                return;
        }
    }
    int pp[2];
    if (pipe(pp) < 0)
        die("pipe");
    fcntl(pp[0], F_SETPIPE_SZ, CHUNK);
    for (;;) {
        ssize_t n = splice(from, NULL, pp[1], NULL, CHUNK, SPLICE_F_MOVE | SPLICE_F_MORE);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("splice");
        }
        if (n == 0)
            break;
        splice_all(pp[0], to, (size_t)n);
    }
    close(pp[0]);
    close(pp[1]);
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
    fprintf(stderr, "usage: relay_splice HOST PORT | relay_splice -L READYFILE\n");
    return 2;
}
