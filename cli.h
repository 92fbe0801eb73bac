/* SPDX-License-Identifier: MIT */
/* aecat's pieces: options (cli_opts.c), the relay (cli_relay.c), main (aecat.c). */
#ifndef CLI_H
#define CLI_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "aeh.h"

/* Exit codes (sysexits), see the EXIT STATUS table in aecat(1). */
enum {
    EXIT_OK = 0, EXIT_EXPECT = 1, EXIT_USAGE = 64, EXIT_DATAERR = 65,
    EXIT_NOHOST = 68, EXIT_UNAVAILABLE = 69, EXIT_IOERR = 74, EXIT_TEMPFAIL = 75,
    EXIT_PROTOCOL = 76, EXIT_CONFIG = 78, EXIT_SIGPIPE = 141,
};

/* A dialog step as given on the command line (--send, --send-file,
 * --expect, --reject, --sleep, --starttls), in order. */
typedef struct cli_step {
    int kind;                     /* AEH_STEP_* */
    const char *opt;              /* the option, for messages */
    const char *arg;              /* as written */
    aeh_buf data;                 /* SEND: the bytes (escapes decoded) */
    const char *file;             /* SEND: --send-file's path (read by the dialog) */
    double seconds;               /* SLEEP */
} cli_step;

typedef struct cli_cfg {
    bool listen, unix_socket;
    int family;                   /* AF_UNSPEC, AF_INET, AF_INET6 */
    const char *host, *port, *path;
    const char *source, *source_port;
    int ready_fd;                 /* -1: no --ready */
    const char *frame;            /* --frame, the default of the two below */
    const char *recv_frame, *send_frame;
    const char *records;          /* --records, the default of the two below */
    const char *send_records, *recv_records;   /* stdin's, stdout's */
    size_t max_frame;
    bool max_frame_set;
    uint64_t count;               /* 0: no --count */
    const char *until;
    bool crlf, no_shutdown;
    bool strict_lines;            /* an unterminated last line is truncation (65) */
    double quit_after_eof;        /* -q; < 0: wait for the peer */
    double peer_eof_grace;        /* --peer-eof-grace; < 0: stdin flows until its own EOF */
    double wait, connect_timeout, rtimeout, wtimeout, deadline;
    int verbose;
    bool stats;
    /* TLS */
    bool tls, tls_auto, insecure, verify_client, tls_allow_truncation, tls_strict_close, tls_info;
    const char *ca, *cert, *key, *servername, *alpn, *tls_priority;
    char *pins;                   /* --pin values, comma-separated (allocated) */
    /* dialog */
    cli_step *steps;              /* allocated */
    size_t nsteps;
    double step_timeout;          /* --step-timeout, default 10 */
    bool then_relay;
    const char *starttls;         /* the last --starttls PROTO */
    const char *starttls_name;
    bool starttls_reissue;
    double retry_until;           /* --retry-until SECS; 0: one attempt */
    const char *json_log;         /* --json-log FILE, "-" or "&FD" */
} cli_cfg;

/* Frees what cli_parse allocated. */
void cli_cfg_free(cli_cfg *cfg);

/* Parses argv into *cfg; on a usage error prints one line and returns
 * EXIT_USAGE; returns -1 to go on, or 0 when --help/--version was served. */
int cli_parse(int argc, char **argv, cli_cfg *cfg);

/* One line on stderr: "aecat: " + the formatted text. */
void cli_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* While held, cli_say's lines are kept: cli_hold(false) prints them and
 * stops holding; cli_hold_drop forgets them (printed first, each after
 * "aecat: PREFIX N: ", when prefix is not NULL). */
void cli_hold(bool on);
void cli_hold_drop(const char *prefix, int n);
/* Prints the held lines, `suffix` after the last one, and stops holding. */
void cli_hold_end(const char *suffix);
/* Maps a library error code met in a network phase to an exit code. */
int cli_exit_for(int code);
/* A file given on the command line that cannot be used: a configuration
 * error (78), unless the process is out of descriptors (74). */
int cli_exit_for_file(int code);

int cli_run(const cli_cfg *cfg);   /* connect or listen, relay; returns the exit code */

#endif

/* ------------------------------------------------------------ the session */
struct ev_loop;
#include <ev.h>

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

/* cli_log.c: --json-log.  log_begin, the log_ field writers and log_end build one event; the
 * others are whole events. */
int  log_open(const cli_cfg *c);  /* -1, or the exit code */
void log_close(void);
bool log_on(void);
bool log_failed(void);            /* a write to the log failed (told on stderr) */
void log_attempt(int n);
void log_note_error(const char *line);
void log_begin(aeh_buf *b, const char *event);
void log_str(aeh_buf *b, const char *key, const void *p, size_t n);
void log_cstr(aeh_buf *b, const char *key, const char *s);
void log_raw(aeh_buf *b, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void log_addr(aeh_buf *b, const struct sockaddr *sa, socklen_t len);
void log_end(aeh_buf *b);
void log_tls(aeh *h);
void log_close_event(const session *s, int code);
void log_result(int code);

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
