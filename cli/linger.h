/* SPDX-License-Identifier: MIT */
#ifndef AECAT_LINGER_H
#define AECAT_LINGER_H
#include "state.h"

/* linger.c: the lingering close of a connection whose own side is done
 * while its peer may still be sending.  Closing a socket with unread bytes
 * (or meeting bytes after the close) sends a reset, and a reset can make
 * the peer discard what we sent and it has not read yet. */

/* Bounds, in seconds: the whole linger, and a silence of the peer's. */
#define LINGER_MAX 2.0
#define LINGER_IDLE 1.0

/* Takes `wire` (its queue written; its callbacks are replaced): our side
 * is closed (shutdown(SHUT_WR), or close_notify under TLS), then what the
 * peer sends is read and discarded until its EOF (close_notify), an
 * error, LINGER_IDLE s of silence or LINGER_MAX s, and the socket closes.
 * label, peer: for the -v line that tells it (copied). */
void linger_close(struct ev_loop *loop, aeh *wire, const char *label, const char *peer, bool verbose);
/* Waits on loop until every linger is over, at most secs (0: no limit
 * beyond their own) and never past SIGINT, SIGTERM or SIGHUP; what is
 * left then closes at once. */
void linger_wait(struct ev_loop *loop, double secs);
/* Every linger closes now (the run was cut short). */
void linger_cut(void);

#endif
