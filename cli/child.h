/* SPDX-License-Identifier: MIT */
#ifndef AECAT_CHILD_H
#define AECAT_CHILD_H
#include "state.h"

/* child.c: -e/-c, the program that takes the place of stdin/stdout for
 * one connection (see EXEC in aecat(1)).
 *
 * child_prepare makes the pipes (s->in_fd, s->out_fd become aecat's ends)
 * before the transport starts on them; child_start runs the program once
 * the wire is ready for the relay (after TLS and the dialog), with the
 * connection's environment: conn is its number (AECAT_CONN), net_fd its
 * socket.  Both return -1, or the exit code after saying why.
 * child_reap, once the loop is over: closes the pipes, waits for the child
 * (SIGTERM first, SIGKILL after a grace, when the session failed or is
 * interrupted while waiting) and folds its status into s->exit_code. */
int  child_prepare(session *s);
int  child_start(session *s, int conn, int net_fd);
void child_reap(session *s);

#endif
