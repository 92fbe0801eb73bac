/* SPDX-License-Identifier: MIT */
/* One session: its timers, TLS context, connect or accept, the dialog or
 * relay it starts, and its end (counters, --stats, the close event). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <stddef.h>
#include <unistd.h>
#include "session.h"
#include "dialog.h"
#include "relay.h"
#include "child.h"
#include "end.h"
#include "linger.h"
#include "codecs.h"
#include "log.h"

/* How long a probe's TLS close waits for the peer's (seconds). */
enum { PROBE_LINGER = 1 };

/* ------------------------------------------------------------ timers */

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    session *s = w->data;
    /* with --retry-until the attempt may be cut by what is left of it */
    const char *what = s->cfg->deadline > 0 && s->deadline >= s->cfg->deadline ? "--deadline" : "--retry-until";
    double secs = what[2] == 'd' ? s->cfg->deadline : s->cfg->retry_until;
    if (s->peer[0])
        cli_say_in(s->label, "timeout: %s of %g s reached (connected to %s)", what, secs, s->peer);
    else
        cli_say_in(s->label, "timeout: %s of %g s reached", what, secs);
    if (s->exit_code < 0)
        s->exit_code = EXIT_TEMPFAIL;
    s->cut_short = true;
    ev_break(loop, EVBREAK_ALL);
}

static void quit_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop; (void)revents;
    session *s = w->data;
    if (end_wire_unsent(s)) {
        /* -q bounds the wait: stdin the peer has not taken is not delivered */
        cli_say_in(s->label, "timeout: -q %g s after end of stdin: %s has not taken all of stdin",
                s->cfg->quit_after_eof, s->peer);
        end_finish(s, EXIT_TEMPFAIL, false);
        return;
    }
    if (s->cfg->verbose)
        cli_say_in(s->label, "-q %g s after end of stdin: closing", s->cfg->quit_after_eof);
    s->cut_short = true;
    end_finish(s, EXIT_OK, false);
}

/* The connection is ready for its first bytes: dialog steps, or the relay;
 * a probe (-z) without steps has proven the port (and the handshake): it
 * closes. */
static void wire_ready(session *s)
{
    if (s->dialog)
        dialog_begin(s);
    else if (s->cfg->probe)
        end_done(s);
    else
        relay_begin(s);
}

/* --connect-timeout (or -w) bounds connect + TLS handshake together. */
static void tls_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop; (void)revents;
    session *s = w->data;
    const cli_cfg *c = s->cfg;
    if (s->finishing)             /* -w said it first */
        return;
    if (s->net)
        aeh_set_timeout(s->net, AEH_TIMEOUT | AEH_RTIMEOUT | AEH_WTIMEOUT, 0);
    cli_say_in(s->label, "timeout: TLS handshake with %s not done within %g s", s->peer[0] ? s->peer : "the peer",
            c->connect_timeout > 0 ? c->connect_timeout : c->wait);
    end_finish(s, EXIT_TEMPFAIL, false);
}

static void tls_timer_start(session *s)
{
    const cli_cfg *c = s->cfg;
    double t = c->connect_timeout > 0 ? c->connect_timeout : c->wait;
    if (s->tls_ctx && t > 0 && !ev_is_active(&s->tls_w)) {
        ev_timer_set(&s->tls_w, t, 0);
        ev_timer_start(s->loop, &s->tls_w);
    }
}

/* Credentials first: a bad file is a configuration error (78) before any
 * connection, and the ephemeral certificate's pin is known for --ready. */
