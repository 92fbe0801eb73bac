/* SPDX-License-Identifier: MIT */
/* blast: sends a file to HOST PORT as fast as the peer takes it, then
 * shutdown(SHUT_WR) and waits for the peer to close (tests/bench/run.sh:
 * the sender of pre-encoded frames in the decode benchmarks).  The file is
 * read into memory first, so the disk is not measured.  Prints CLOCK_MONOTONIC
 * just before connecting, on stdout (compare with sink's EOF_AT).
 * Build: cc -O2 -o blast blast.c */
#define _GNU_SOURCE
#define BENCH_PROG "blast"
#include "bench_util.h"
#include <sys/mman.h>
#include <sys/stat.h>

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
    struct addrinfo *res = resolve(argv[2], argv[3], 0);
    printf("%.6f\n", now());
    fflush(stdout);
    int s = connect_ai(res);
    for (size_t off = 0; off < n;) {
        ssize_t w = send(s, p + off, n - off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            die("send");
        }
        off += (size_t)w;
    }
    shut_and_drain(s);
    return 0;
}
