/* SPDX-License-Identifier: MIT */
/* The CLI's leaves: exit codes, the options (opts.c), messages (say.c) and
 * the JSON log (log.c).  See session.h for the layers above them. */
#ifndef AECAT_CLI_H
#define AECAT_CLI_H
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

/* -z: one item of the PORT list, LO to HI (one port: LO == HI), or a
 * service name (allocated). */
typedef struct cli_port_range {
    unsigned lo, hi;
    char *service;
} cli_port_range;

/* --slow: what -k does with a connection that does not read fast enough. */
typedef enum cli_slow { CLI_SLOW_BLOCK, CLI_SLOW_DROP, CLI_SLOW_CLOSE } cli_slow;

typedef struct cli_cfg {
    bool listen, unix_socket;
    bool keep_open;               /* -k: accept connections until stopped */
    bool tag;                     /* --tag: records say which connection */
    bool broker;                  /* --broker: a client's frames go to the others */
    cli_slow slow;                /* --slow */
    uint64_t max_conns;           /* --max-conns (default 1000) */
    uint64_t max_accepts;         /* --max-accepts; 0: no limit */
    bool probe;                   /* -z: connect to each port, close cleanly, no stdin */
    cli_port_range *probe_ports;  /* -z's PORT list, in order (allocated) */
    size_t nprobe_ports;
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
    bool http_lenient;            /* http: Transfer-Encoding wins over Content-Length */
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
    const char *hexdump;          /* --hexdump[=FILE]: FILE, "-" or "&FD"; NULL: none */
    bool hexdump_wire, hexdump_time;
    /* -e/-c: the program run for the connection, in place of stdin/stdout:
     * its argv (allocated; -c: /bin/sh -c CMD), and which option gave it */
    char **exec_argv;
    const char *exec_opt;
    /* --inetd: the connection is fd 0 (and 1); listen is set too, as aecat
     * is the server's side of it (TLS accepts, --starttls serves) */
    bool inetd;
    /* --listen-fds: the listening socket is systemd's (LISTEN_FDS, fd 3);
     * listen is set too */
    bool listen_fds;
} cli_cfg;

/* Frees what cli_parse allocated. */
void cli_cfg_free(cli_cfg *cfg);

/* Parses argv into *cfg; on a usage error prints one line and returns
 * EXIT_USAGE; returns -1 to go on, or 0 when --help/--version was served. */
int cli_parse(int argc, char **argv, cli_cfg *cfg);

/* say.c.  One line on stderr: "aecat: " + the formatted text, its control
 * characters escaped (cli_escape_controls), and handed to the tee. */
void cli_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same about one connection of several (-k): after "aecat: LABEL: "
 * when label is not empty ("conn 7 127.0.0.1 port 51234"). */
void cli_say_in(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_escape_controls(const char *in, char *out, size_t cap);
/* fn hears every line cli_say says (the JSON log keeps the last error). */
void cli_say_tee(void (*fn)(const char *line));
/* While held, cli_say's lines are kept: cli_hold(false) prints them and
 * stops holding; cli_hold_drop forgets them (printed first, each after
 * "aecat: PREFIX N: ", when prefix is not NULL). */
void cli_hold(bool on);
void cli_hold_drop(const char *prefix, int n);
/* Prints the held lines, `suffix` after the last one, and stops holding. */
void cli_hold_end(const char *suffix);
/* What an exit code says in a word or two: "refused or unreachable",
 * "timeout", ... ("ok" for 0). */
const char *cli_exit_class(int code);
/* Maps a library error code met in a network phase to an exit code. */
int cli_exit_for(int code);
/* A file given on the command line that cannot be used: a configuration
 * error (78), unless the process is out of descriptors (74). */
int cli_exit_for_file(int code);
/* An output file named by an option (--json-log, --hexdump): "-" stderr,
 * "&N" descriptor N, else the path, created or truncated (*own: opened
 * here, to close).  -1 with *fd set, or the exit code after one line. */
int cli_open_output(const char *opt, const char *name, int *fd, bool *own);
/* All of p[0, n) to fd (waiting while a non-blocking fd is full): 0, or
 * the errno of the failure (EIO when nothing could be written). */
int cli_write_all(int fd, const void *p, size_t n);


/* log.c: --json-log.  log_begin, the log_ field writers and log_end build
 * one event; the others are whole events. */
int  log_open(const cli_cfg *c);  /* -1, or the exit code */
void log_close(void);
bool log_on(void);
bool log_failed(void);            /* a write to the log failed (told on stderr) */
void log_attempt(int n);
void log_begin(aeh_buf *b, const char *event);
void log_str(aeh_buf *b, const char *key, const void *p, size_t n);
void log_cstr(aeh_buf *b, const char *key, const char *s);
void log_raw(aeh_buf *b, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void log_addr(aeh_buf *b, const struct sockaddr *sa, socklen_t len);
void log_end(aeh_buf *b);
void log_result(int code);

#endif