static int tls_setup(session *s)
{
    const cli_cfg *c = s->cfg;
    if (!c->tls && !c->tls_auto && !c->starttls)
        return -1;
    aeh_tls_opts o = {
        .server = c->listen, .ca_file = c->ca, .cert_file = c->cert, .key_file = c->key,
        .ephemeral = c->listen && !c->cert, .insecure = c->insecure, .verify_client = c->verify_client,
        .pins = c->pins, .priority = c->tls_priority, .alpn = c->alpn,
        .allow_truncation = c->tls_allow_truncation, .strict_close = c->tls_strict_close,
    };
    aeh_error e;
    s->tls_ctx = aeh_tls_ctx_new(&o, &e);
    if (!s->tls_ctx) {
        if (e.code == EINVAL) {
            cli_say_in(s->label, "usage: %s (see aecat --help)", e.msg);
            return EXIT_USAGE;
        }
        cli_say_in(s->label, "tls: %s", e.msg);
        return cli_exit_for_file(e.code);
    }
    return -1;
}

static void grace_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w; (void)revents;
    ev_break(loop, EVBREAK_ALL);
}


/* ------------------------------------------------------------ connecting */

static void connected(session *s, int fd, const struct sockaddr *peer, socklen_t len)
{
    aeh_addr_str(peer, len, s->peer, sizeof s->peer);
    if (s->cfg->verbose)
        cli_say_in(s->label, "connected to %s", s->peer);
    int rc = relay_start(s, fd);
    if (rc >= 0) {
        s->exit_code = rc;
        end_leave(s);
    }
}

/* --json-log: what the connector did. */
static void connect_event(void *arg, const aeh_connect_event *ev)
{
    session *s = arg;
    aeh_buf b = { 0 };
    static const char *const result[] = { "", "", "trying", "failed", "connected" };
    if (ev->kind == AEH_CONNECT_RESOLVED) {
        log_begin(&b, "resolve");
        log_cstr(&b, "host", s->cfg->host);
    } else {
        log_begin(&b, "connect");
        log_cstr(&b, "result", result[ev->kind]);
    }
    log_addr(&b, ev->addr, ev->addrlen);
    if (ev->kind == AEH_CONNECT_FAILED)
        log_cstr(&b, "error", strerror(ev->err));
    log_end(&b);
}

static void connect_cb(void *arg, int fd, const struct sockaddr *peer, socklen_t len, const aeh_error *e)
{
    session *s = arg;
    s->connector = NULL;
    if (fd < 0) {
        int code = cli_exit_for(e->code);
        cli_say_in(s->label, "%s: %s", code == EXIT_NOHOST ? "resolve" : code == EXIT_TEMPFAIL ? "timeout" : "connect", e->msg);
        s->exit_code = code;
        ev_break(s->loop, EVBREAK_ALL);
        return;
    }
    connected(s, fd, peer, len);
}

void session_accepting(session *s, bool on)
{
    for (size_t i = 0; i < s->nlisteners; i++)
        if (on)
            ev_io_start(s->loop, &s->listeners[i]);
        else
            ev_io_stop(s->loop, &s->listeners[i]);
}

void session_close_listeners(session *s)
{
    session_accepting(s, false);
    for (size_t i = 0; i < s->nlisteners; i++)
        close(s->listeners[i].fd);
    free(s->listeners);
    s->listeners = NULL;
    s->nlisteners = 0;
}

static void accept_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop; (void)revents;
    session *s = w->data;
    if (!s->finishing)
        session_accepting(s, true);
}

