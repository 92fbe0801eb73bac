/* SPDX-License-Identifier: MIT */
/* One connection's life (see the layers below). */
#ifndef AECAT_SESSION_H
#define AECAT_SESSION_H
#include <ev.h>
#include "cli.h"


typedef struct session {
    const cli_cfg *cfg;
    struct ev_loop *loop;
    aeh_codec *recv_codec, *send_codec, *in_codec, *out_codec;
    aeh_match *until;             /* --until */
    aeh *in, *out, *net;          /* stdin, stdout, the connection */
    char peer[200];               /* "127.0.0.1 port 5000", for messages */
    aeh_connector *connector;
    aeh_tls_ctx *tls_ctx;         /* --tls / --tls-auto */
    ev_timer tls_w;               /* the handshake's share of --connect-timeout */
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
    ev_signal sigint_w, sigterm_w, sighup_w;
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
} session;

/* cli_relay.c: joins stdin/stdout and the connected socket fd. */
int  relay_start(session *s, int fd);
/* Stops reading, flushes stdout (and the wire when wait_net), then leaves
 * the loop with `code` unless an earlier failure set one. */
void relay_finish(session *s, int code, bool wait_net);
void relay_close(session *s);
/* End of stream rules shared by both relays (see END OF STREAM in aecat(1)). */
void relay_peer_eof(session *s);
void relay_stdin_active(session *s);
void relay_stdin_done(session *s);
/* A write (or the socket) says the peer closed fully (err: EPIPE or
 * ECONNRESET): tells what of stdin was lost and sets exit 74.  net: the
 * wire's handle on the handle relay (NULL on the splice relay). */
void relay_wire_closed(session *s, const aeh *net, int err);
/* Leaves the loop once everything owed to stdout (and the wire) is out. */
void relay_check_done(session *s);

/* cli_relay.c, for the dialog and the splice relay: the relay's callbacks
 * on the wire handle, the relay itself, stdin ended, --tls-info. */
void relay_net_callbacks(session *s);
void relay_begin(session *s);
void relay_stdin_ended(session *s);
void relay_tls_info(session *s, aeh *h);

/* cli_dialog.c: --send, --expect, ... before the relay. */
int  dialog_prepare(session *s);  /* -1, or the exit code of a bad step */
void dialog_begin(session *s);
void dialog_free(session *s);

/* cli_splice.c: the raw relay through splice(2), when stdin and stdout
 * are pipes or sockets and nothing transforms the bytes. */
bool splice_eligible(const session *s);
int  splice_start(session *s, int fd);
bool splice_pending(const session *s, bool wire_too);
void splice_finish(session *s);
void splice_shutdown(session *s);
void splice_close(session *s);
/* stdin's bytes: taken from stdin, held unsent, written to the wire fd. */
void splice_stdin_flow(const session *s, uint64_t *taken, uint64_t *unsent, uint64_t *written,
                       int *wire_fd);
bool splice_stdin_blocked(const session *s);
void relay_count_bytes(session *s);

/* log.c: the "close" event of a session. */
void log_close_event(const session *s, int code);

#endif
