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
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what)
{
    fprintf(stderr, "ping: %s: %s\n", what, strerror(errno));
    exit(1);
}

static _Noreturn void serve(const char *ready)
{
    signal(SIGPIPE, SIG_IGN);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 64) < 0 ||
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
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST }, *res;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc) {
        fprintf(stderr, "ping: %s: %s\n", host, gai_strerror(rc));
        return 1;
    }
    int s = socket(res->ai_family, SOCK_STREAM, 0);
    if (s < 0 || connect(s, res->ai_addr, res->ai_addrlen) < 0)
        die("connect");
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