static void log_accept(const struct sockaddr_storage *peer, socklen_t len)
{
    if (log_on()) {
        aeh_buf b = { 0 };
        log_begin(&b, "accept");
        log_addr(&b, (const struct sockaddr *)peer, len);
        log_end(&b);
    }
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    session *s = w->data;
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    aeh_error e;
    int fd = aeh_accept(w->fd, &peer, &len, &e);
    if (fd < 0) {
        if (e.code == EAGAIN || e.code == EINTR || e.code == ECONNABORTED)
            return;
        if (s->on_accept && (e.code == EMFILE || e.code == ENFILE || e.code == ENOBUFS || e.code == ENOMEM)) {
            /* -k out of descriptors or memory: the connections that end
             * make room; retrying at once would spin on the ready socket */
            if (!s->accept_paused)
                cli_say("%s: not accepting for now, retrying every 0.1 s", e.msg);
            s->accept_paused = true;
            session_accepting(s, false);
            ev_timer_set(&s->accept_w, 0.1, 0);
            ev_timer_start(loop, &s->accept_w);
            return;
        }
        cli_say_in(s->label, "%s", e.msg);   /* "accept: ..." */
        s->exit_code = EXIT_IOERR;
        ev_break(loop, EVBREAK_ALL);
        return;
    }
    s->accept_paused = false;
    if (s->on_accept) {           /* -k: the listener goes on */
        s->on_accept(s, fd, (struct sockaddr *)&peer, len);
        return;
    }
    session_close_listeners(s);   /* one connection: the first on any of them */
    if (s->cfg->verbose) {
        char buf[200];
        cli_say_in(s->label, "accepted connection from %s", aeh_addr_str((struct sockaddr *)&peer, len, buf, sizeof buf));
    }
    log_accept(&peer, len);
    tls_timer_start(s);
    connected(s, fd, (struct sockaddr *)&peer, len);
}

/* A listening socket more, its watcher not started: -1, or EXIT_IOERR. */
static int add_listener(session *s, int fd)
{
    ev_io *l = realloc(s->listeners, (s->nlisteners + 1) * sizeof *l);
    if (!l) {
        cli_say_in(s->label, "listen: %s", strerror(ENOMEM));
        close(fd);
        return EXIT_IOERR;
    }
    s->listeners = l;
    ev_io_init(&l[s->nlisteners], accept_cb, fd, EV_READ);
    l[s->nlisteners++].data = s;
    return -1;
}

/* --ready, -v and the log: "listening HOST PORT" (or "unix PATH") for the
 * socket fd. */
static int announce(session *s, int fd)
{
    const cli_cfg *c = s->cfg;
    char line[600];
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    bool named = getsockname(fd, (struct sockaddr *)&ss, &len) == 0;
    if (c->unix_socket) {
        snprintf(line, sizeof line, "listening unix %s\n", c->path);
    } else if (named && ss.ss_family == AF_UNIX) {
        /* --listen-fds: systemd's ListenStream=/path ('@' for an abstract name) */
        const struct sockaddr_un *un = (const struct sockaddr_un *)&ss;
        size_t n = len - offsetof(struct sockaddr_un, sun_path);
        bool abstract = n && !un->sun_path[0];
        snprintf(line, sizeof line, "listening unix %s%.*s\n", abstract ? "@" : "",
                 (int)(abstract ? n - 1 : strnlen(un->sun_path, n)), un->sun_path + abstract);
    } else {
        char host[100], port[16];
        if (!named || aeh_addr_numeric((struct sockaddr *)&ss, len, host, sizeof host, port, sizeof port) < 0) {
            cli_say_in(s->label, "listen: getsockname: %s", strerror(errno));
            return EXIT_IOERR;
        }
        snprintf(line, sizeof line, "listening %s %s\n", host, port);
    }
    if (s->tls_ctx && aeh_tls_ctx_pin(s->tls_ctx) && !c->cert)   /* the client's --pin */
        snprintf(strchr(line, '\n'), sizeof line - strlen(line), " %s\n", aeh_tls_ctx_pin(s->tls_ctx));
    if (c->verbose)
        cli_say_in(s->label, "%.*s", (int)strlen(line) - 1, line);
    if (log_on()) {
        aeh_buf b = { 0 };
        log_begin(&b, "listen");
        log_str(&b, "line", line, strlen(line) - 1);
        log_end(&b);
    }
    if (c->ready_fd >= 0) {
        size_t n = strlen(line);
        if (write(c->ready_fd, line, n) != (ssize_t)n) {
            cli_say_in(s->label, "--ready: cannot write to fd %d: %s", c->ready_fd, strerror(errno));
            return EXIT_IOERR;
        }
    }
    return -1;
}

