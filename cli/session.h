/* SPDX-License-Identifier: MIT */
/* A session: one connection's life, from connect or accept through TLS, the
 * dialog and the relay to the result.
 *
 * The CLI's files call downward only, never back up (a callback handed
 * down, such as s->on_wire_ready or s->transport, is how a lower part
 * reaches a higher one):
 *
 *   aecat.c       main, signals, the retry loop: one session per attempt
 *   session.c     a session's life: timers, TLS context, connect/accept,
 *                 then the dialog or the relay, and its end
 *   dialog.c      --send/--expect/... on the wire, then the relay
 *   relay.c       the handle transport: framing, TLS, backpressure
 *   child.c       -e/-c: the program that takes stdin/stdout's place
 *   splice.c      the splice(2) transport for raw bytes
 *   end.c         how a run ends: the end-of-stream policy, one for both
 *                 transports, and the exit code
 *   codecs.c      the framings and records the options select
 *   log.c         --json-log events
 *   opts.c        the command line into a cli_cfg
 *   say.c         messages on stderr, exit codes of library errors
 *
 * Layers, top to bottom: aecat.c session.c dialog.c relay.c child.c splice.c end.c codecs.c log.c opts.c say.c
 * (tests/build.bats checks that each file calls only files after it.)
 * Every file includes only aeh.h of the library (the Makefile's -Iinclude);
 * each layer's functions are declared in its own header (end.h, relay.h,
 * ...) and the types all share in state.h, so an include never runs up. */
#ifndef AECAT_SESSION_H
#define AECAT_SESSION_H
#include "state.h"

/* What a closed session tells main beyond its exit code. */
typedef struct session_outcome {
    bool relayed;                 /* stdin began to flow: no retry after that */
    char peer[200];               /* "127.0.0.1 port 5000" ("" if never connected) */
    char tls_version[16];         /* "TLS1.3" ("" without a handshake) */
    aeh_tls_verification tls_verified;
} session_outcome;

/* session.c: a session's life.  session_open builds its codecs, loop and
 * timers (-1, or the exit code); session_run sets TLS up, prepares the
 * dialog, connects or listens and runs the loop to the end; session_close
 * frees it all and returns the exit code (*out, when not NULL: what else it
 * learnt).  session_interrupt: a signal. */
int  session_open(session *s, const cli_cfg *cfg, double deadline);
int  session_run(session *s);
void session_interrupt(session *s, int signum);
int  session_close(session *s, session_outcome *out);

#endif
