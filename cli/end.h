/* SPDX-License-Identifier: MIT */
#ifndef AECAT_END_H
#define AECAT_END_H
#include "state.h"

/* end.c: how a run ends (see END OF STREAM in aecat(1)), for both
 * transports, the dialog and main. */
/* Stops reading, flushes stdout (and the wire when wait_net), then leaves
 * the loop with `code` unless an earlier failure set one. */
void end_finish(session *s, int code, bool wait_net);
/* The session is over: leaves the loop, or (a connection of a -k
 * listener) hands it back to the listener. */
void end_leave(session *s);
/* Leaves the loop once everything owed to stdout (and the wire) is out. */
void end_check_done(session *s);
/* The session's work is done (the dialog's last step, a probe): the wire
 * closes cleanly (close_notify under TLS, then FIN, unless --no-shutdown)
 * once what is queued is out, and the run ends with 0. */
void end_done(session *s);
void end_peer_eof(session *s);
void end_stdin_active(session *s);
void end_stdin_ended(session *s);      /* stdin's EOF: half-close, -q */
void end_stdin_done(session *s);
/* A write (or the socket) says the peer closed fully (err: EPIPE or
 * ECONNRESET): tells what of stdin was lost and sets exit 74 (true), or
 * (a -k connection that lost nothing) finds it a clean end (false).  net:
 * the wire's handle on the handle relay (NULL on the splice relay). */
bool end_wire_closed(session *s, const aeh *net, int err);
bool end_wire_unsent(const session *s);   /* stdin's bytes wait for the wire */
void end_close(session *s);               /* the transport's everything */

#endif