/* Fd 0 (and 1) stop naming the socket: its close must reach the peer. */
static int hand_over_std_fd(int fd, const struct stat *sock_st)
{
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_dev != sock_st->st_dev || st.st_ino != sock_st->st_ino)
        return 0;
    int null_fd = open("/dev/null", fd ? O_WRONLY : O_RDONLY);
    if (null_fd < 0)
        return -1;
    int rc = dup2(null_fd, fd);
    close(null_fd);
    return rc < 0 ? -1 : 0;
}

/* --inetd: the connection was accepted by inetd, tcpserver or systemd and
 * is fd 0 (and 1). */
static int inetd_start(session *s)
{
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    struct stat st;
    if (fstat(0, &st) < 0 || !S_ISSOCK(st.st_mode)) {
        cli_say("usage: --inetd: stdin is not a socket (run by inetd, tcpserver or systemd Accept=yes)");
        return EXIT_USAGE;
    }
    if (getpeername(0, (struct sockaddr *)&peer, &len) < 0) {
        if (errno == ENOTCONN) {
            cli_say("usage: --inetd: stdin is a socket but no connection (a listening socket: "
                    "systemd needs Accept=yes)");
            return EXIT_USAGE;
        }
        cli_say("--inetd: stdin: getpeername: %s", strerror(errno));
        return EXIT_IOERR;
    }
    int fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
    if (fd < 0 || hand_over_std_fd(0, &st) < 0 || hand_over_std_fd(1, &st) < 0) {
        cli_say("--inetd: stdin: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return EXIT_IOERR;
    }
    s->saved_fl[0] = s->saved_fl[1] = -1;   /* no longer the caller's socket */
    if (s->cfg->verbose) {
        char buf[200];
        cli_say("--inetd: connection from %s", aeh_addr_str((struct sockaddr *)&peer, len, buf, sizeof buf));
    }
    log_accept(&peer, len);
    tls_timer_start(s);
    connected(s, fd, (struct sockaddr *)&peer, len);
    return -1;
}

/* --listen-fds: the listening sockets systemd passes (Accept=no): fds 3 to
 * 3 + LISTEN_FDS - 1 (one per ListenStream=: a port on IPv4 and IPv6, a
 * path), LISTEN_PID ours, as sd_listen_fds(3) takes them; the variables
 * are dropped, so that no program of ours takes them for its own.  -1, or
 * the usage error (a unit or command that does not fit). */
enum { LISTEN_FDS_MAX = 64 };

static int take_listen_fds(session *s)
{
    const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
    char *end;
    if (!fds || !pid) {
        cli_say("usage: --listen-fds: LISTEN_FDS and LISTEN_PID are not set "
                "(run by systemd, Accept=no, or systemd-socket-activate)");
        return EXIT_USAGE;
    }
    long owner = strtol(pid, &end, 10);
    if (*end || end == pid || owner != (long)getpid()) {
        cli_say("usage: --listen-fds: LISTEN_PID=%s is not this process (%ld): the sockets are another's",
                pid, (long)getpid());
        return EXIT_USAGE;
    }
    long n = strtol(fds, &end, 10);
    if (*end || end == fds || n < 1 || n > LISTEN_FDS_MAX) {
        cli_say("usage: --listen-fds: LISTEN_FDS=%s: not a number of sockets from 1 to %d", fds,
                LISTEN_FDS_MAX);
        return EXIT_USAGE;
    }
    if (n > 1 && !s->cfg->keep_open) {
        cli_say("usage: --listen-fds: LISTEN_FDS=%s: without -k aecat serves one connection, on one "
                "socket (one ListenStream=)", fds);
        return EXIT_USAGE;
    }
    for (int fd = 3; fd < 3 + n; fd++) {
        int type = 0, listening = 0;
        socklen_t len = sizeof type;
        bool stream = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
        len = sizeof listening;
        if (!stream || getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening) {
            cli_say("usage: --listen-fds: fd %d is not a listening stream socket%s", fd,
                    stream ? " (a connection: systemd needs Accept=no)" : "");
            return EXIT_USAGE;
        }
    }
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDNAMES");
    for (int fd = 3; fd < 3 + n; fd++) {
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
            cli_say("--listen-fds: fd %d: %s", fd, strerror(errno));
            return EXIT_IOERR;
        }
        int rc = add_listener(s, fd);
        if (rc >= 0)
            return rc;
    }
    return -1;
}

