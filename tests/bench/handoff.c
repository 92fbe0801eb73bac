/* SPDX-License-Identifier: MIT */
/* The floor of a connection rate with a program per connection: accept,
 * posix_spawn PROG with the socket itself as its stdin and stdout, close,
 * accept again; no relay, no environment of its own, children reaped by
 * the kernel (SIGCHLD ignored).  What is left is the program's own start
 * (cat: its exec, the dynamic loader, the locale) and the kernel's work.
 *   handoff PROG: listens on 127.0.0.1, an ephemeral port, printed on
 *   stdout once listening; runs until killed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: handoff PROG\n");
        return 64;
    }
    signal(SIGCHLD, SIG_IGN);
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof a;
    if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 256) < 0 ||
        getsockname(l, (struct sockaddr *)&a, &alen) < 0) {
        perror("handoff: listen");
        return 74;
    }
    printf("%d\n", ntohs(a.sin_port));
    fflush(stdout);
    char *av[] = { argv[1], NULL };
    for (;;) {
        int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, c, 0);
        posix_spawn_file_actions_adddup2(&fa, c, 1);
        pid_t pid;
        if (posix_spawn(&pid, argv[1], &fa, NULL, av, environ) != 0)
            perror("handoff: spawn");
        posix_spawn_file_actions_destroy(&fa);
        close(c);
    }
}
