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
 * Once the session is over (end_leave), it waits for the program: the
 * pipes close (SIGTERM too when the session failed, SIGKILL after a
 * grace), and the program's exit ends the session, the loop serving on.
 * child_stop: SIGTERM now (a signal to aecat, -k's end).
 * child_reap, when the session is freed: a program still running (the
 * loop was left early) is stopped and waited for; its status is folded
 * into s->exit_code. */
int  child_prepare(session *s);
int  child_start(session *s, int conn, int net_fd);
void child_stop(session *s);
void child_reap(session *s);

#endif