/* The listening socket, bound here: -1, or the exit code. */
static int bind_listener(session *s)
{
    const cli_cfg *c = s->cfg;
    aeh_error e;
    /* one connection: a backlog of one; -k: what the kernel allows */
    int backlog = c->keep_open ? SOMAXCONN : 1;
    int fd = c->unix_socket ? aeh_listen_unix(c->path, backlog, &e)
                            : aeh_listen(c->host, c->port, c->family, backlog, &e);
    if (fd < 0) {
        cli_say_in(s->label, "listen: %s", e.msg);
        return e.code == EINVAL ? EXIT_USAGE
             : cli_exit_for(e.code) == EXIT_NOHOST ? EXIT_NOHOST : EXIT_IOERR;
    }
    struct stat st;
    s->bound_path = c->unix_socket && c->path[0] != '@' && lstat(c->path, &st) == 0;
    if (s->bound_path) {
        s->bound_dev = st.st_dev;
        s->bound_ino = st.st_ino;
    }
    return add_listener(s, fd);
}

static int start(session *s)
{
    const cli_cfg *c = s->cfg;
    aeh_error e;
    if (c->inetd)
        return inetd_start(s);
    if (c->listen) {
        int rc = c->listen_fds ? take_listen_fds(s) : bind_listener(s);
        if (rc >= 0)
            return rc;
        for (size_t i = 0; i < s->nlisteners; i++)
            if ((rc = announce(s, s->listeners[i].fd)) >= 0)
                return rc;
        session_accepting(s, true);
        return -1;
    }
    tls_timer_start(s);
    if (c->unix_socket) {
        int fd = aeh_connect_unix(c->path, &e);
        if (fd < 0) {
            cli_say_in(s->label, "connect: %s", e.msg);
            return e.code == ENAMETOOLONG ? EXIT_USAGE : cli_exit_for(e.code);
        }
        snprintf(s->peer, sizeof s->peer, "unix socket %s", c->path);
        if (c->verbose)
            cli_say_in(s->label, "connected to %s", s->peer);
        if (log_on()) {
            aeh_buf b = { 0 };
            log_begin(&b, "connect");
            log_cstr(&b, "result", "connected");
            log_cstr(&b, "address", c->path);
            log_end(&b);
        }
        return relay_start(s, fd);
    }
    aeh_connect_opts co = {
        .family = c->family, .source_host = c->source, .source_port = c->source_port,
        .timeout = c->connect_timeout > 0 ? c->connect_timeout : c->wait,
        .on_event = log_on() ? connect_event : NULL,
    };
    s->connector = aeh_connect(s->loop, c->host, c->port, &co, connect_cb, s, &e);
    if (!s->connector) {
        if (e.code == EINVAL) {
            cli_say_in(s->label, "usage: %s", e.msg);
            return EXIT_USAGE;
        }
        cli_say_in(s->label, "connect: %s", e.msg);
        return cli_exit_for(e.code);
    }
    return -1;
}

/* -U -l at exit: the socket file we bound, never a file that has
 * replaced it since (nor one we failed to bind over). */
