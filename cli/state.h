/* SPDX-License-Identifier: MIT */
/* The state every layer of the CLI shares: a session (one connection's
 * life, see session.h for the layers) and the transport interface its
 * bytes flow through.  Types only: no function of any layer is declared
 * here, so including it makes no layer depend on another. */
#ifndef AECAT_STATE_H
#define AECAT_STATE_H
#include <ev.h>
#include "cli.h"

typedef struct session session;
typedef struct transport transport;
typedef struct conn_hooks conn_hooks;

struct session {
    const cli_cfg *cfg;
    struct ev_loop *loop;
    aeh_codec *recv_codec, *send_codec, *in_codec, *out_codec;
    aeh_match *until;             /* --until */
    aeh *in, *out, *net;          /* stdin, stdout, the connection */
    char peer[128];               /* "127.0.0.1 port 5000", for messages */
    aeh_connector *connector;
    aeh_tls_ctx *tls_ctx;         /* --tls / --tls-auto */
    ev_timer tls_w;               /* the handshake's share of --connect-timeout */
    const transport *transport;   /* the relay's, once it started (NULL before) */
    void (*on_wire_ready)(session *s);   /* the first bytes may flow: dialog or relay */
    struct splice_relay *splice;  /* the raw fast path, when it runs */
    aeh_dialog *dialog;           /* dialog steps, when given */
    /* the listening sockets: the one aecat bound, or --listen-fds's
     * (systemd's, one per ListenStream=); the fd of each is its watcher's */
    ev_io *listeners;
    size_t nlisteners;
    bool bound_path;              /* -U -l: we created the socket file */
    dev_t bound_dev;              /* ... and it is this inode: unlinked at exit */
    ino_t bound_ino;              /* only while the path still names it */
    ev_timer accept_w;            /* -k: accepting again after running out of fds */
    bool accept_paused;
    ev_timer deadline_w, quit_w, grace_w;
    ev_timer peer_eof_w;          /* --peer-eof-grace: stdin's silence after the peer's EOF */
    ev_timer closed_w;            /* after the peer's EOF, a write's reset is looked for */
    int saved_fl[2];              /* stdin's and stdout's file status flags, restored */
    uint64_t frames_sent, frames_recv;
    /* stream offset where the frame being handed over began (on stdin, on
     * the wire), for errors about a frame the other side cannot encode */
    uint64_t in_frame_at, net_frame_at;
    aeh_error *batch_refusal;     /* in relay_push_batch: where an encoder's refusal goes */
    uint64_t bytes_sent, bytes_recv;   /* on the wire, kept when the handle goes */
    uint64_t grace_mark;          /* stdin bytes taken when peer_eof_w last looked */
    double deadline;              /* this attempt's: --deadline, or what --retry-until leaves */
    bool relay_started;           /* stdin began to flow: no retry after that */
    ev_tstamp t_start;
    bool in_paused, net_paused, finishing, wait_net;
    bool stdin_done, peer_eof;
    /* a signal, --deadline or -q ended the run: no lingering close (-q's
     * wait for the peer was one, with the user's bound) */
    bool cut_short;
    bool peer_ragged_eof;         /* TLS: the peer's end was a TCP close without close_notify */
    bool ready_after_tls;         /* -z --tls: the first step waits for the handshake */
    aeh_tls_verification tls_verified;   /* how the last handshake checked the peer */
    char tls_version[16];         /* its version ("" before any) */
    int in_errno;                 /* why stdin could not be opened as a handle */
    /* The session's "stdin side" and "stdout side": 0 and 1, or with -e/-c
     * aecat's ends of the pipes from and to the child (child.c). */
    int in_fd, out_fd;
    const char *in_name, *out_name;   /* for messages: "stdin", "stdout", or the child's */
    /* -e/-c: the program on this connection (child.c) */
    pid_t child_pid;              /* 0: none (not started, or reaped at exec failure) */
    int child_ends[2];            /* the child's ends of the pipes until it starts (-1: none) */
    ev_child child_w;
    ev_timer child_kill_w;        /* SIGKILL after the grace that follows SIGTERM */
    bool child_gone;              /* reaped: child_code holds its status */
    bool child_stopping;          /* SIGTERM was sent */
    bool child_after_tls;         /* starts when the handshake under way is over */
    bool child_reaping;           /* the session is over: the child's exit ends it */
    bool child_closing;           /* child_reap waits for it: its exit ends nothing */
    int child_held_code;          /* the session's code when its end began to wait */
    ev_prepare child_release_w;   /* closes the transport and pipes, outside its callbacks */
    int child_code;               /* its exit code, 128+N for signal N */
    /* end_leave asks it first: true, the session is not over yet (its
     * program runs) and the callback calls end_leave again later */
    bool (*end_held)(session *s);
    int exit_code;                /* -1 while running */
    /* -k: the listener takes each accepted fd (NULL: one connection) */
    void (*on_accept)(session *s, int fd, const struct sockaddr *peer, socklen_t len);
    void *hub;                    /* -k: the listener's state (keep.c), for both */
    /* -k: one connection of the listener's (conn_id > 0); its stdin and
     * stdout are the listener's (s->in, s->out NULL here), or with -e/-c
     * its program's */
    const conn_hooks *hooks;
    unsigned conn_id;
    bool own_codecs;              /* -k: built for it (codecs_per_stream), not the listener's */
    char *label;                  /* "conn 7 127.0.0.1 port 51234": its messages' start
                                     (allocated; NULL alone) */
};

/* How a connection of a -k listener reaches the listener (keep.c), which
 * owns stdin and stdout.  With -e/-c only `ended` is set (frames NULL):
 * the connection relays to its own program, as a single one does. */
struct conn_hooks {
    aeh_frames_cb *frames;        /* the wire's frames, once the relay began */
    aeh_run_cb *run;              /* ... or runs of them (NULL: frames only) */
    void (*relaying)(session *c); /* the relay began: stdin's frames may come */
    void (*drained)(session *c);  /* the wire's queue is down to its low-water mark */
    void (*ended)(session *c);    /* nothing more is owed: the listener frees it */
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
    /* the wire as a handle of its own, its queue written, for a lingering
     * close (linger.c): counters stay in s; NULL (the wire stays) when
     * bytes wait to go or the peer's EOF came.  NULL op: never (splice.c,
     * whose runs end before the peer's EOF only by -q or a failure) */
    aeh *(*release_wire)(session *s);
};

#endif
