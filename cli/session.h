/* SPDX-License-Identifier: MIT */
/* A session: one connection's life, from connect or accept through TLS, the
 * dialog and the relay to the result.
 *
 * The CLI's files call downward only, never back up (a callback handed
 * down, such as s->on_wire_ready or s->transport, is how a lower part
 * reaches a higher one):
 *
 *   aecat.c       main, signals, the retry loop: one session per attempt
 *   keep.c        -k: a listener's session serving many connections, each
 *                 a session of its own sharing stdin and stdout
 *   session.c     a session's life: timers, TLS context, connect/accept,
 *                 then the dialog or the relay, and its end
 *   dialog.c      --send/--expect/... on the wire, then the relay
 *   relay.c       the handle transport: framing, TLS, backpressure
 *   child.c       -e/-c: the program that takes stdin/stdout's place
 *   splice.c      the splice(2) transport for raw bytes
 *   end.c         how a run ends: the end-of-stream policy, one for both
 *                 transports, and the exit code
 *   linger.c      the lingering close: the peer's last bytes read, not reset
 *   codecs.c      the framings and records the options select
 *   hexdump.c     --hexdump: the bytes of the wire as hexdump -C lines
 *   log.c         --json-log events
 *   opts.c        the command line into a cli_cfg
 *   usage.c       --help's text, --version's lines
 *   say.c         messages on stderr, exit codes of library errors
 *
 * Layers, top to bottom: aecat.c keep.c session.c dialog.c relay.c child.c splice.c end.c linger.c codecs.c hexdump.c log.c opts.c usage.c say.c
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

/* -k: one accepted connection of listener l as a session of its own,
 * sharing l's loop, codecs and TLS context (codecs of its own when they
 * keep one stream's state).  session_conn_open readies c (-1, or the exit
 * code of a failure, after which the caller closes it);
 * session_conn_start runs it on fd (-1, or the exit code of a failure,
 * after which the caller closes it); session_conn_close frees what it
 * holds (not what it shares) and returns its exit code. */
int  session_conn_open(session *c, const session *l, unsigned id, const conn_hooks *hooks);
int  session_conn_start(session *c, int fd, const struct sockaddr *peer, socklen_t len);
int  session_conn_close(session *c);

/* The listening sockets: their watchers started (on: accepting while
 * there are any) or stopped; closed for good. */
void session_accepting(session *s, bool on);
void session_close_listeners(session *s);

#endif
