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
 *   splice.c      the splice(2) transport for raw bytes
 *   end.c         how a run ends: the end-of-stream policy, one for both
 *                 transports, and the exit code
 *   codecs.c      the framings and records the options select
 *   log.c         --json-log events
 *   opts.c        the command line into a cli_cfg
 *   say.c         messages on stderr, exit codes of library errors
 *
 * Layers, top to bottom: aecat.c session.c dialog.c relay.c splice.c end.c codecs.c log.c opts.c say.c
 * (tests/build.bats checks that each file calls only files after it.)
 * Every file includes only aeh.h of the library (the Makefile's -Iinclude). */
#ifndef AECAT_SESSION_H
#define AECAT_SESSION_H
#include <ev.h>
#include "cli.h"

typedef struct session session;
typedef struct transport transport;

struct session {
    const cli_cfg *cfg;
    struct ev_loop *loop;
    aeh_codec *recv_codec, *send_codec, *in_codec, *out_codec;
    aeh_match *until;             /* --until */
    aeh *in, *out, *net;          /* stdin, stdout, the connection */
    char peer[200];               /* "127.0.0.1 port 5000", for messages */
    aeh_connector *connector;
    aeh_tls_ctx *tls_ctx;         /* --tls / --tls-auto */
    ev_timer tls_w;               /* the handshake's share of --connect-timeout */
    const transport *transport;   /* the relay's, once it started (NULL before) */
    void (*on_wire_ready)(session *s);   /* the first bytes may flow: dialog or relay */
    struct splice_relay *splice;  /* the raw fast path, when it runs */
    aeh_dialog *dialog;           /* dialog steps, when given */
    int listen_fd;
    bool bound_path;              /* -U -l: we created the socket file */
    dev_t bound_dev;              /* ... and it is this inode: unlinked at exit */
    ino_t bound_ino;              /* only while the path still names it */
    ev_io listen_w;
    ev_timer deadline_w, quit_w, grace_w;
    ev_timer peer_eof_w;          /* --peer-eof-grace: stdin's silence after the peer's EOF */
    ev_timer closed_w;            /* after the peer's EOF, a write's reset is looked for */
    int saved_fl[2];              /* stdin's and stdout's file status flags, restored */
    uint64_t frames_sent, frames_recv;
    /* stream offset where the frame being handed over began (on stdin, on
     * the wire), for errors about a frame the other side cannot encode */
    uint64_t in_frame_at, net_frame_at;
    uint64_t bytes_sent, bytes_recv;   /* on the wire, kept when the handle goes */
    uint64_t grace_mark;          /* stdin bytes taken when peer_eof_w last looked */
    double deadline;              /* this attempt's: --deadline, or what --retry-until leaves */
    bool relay_started;           /* stdin began to flow: no retry after that */
    ev_tstamp t_start;
    bool in_paused, net_paused, finishing, wait_net;
    bool stdin_done, peer_eof;
    bool peer_ragged_eof;         /* TLS: the peer's end was a TCP close without close_notify */
    int in_errno;                 /* why stdin could not be opened as a handle */
    int exit_code;                /* -1 while running */
};

/* ------------------------------------------------------------ transports
 * The bytes of a session flow through one of two transports: handles
 * (relay.c: framing, TLS, the dialog) or splice(2) (splice.c: raw bytes
 * between pipes and the socket).  end.c drives either through this. */

/* Where stdin's bytes are: `taken` from stdin, `unsent` still held by
 * aecat, `written` handed to the kernel for the wire, `wire_fd` the socket
 * (-1: gone). */
typedef struct stdin_flow {
    uint64_t taken, unsent, written;
    int wire_fd;
} stdin_flow;

struct transport {
    /* bytes owed to stdout (and with wire_too to the wire) not yet out */
    bool (*pending)(const session *s, bool wire_too);
    /* stdin's bytes wait for the wire to take them */
    bool (*wire_unsent)(const session *s);
    /* net: the wire's handle as the caller knows it (NULL: none) */
    void (*stdin_flow)(const session *s, const aeh *net, stdin_flow *f);
    bool (*wire_open)(const session *s);
    void (*shutdown)(session *s);            /* stdin ended: half-close the wire */
    void (*finish)(session *s, int code);    /* stop reading; what is owed goes on */
    void (*close)(session *s);               /* everything; counters stay in s */
};

/* end.c: how a run ends (see END OF STREAM in aecat(1)), for both
 * transports, the dialog and main. */
/* Stops reading, flushes stdout (and the wire when wait_net), then leaves
 * the loop with `code` unless an earlier failure set one. */
void relay_finish(session *s, int code, bool wait_net);
/* Leaves the loop once everything owed to stdout (and the wire) is out. */
void relay_check_done(session *s);
void relay_peer_eof(session *s);
void relay_stdin_active(session *s);
void relay_stdin_ended(session *s);      /* stdin's EOF: half-close, -q */
void relay_stdin_done(session *s);
/* A write (or the socket) says the peer closed fully (err: EPIPE or
 * ECONNRESET): tells what of stdin was lost and sets exit 74.  net: the
 * wire's handle on the handle relay (NULL on the splice relay). */
void relay_wire_closed(session *s, const aeh *net, int err);
bool relay_wire_unsent(const session *s);   /* stdin's bytes wait for the wire */
void relay_close(session *s);               /* the transport's everything */

/* splice.c: the raw relay through splice(2), when stdin and stdout are
 * pipes or sockets and nothing transforms the bytes. */
bool splice_eligible(const session *s);
int  splice_start(session *s, int fd);

/* relay.c: the handle transport.  relay_start joins stdin/stdout and the
 * connected socket fd (or hands them to splice.c), then calls
 * s->on_wire_ready; relay_begin is the relay proper (after the dialog). */
int  relay_start(session *s, int fd);
void relay_begin(session *s);
void relay_net_callbacks(session *s);   /* the relay's callbacks on the wire */
void relay_tls_info(session *s, aeh *h);
void relay_count_bytes(session *s);

/* dialog.c: --send, --expect, ... before the relay. */
int  dialog_prepare(session *s);  /* -1, or the exit code of a bad step */
void dialog_begin(session *s);
void dialog_free(session *s);

/* session.c: a session's life.  session_open builds its codecs, loop and
 * timers (-1, or the exit code); session_run sets TLS up, prepares the
 * dialog, connects or listens and runs the loop to the end; session_close
 * frees it all and returns the exit code.  session_interrupt: a signal. */
int  session_open(session *s, const cli_cfg *cfg, double deadline);
int  session_run(session *s);
void session_interrupt(session *s, int signum);
int  session_close(session *s, bool *relayed);

/* codecs.c: the session's four codecs from the options (0, or the exit
 * code of a bad framing), and their end. */
int  codecs_build(session *s);
void codecs_free(session *s);

/* log.c: the "close" event of a session. */
void log_close_event(const session *s, int code);

#endif