static void unlink_own_socket(const session *s)
{
    struct stat st;
    if (lstat(s->cfg->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
        st.st_dev == s->bound_dev && st.st_ino == s->bound_ino)
        unlink(s->cfg->path);
}

static void print_stats(session *s, uint64_t sent, uint64_t recvd)
{
    double t = ev_time() - s->t_start;
    cli_say_in(s->label, "stats: sent %llu bytes %llu frames, received %llu bytes %llu frames, in %.3f s (%.1f MB/s)",
            (unsigned long long)sent, (unsigned long long)s->frames_sent,
            (unsigned long long)recvd, (unsigned long long)s->frames_recv, t,
            t > 0 ? (double)(sent + recvd) / t / 1e6 : 0.0);
}

int session_open(session *s, const cli_cfg *cfg, double deadline)
{
    *s = (session){ .cfg = cfg, .exit_code = -1, .deadline = deadline,
                    .on_wire_ready = wire_ready, .in_fd = 0, .out_fd = 1,
                    .in_name = "stdin", .out_name = "stdout",
                    .child_ends = { -1, -1 } };
    int rc = codecs_build(s);
    if (rc) {
        codecs_free(s);
        return rc;
    }
    s->loop = ev_default_loop(EVFLAG_NOENV);
    if (!s->loop) {
        cli_say_in(s->label, "cannot initialise the event loop");
        codecs_free(s);
        return EXIT_IOERR;
    }
    s->t_start = ev_time();
    s->saved_fl[0] = fcntl(0, F_GETFL);
    s->saved_fl[1] = fcntl(1, F_GETFL);
    ev_timer_init(&s->deadline_w, deadline_cb, deadline, 0);
    ev_timer_init(&s->quit_w, quit_cb, 0, 0);
    ev_timer_init(&s->grace_w, grace_cb, 0, 0);
    ev_timer_init(&s->tls_w, tls_timeout_cb, 0, 0);
    ev_timer_init(&s->accept_w, accept_retry_cb, 0, 0);
    s->deadline_w.data = s->quit_w.data = s->grace_w.data = s->tls_w.data = s->accept_w.data = s;
    if (deadline > 0)
        ev_timer_start(s->loop, &s->deadline_w);
    return -1;
}

int session_run(session *s)
{
    const cli_cfg *cfg = s->cfg;
    int rc = tls_setup(s);
    if (rc < 0)
        rc = dialog_prepare(s);
    /* told once the whole command line holds up */
    if (rc < 0 && s->tls_ctx && cfg->listen && !cfg->cert)
        cli_say_in(s->label, "ephemeral certificate %s", aeh_tls_ctx_pin(s->tls_ctx));
    if (rc < 0)
        rc = start(s);
    if (rc < 0)
        ev_run(s->loop, 0);
    else
        s->exit_code = rc;
    return s->exit_code < 0 ? EXIT_OK : s->exit_code;
}

void session_interrupt(session *s, int signum)
{
    if (s->cfg->verbose)
        cli_say_in(s->label, "%s: flushing and exiting", signum == SIGINT ? "interrupted"
                                              : signum == SIGHUP ? "hung up" : "terminated");
    if (s->exit_code < 0)
        s->exit_code = 128 + signum;
    s->cut_short = true;
    linger_cut();                 /* -k: the connections done already */
    if (!s->out && !s->splice) {
        ev_break(s->loop, EVBREAK_ALL);
        return;
    }
    /* flush what stdout can take now; give up after a moment */
    ev_timer_set(&s->grace_w, 1.0, 0);
    ev_timer_start(s->loop, &s->grace_w);
    end_finish(s, s->exit_code, false);
}

int session_close(session *s, session_outcome *out)
{
    const cli_cfg *cfg = s->cfg;
    relay_count_bytes(s);
    /* a probe's clean close: under TLS the peer answers our close_notify
     * (its own, after TLS 1.3 session tickets): waited for, briefly */
    if (cfg->probe && s->exit_code <= EXIT_OK)
        relay_drain_wire(s, s->tls_version[0] ? PROBE_LINGER : 0);
    if (s->connector)
        aeh_connect_cancel(s->connector);
    end_close(s);
    child_reap(s);
    dialog_free(s);
    if (cfg->stats && !s->hub)    /* -k: the listener tells its totals */
        print_stats(s, s->bytes_sent, s->bytes_recv);
    ev_timer_stop(s->loop, &s->accept_w);
    session_close_listeners(s);
    if (s->bound_path)
        unlink_own_socket(s);
    for (int fd = 0; fd < 2; fd++)
        if (s->saved_fl[fd] >= 0)
            fcntl(fd, F_SETFL, s->saved_fl[fd]);
    /* the lingering closes (a -k listener's too) end before the run; not
     * past --deadline, and not at all when a signal or it ended the run */
    bool bounded = ev_is_active(&s->deadline_w);
    double left = bounded ? ev_timer_remaining(s->loop, &s->deadline_w) : 0;
    ev_timer_stop(s->loop, &s->deadline_w);
    if (s->cut_short || (bounded && left <= 0))
        linger_cut();
    else
        linger_wait(s->loop, left);
    codecs_free(s);
    aeh_tls_ctx_free(s->tls_ctx);
    ev_loop_destroy(s->loop);
    if (out) {
        *out = (session_outcome){ .relayed = s->relay_started, .tls_verified = s->tls_verified };
        snprintf(out->peer, sizeof out->peer, "%s", s->peer);
        snprintf(out->tls_version, sizeof out->tls_version, "%s", s->tls_version);
    }
    int code = s->exit_code < 0 ? EXIT_OK : s->exit_code;
    if (s->peer[0] || s->relay_started)
        log_close_event(s, code);
    return code;
}

/* ------------------------------------------------------------ -k connections */

int session_conn_open(session *c, const session *l, unsigned id, const conn_hooks *hooks)
{
    *c = (session){
        .cfg = l->cfg, .loop = l->loop, .recv_codec = l->recv_codec, .send_codec = l->send_codec,
        .in_codec = l->in_codec, .out_codec = l->out_codec, .until = l->until, .tls_ctx = l->tls_ctx,
        .exit_code = -1, .saved_fl = { -1, -1 }, .on_wire_ready = wire_ready,
        .hub = l->hub, .hooks = hooks, .conn_id = id, .t_start = ev_now(l->loop),
        .in_fd = 0, .out_fd = 1, .in_name = "stdin", .out_name = "stdout", .child_ends = { -1, -1 },
    };
    ev_timer_init(&c->tls_w, tls_timeout_cb, 0, 0);
    c->tls_w.data = c;
    if (!codecs_per_stream(l))
        return -1;
    c->own_codecs = true;
    int rc = codecs_build(c);
    if (rc) {
        codecs_free(c);
        c->recv_codec = c->send_codec = c->in_codec = c->out_codec = NULL;
        c->until = NULL;
        return rc;
    }
    return -1;
}

int session_conn_start(session *c, int fd, const struct sockaddr *peer, socklen_t len)
{
    aeh_addr_str(peer, len, c->peer, sizeof c->peer);
    char label[sizeof c->peer + 20];
    if (c->peer[0])
        snprintf(label, sizeof label, "conn %u %s", c->conn_id, c->peer);
    else
        snprintf(label, sizeof label, "conn %u", c->conn_id);
    c->label = strdup(label);     /* without it, its lines are the listener's */
    if (c->cfg->verbose)
        cli_say_in(c->label, "accepted");
    int rc = dialog_prepare(c);
    if (rc >= 0) {
        close(fd);
        return rc;
    }
    tls_timer_start(c);
    return relay_start(c, fd);
}

int session_conn_close(session *c)
{
    relay_count_bytes(c);
    end_close(c);
    dialog_free(c);
    /* the loop goes on: none of its timers may outlive it */
    ev_timer_stop(c->loop, &c->tls_w);
    ev_timer_stop(c->loop, &c->closed_w);
    ev_timer_stop(c->loop, &c->peer_eof_w);
    child_reap(c);
    if (c->own_codecs)
        codecs_free(c);
    if (c->cfg->stats)
        print_stats(c, c->bytes_sent, c->bytes_recv);
    int code = c->exit_code < 0 ? EXIT_OK : c->exit_code;
    log_close_event(c, code);
    free(c->label);
    c->label = NULL;
    return code;
}
