/* blast: sends a file to HOST PORT as fast as the peer takes it, then
 * shutdown(SHUT_WR) and waits for the peer to close (tests/bench/run.sh:
 * the sender of pre-encoded frames in the decode benchmarks).  The file is
 * read into memory first, so the disk is not measured.  Prints CLOCK_MONOTONIC
 * just before connecting, on stdout (compare with sink's EOF_AT).
 * Build: cc -O2 -o blast blast.c */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
    fprintf(stderr, "blast: %s: %s\n", what, strerror(errno));
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: blast FILE HOST PORT\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        die(argv[1]);
    size_t n = (size_t)st.st_size;
    char *p = n ? mmap(NULL, n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0) : NULL;
    if (n && p == MAP_FAILED)
        die("mmap");
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
    int rc = getaddrinfo(argv[2], argv[3], &hints, &res);
    if (rc) {
        fprintf(stderr, "blast: %s: %s\n", argv[2], gai_strerror(rc));
        return 1;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    printf("%.6f\n", (double)ts.tv_sec + ts.tv_nsec / 1e9);
    fflush(stdout);
    int s = socket(res->ai_family, SOCK_STREAM, 0);
    if (s < 0 || connect(s, res->ai_addr, res->ai_addrlen) < 0)
        die("connect");
    for (size_t off = 0; off < n;) {
        ssize_t w = send(s, p + off, n - off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            die("send");
        }
        off += (size_t)w;
    }
    shutdown(s, SHUT_WR);
    char b[4096];
    while (read(s, b, sizeof b) > 0)
        ;
    return 0;
}
