/* SPDX-License-Identifier: MIT */
/* aecat: netcat with framing.  Parses options, builds the codecs, connects
 * or listens, hands the socket to the relay (cli_relay.c) and turns the way
 * the run ended into one exit code (see aecat(1), EXIT STATUS). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/session.h"

enum { DEFAULT_MAX_FRAME = 16 << 20 };


/* ------------------------------------------------------------ codecs */

static bool is_raw(const char *spec) { return !spec || !strcmp(spec, "raw"); }

/* -C on a line framing: the same end marker when reading, "\r\n" when writing. */
static aeh_codec *crlf_line_codec(const char *spec, aeh_error *e)
{
    if (!strcmp(spec, "line"))
        return aeh_codec_line(NULL, 0, "\r\n", 2, e);
    const char *eol = spec + 5;
    size_t n = strlen(eol);
    if (n >= 2 && eol[0] == '/' && eol[n - 1] == '/') {
        char *re = strndup(eol + 1, n - 2);
        aeh_codec *c = re ? aeh_codec_line_re(re, "\r\n", 2, e) : NULL;
        free(re);
        return c;
    }
    aeh_buf buf = { 0 };
    aeh_codec *c = NULL;
    if (aeh_unescape(eol, &buf, e) >= 0)
        c = aeh_codec_line(aeh_buf_data(&buf), aeh_buf_len(&buf), "\r\n", 2, e);
    aeh_buf_free(&buf);
    return c;
}

static bool is_line(const char *spec)
{
    return spec && (!strcmp(spec, "line") || !strncmp(spec, "line:", 5));
}

static aeh_codec *wire_codec(const char *opt, const char *spec, bool sending, const cli_cfg *c, int *rc)
{
    aeh_error e;
    /* -C: "\r\n" line ends on the wire; on a raw wire the crlf codec's
     * encoder does it (its decoder is plain raw, so it cannot sit on stdin) */
    aeh_codec *codec = sending && c->crlf && is_line(spec) ? crlf_line_codec(spec, &e)
                     : sending && c->crlf && is_raw(spec) ? aeh_codec_crlf(&e)
                                                          : aeh_codec_parse(spec ? spec : "raw", &e);
    if (!codec) {
        cli_say("usage: %s: %s", opt, e.msg);
        *rc = EXIT_USAGE;
        return NULL;
    }
    if (!is_raw(spec))
        codec->max_frame = c->max_frame_set ? c->max_frame : DEFAULT_MAX_FRAME;
    /* a last line without its end marker is still a line, as for grep and
     * awk; --strict-lines makes it the truncation it may be */
    if (!sending && is_line(spec) && !c->strict_lines)
        codec->flags |= AEH_CODEC_PARTIAL_AT_EOF;
    return codec;
}

static bool is_json(const aeh_codec *wire) { return wire->kind == AEH_CODEC_KIND_JSON; }
static bool is_cbor(const aeh_codec *wire) { return wire->kind == AEH_CODEC_KIND_CBOR; }

/* Records: how frames look on stdin (decoder) and stdout (encoder).  wire:
 * the framing on the other side of the relay, wire_spec its spec (json
 * records carry JSON texts as they are when the wire frames are JSON texts,
 * with the wire's depth limit, else strings). */
static aeh_codec *records_codec(const char *fmt, bool for_stdin, const aeh_codec *wire,
                                const char *wire_spec, const cli_cfg *c, int *rc)
{
    /* name the option the user wrote */
    const char *opt = !for_stdin && c->recv_records != c->records ? "--recv-records"
                    : for_stdin && c->send_records != c->records ? "--send-records" : "--records";
    aeh_error e;
    aeh_codec *codec = NULL;
    bool self_delimiting = is_json(wire) || is_cbor(wire);
    if (!strcmp(fmt, "json"))
        codec = is_json(wire) ? aeh_codec_parse(wire_spec, &e) : aeh_codec_json_strings(&e);
    else if (!strcmp(fmt, "raw") && for_stdin && self_delimiting)
        /* a JSON or CBOR sequence file: split by the wire's own rules, not
         * one item per read */
        codec = aeh_codec_parse(wire_spec, &e);
    else if (!strcmp(fmt, "raw"))
        codec = aeh_codec_raw();
    else if (!strcmp(fmt, "lines"))
        /* stdin lines may end in "\r\n" (a file from Windows, printf
         * 'PING\r\n'): the \r is not part of the record, or a line framing
         * would refuse it and -C would send "\r\r\n"; stdout keeps every
         * byte of a frame */
        codec = for_stdin ? aeh_codec_line(NULL, 0, "\n", 1, &e)
                          : aeh_codec_line("\n", 1, "\n", 1, &e);
    else if (!strcmp(fmt, "nul"))
        codec = aeh_codec_line("", 1, "", 1, &e);
    else if (!strcmp(fmt, "netstring"))
        codec = aeh_codec_netstring(&e);
    else if (!strcmp(fmt, "hex"))
        codec = aeh_codec_hexlines(&e);
    else if (!strcmp(fmt, "base64"))
        codec = aeh_codec_base64lines(&e);
    else {
        cli_say("usage: %s: unknown format '%s' (expected lines, nul, netstring, hex, base64, json, raw)",
                opt, fmt);
        *rc = EXIT_USAGE;
        return NULL;
    }
    if (!codec) {
        cli_say("usage: %s: %s", opt, e.msg);
        *rc = EXIT_USAGE;
        return NULL;
    }
    if (strcmp(fmt, "raw") && !c->strict_lines)
        codec->flags |= AEH_CODEC_PARTIAL_AT_EOF;
    if (strcmp(fmt, "raw") || (for_stdin && self_delimiting))
        codec->max_frame = c->max_frame_set ? c->max_frame : DEFAULT_MAX_FRAME;
    return codec;
}

static int build_codecs(session *s)
{
    const cli_cfg *c = s->cfg;
    int rc = 0;
    if (c->crlf && !is_raw(c->send_frame) && !is_line(c->send_frame)) {
        cli_say("usage: -C applies to the raw and line framings, not to '%s'", c->send_frame);
        return EXIT_USAGE;
    }
    /* name the option the user wrote */
    const char *recv_opt = c->frame && c->recv_frame == c->frame ? "--frame" : "--recv-frame";
    const char *send_opt = c->frame && c->send_frame == c->frame ? "--frame" : "--send-frame";
    if (!(s->recv_codec = wire_codec(recv_opt, c->recv_frame, false, c, &rc)) ||
        !(s->send_codec = wire_codec(send_opt, c->send_frame, true, c, &rc)))
        return rc;
    /* JSON texts may span lines: by default they travel as JSON Lines;
     * CBOR items are binary: as hex lines */
    const char *in_fmt = c->send_records ? c->send_records : is_raw(c->send_frame) ? "raw"
                       : is_json(s->send_codec) ? "json" : is_cbor(s->send_codec) ? "hex" : "lines";
    const char *out_fmt = c->recv_records ? c->recv_records : is_raw(c->recv_frame) ? "raw"
                        : is_json(s->recv_codec) ? "json" : is_cbor(s->recv_codec) ? "hex" : "lines";
    if (!(s->in_codec = records_codec(in_fmt, true, s->send_codec, c->send_frame, c, &rc)) ||
        !(s->out_codec = records_codec(out_fmt, false, s->recv_codec, c->recv_frame, c, &rc)))
        return rc;
    /* the same json rules on both sides: what one decoder passed, the
     * other's encoder need not check again */
    if (is_json(s->recv_codec) && is_json(s->out_codec))
        s->out_codec->flags |= AEH_CODEC_TRUSTED;
    if ((is_json(s->in_codec) && is_json(s->send_codec)) ||
        (is_cbor(s->in_codec) && is_cbor(s->send_codec)))
        s->send_codec->flags |= AEH_CODEC_TRUSTED;
    if (c->until) {
        aeh_error e;
        s->until = aeh_match_new(c->until, 0, &e);
        if (!s->until) {
            cli_say("usage: --until: %s", e.msg);
            return EXIT_USAGE;
        }
    }
    return 0;
}

static void free_codecs(session *s)
{
    aeh_codec_free(s->recv_codec);
    aeh_codec_free(s->send_codec);
    aeh_codec_free(s->in_codec);
    aeh_codec_free(s->out_codec);
    aeh_match_free(s->until);
}

/* ------------------------------------------------------------ timers, signals */

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    session *s = w->data;
    /* with --retry-until the attempt may be cut by what is left of it */
    const char *what = s->cfg->deadline > 0 && s->deadline >= s->cfg->deadline ? "--deadline" : "--retry-until";
    double secs = what[2] == 'd' ? s->cfg->deadline : s->cfg->retry_until;
    if (s->peer[0])
        cli_say("timeout: %s of %g s reached (connected to %s)", what, secs, s->peer);
    else
        cli_say("timeout: %s of %g s reached", what, secs);
    if (s->exit_code < 0)
        s->exit_code = EXIT_TEMPFAIL;
    ev_break(loop, EVBREAK_ALL);
}

static void quit_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop; (void)revents;
    session *s = w->data;
    if (relay_wire_unsent(s)) {
        /* -q bounds the wait: stdin the peer has not taken is not delivered */
        cli_say("timeout: -q %g s after end of stdin: %s has not taken all of stdin",
                s->cfg->quit_after_eof, s->peer);
        relay_finish(s, EXIT_TEMPFAIL, false);
        return;
    }
    if (s->cfg->verbose)
        cli_say("-q %g s after end of stdin: closing", s->cfg->quit_after_eof);
    relay_finish(s, EXIT_OK, false);
}

/* The connection is ready for its first bytes: dialog steps, or the relay. */
static void wire_ready(session *s)
{
    if (s->dialog)
        dialog_begin(s);
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
    cli_say("timeout: TLS handshake with %s not done within %g s", s->peer[0] ? s->peer : "the peer",
            c->connect_timeout > 0 ? c->connect_timeout : c->wait);
    relay_finish(s, EXIT_TEMPFAIL, false);
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
            cli_say("usage: %s (see aecat --help)", e.msg);
            return EXIT_USAGE;
        }
        cli_say("tls: %s", e.msg);
        return cli_exit_for_file(e.code);
    }
    return -1;
}

static void grace_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w; (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)revents;
    session *s = w->data;
    if (s->cfg->verbose)
        cli_say("%s: flushing and exiting", w->signum == SIGINT ? "interrupted"
                                              : w->signum == SIGHUP ? "hung up" : "terminated");
    if (s->exit_code < 0)
        s->exit_code = 128 + w->signum;
    if (!s->out && !s->splice) {
        ev_break(loop, EVBREAK_ALL);
        return;
    }
    /* flush what stdout can take now; give up after a moment */
    ev_timer_set(&s->grace_w, 1.0, 0);
    ev_timer_start(loop, &s->grace_w);
    relay_finish(s, s->exit_code, false);
}

/* ------------------------------------------------------------ connecting */

static void connected(session *s, int fd, const struct sockaddr *peer, socklen_t len)
{
    aeh_addr_str(peer, len, s->peer, sizeof s->peer);
    if (s->cfg->verbose)
        cli_say("connected to %s", s->peer);
    int rc = relay_start(s, fd);
    if (rc >= 0) {
        s->exit_code = rc;
        ev_break(s->loop, EVBREAK_ALL);
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
        cli_say("%s: %s", code == EXIT_NOHOST ? "resolve" : code == EXIT_TEMPFAIL ? "timeout" : "connect", e->msg);
        s->exit_code = code;
        ev_break(s->loop, EVBREAK_ALL);
        return;
    }
    connected(s, fd, peer, len);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    session *s = w->data;
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    aeh_error e;
    int fd = aeh_accept(s->listen_fd, &peer, &len, &e);
    if (fd < 0) {
        if (e.code == EAGAIN || e.code == EINTR || e.code == ECONNABORTED)
            return;
        cli_say("accept: %s", e.msg);
        s->exit_code = EXIT_IOERR;
        ev_break(loop, EVBREAK_ALL);
        return;
    }
    ev_io_stop(loop, w);
    close(s->listen_fd);
    s->listen_fd = -1;
    if (s->cfg->verbose) {
        char buf[200];
        cli_say("accepted connection from %s", aeh_addr_str((struct sockaddr *)&peer, len, buf, sizeof buf));
    }
    if (log_on()) {
        aeh_buf b = { 0 };
        log_begin(&b, "accept");
        log_addr(&b, (struct sockaddr *)&peer, len);
        log_end(&b);
    }
    tls_timer_start(s);
    connected(s, fd, (struct sockaddr *)&peer, len);
}

static int announce(session *s)
{
    const cli_cfg *c = s->cfg;
    char line[600];
    if (c->unix_socket) {
        snprintf(line, sizeof line, "listening unix %s\n", c->path);
    } else {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        char host[100], port[16];
        if (getsockname(s->listen_fd, (struct sockaddr *)&ss, &len) < 0 ||
            aeh_addr_numeric((struct sockaddr *)&ss, len, host, sizeof host, port, sizeof port) < 0) {
            cli_say("listen: getsockname: %s", strerror(errno));
            return EXIT_IOERR;
        }
        snprintf(line, sizeof line, "listening %s %s\n", host, port);
    }
    if (s->tls_ctx && aeh_tls_ctx_pin(s->tls_ctx) && !c->cert)   /* the client's --pin */
        snprintf(strchr(line, '\n'), sizeof line - strlen(line), " %s\n", aeh_tls_ctx_pin(s->tls_ctx));
    if (c->verbose)
        cli_say("%.*s", (int)strlen(line) - 1, line);
    if (log_on()) {
        aeh_buf b = { 0 };
        log_begin(&b, "listen");
        log_str(&b, "line", line, strlen(line) - 1);
        log_end(&b);
    }
    if (c->ready_fd >= 0) {
        size_t n = strlen(line);
        if (write(c->ready_fd, line, n) != (ssize_t)n) {
            cli_say("--ready: cannot write to fd %d: %s", c->ready_fd, strerror(errno));
            return EXIT_IOERR;
        }
    }
    return -1;
}

static int start(session *s)
{
    const cli_cfg *c = s->cfg;
    aeh_error e;
    if (c->listen) {
        s->listen_fd = c->unix_socket ? aeh_listen_unix(c->path, 1, &e)
                                      : aeh_listen(c->host, c->port, c->family, 1, &e);
        if (s->listen_fd < 0) {
            cli_say("listen: %s", e.msg);
            return e.code == EINVAL ? EXIT_USAGE
                 : cli_exit_for(e.code) == EXIT_NOHOST ? EXIT_NOHOST : EXIT_IOERR;
        }
        struct stat st;
        s->bound_path = c->unix_socket && c->path[0] != '@' && lstat(c->path, &st) == 0;
        if (s->bound_path) {
            s->bound_dev = st.st_dev;
            s->bound_ino = st.st_ino;
        }
        int rc = announce(s);
        if (rc >= 0)
            return rc;
        ev_io_init(&s->listen_w, accept_cb, s->listen_fd, EV_READ);
        s->listen_w.data = s;
        ev_io_start(s->loop, &s->listen_w);
        return -1;
    }
    tls_timer_start(s);
    if (c->unix_socket) {
        int fd = aeh_connect_unix(c->path, &e);
        if (fd < 0) {
            cli_say("connect: %s", e.msg);
            return e.code == ENAMETOOLONG ? EXIT_USAGE : cli_exit_for(e.code);
        }
        snprintf(s->peer, sizeof s->peer, "unix socket %s", c->path);
        if (c->verbose)
            cli_say("connected to %s", s->peer);
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
            cli_say("usage: %s", e.msg);
            return EXIT_USAGE;
        }
        cli_say("connect: %s", e.msg);
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
    cli_say("stats: sent %llu bytes %llu frames, received %llu bytes %llu frames, in %.3f s (%.1f MB/s)",
            (unsigned long long)sent, (unsigned long long)s->frames_sent,
            (unsigned long long)recvd, (unsigned long long)s->frames_recv, t,
            t > 0 ? (double)(sent + recvd) / t / 1e6 : 0.0);
}

/* One attempt: connect (or listen), TLS, steps, relay.  deadline: seconds
 * for the whole attempt (0: none). */
static int run_once(const cli_cfg *cfg, double deadline, bool *relayed)
{
    session s = { .cfg = cfg, .exit_code = -1, .listen_fd = -1, .deadline = deadline,
                  .on_wire_ready = wire_ready };
    int rc = build_codecs(&s);
    if (rc) {
        free_codecs(&s);
        return rc;
    }
    s.loop = ev_default_loop(EVFLAG_NOENV);
    if (!s.loop) {
        cli_say("cannot initialise the event loop");
        free_codecs(&s);
        return EXIT_IOERR;
    }
    s.t_start = ev_time();
    int saved_fl[2] = { fcntl(0, F_GETFL), fcntl(1, F_GETFL) };

    ev_timer_init(&s.deadline_w, deadline_cb, deadline, 0);
    ev_timer_init(&s.quit_w, quit_cb, 0, 0);
    ev_timer_init(&s.grace_w, grace_cb, 0, 0);
    ev_timer_init(&s.tls_w, tls_timeout_cb, 0, 0);
    s.tls_w.data = &s;
    ev_signal_init(&s.sigint_w, signal_cb, SIGINT);
    ev_signal_init(&s.sigterm_w, signal_cb, SIGTERM);
    ev_signal_init(&s.sighup_w, signal_cb, SIGHUP);
    s.deadline_w.data = s.quit_w.data = s.grace_w.data = &s;
    s.sigint_w.data = s.sigterm_w.data = s.sighup_w.data = &s;
    if (deadline > 0)
        ev_timer_start(s.loop, &s.deadline_w);
    ev_signal_start(s.loop, &s.sigint_w);
    ev_signal_start(s.loop, &s.sigterm_w);
    ev_signal_start(s.loop, &s.sighup_w);

    rc = tls_setup(&s);
    if (rc < 0)
        rc = dialog_prepare(&s);
    /* told once the whole command line holds up */
    if (rc < 0 && s.tls_ctx && cfg->listen && !cfg->cert)
        cli_say("ephemeral certificate %s", aeh_tls_ctx_pin(s.tls_ctx));
    if (rc < 0)
        rc = start(&s);
    if (rc < 0)
        ev_run(s.loop, 0);
    else
        s.exit_code = rc;

    relay_count_bytes(&s);
    if (s.connector)
        aeh_connect_cancel(s.connector);
    relay_close(&s);
    dialog_free(&s);
    if (cfg->stats)
        print_stats(&s, s.bytes_sent, s.bytes_recv);
    if (s.listen_fd >= 0)
        close(s.listen_fd);
    if (s.bound_path)
        unlink_own_socket(&s);
    for (int fd = 0; fd < 2; fd++)
        if (saved_fl[fd] >= 0)
            fcntl(fd, F_SETFL, saved_fl[fd]);
    free_codecs(&s);
    aeh_tls_ctx_free(s.tls_ctx);
    ev_loop_destroy(s.loop);
    if (relayed)
        *relayed = s.relay_started;
    int code = s.exit_code < 0 ? EXIT_OK : s.exit_code;
    if (s.peer[0] || s.relay_started)
        log_close_event(&s, code);
    return code;
}

/* Failures that another attempt may mend: not a bad command line or file,
 * not the user stopping us. */
static bool retryable(int code)
{
    return code != EXIT_OK && code != EXIT_USAGE && code != EXIT_CONFIG && code != EXIT_SIGPIPE &&
           code != 128 + SIGINT && code != 128 + SIGTERM && code != 128 + SIGHUP;
}

/* --retry-until: the whole connect + TLS + dialog again, 100 ms doubling
 * to 2 s apart, until it works or the time is up.  The messages of a
 * failed attempt are held: shown with -v, else only the last attempt's. */
static int run_attempts(const cli_cfg *cfg)
{
    if (cfg->retry_until <= 0)
        return run_once(cfg, cfg->deadline, NULL);
    double t0 = ev_time(), backoff = 0.1;
    for (int attempt = 1;; attempt++) {
        double left = cfg->retry_until - (ev_time() - t0);
        double deadline = cfg->deadline > 0 && cfg->deadline < left ? cfg->deadline : left;
        bool relayed = false;
        log_attempt(attempt);
        cli_hold(true);
        int rc = run_once(cfg, deadline > 0.001 ? deadline : 0.001, &relayed);
        double used = ev_time() - t0;
        /* the pause, shortened to what is left, and no attempt without
         * the time to connect at all */
        double pause = cfg->retry_until - used - 0.05 < backoff ? cfg->retry_until - used - 0.05 : backoff;
        if (!retryable(rc) || relayed || pause <= 0) {
            /* this attempt's lines as they were, the failure's one line
             * saying how long it was tried */
            char tried[100] = "";
            if (rc && retryable(rc) && !relayed)
                snprintf(tried, sizeof tried, " (--retry-until: %d attempt%s in %.1f s)", attempt,
                         attempt == 1 ? "" : "s", used);
            cli_hold_end(tried);
            return rc;
        }
        cli_hold_drop(cfg->verbose ? "attempt " : NULL, attempt);
        cli_hold(false);
        if (cfg->verbose)
            cli_say("attempt %d failed (exit %d); retrying in %.2f s", attempt, rc, pause);
        struct timespec ts = { (time_t)pause, (long)((pause - (time_t)pause) * 1e9) };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
        backoff = backoff * 2 < 2 ? backoff * 2 : 2;
    }
}

static int cli_run(const cli_cfg *cfg)
{
    int rc = log_open(cfg);
    if (rc < 0) {
        rc = run_attempts(cfg);
        log_result(rc);
        /* the data went through, the record of it did not */
        if (rc == EXIT_OK && log_failed())
            rc = EXIT_IOERR;
    }
    log_close();
    return rc;
}

/* libev's fatal system errors (no descriptor left for its signal pipe, a
 * failing epoll): one line and 74 instead of its abort(). */
static void loop_syserr(const char *msg)
{
    int e = errno;
    static const char libev_tag[] = "(libev) ";
    if (!strncmp(msg, libev_tag, sizeof libev_tag - 1))
        msg += sizeof libev_tag - 1;
    cli_say("event loop: %s: %s", msg, strerror(e));
    exit(EXIT_IOERR);
}

/* A closed fd 0, 1 or 2 would be taken by the next open (the event loop's
 * epoll fd would become "stdin").  Hold them with /dev/null: a closed
 * stdin reads as empty; a closed stdout is refused before any work. */
static int hold_std_fds(bool *stdout_closed)
{
    *stdout_closed = fcntl(1, F_GETFD) < 0;
    for (int fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) >= 0)
            continue;
        int n = open("/dev/null", fd ? O_WRONLY : O_RDONLY);
        if (n != fd)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    bool stdout_closed;
    if (hold_std_fds(&stdout_closed) < 0)
        return EXIT_IOERR;
    cli_cfg cfg;
    int rc = cli_parse(argc, argv, &cfg);
    if (rc < 0 && stdout_closed) {
        cli_say("stdout: not open");
        rc = EXIT_IOERR;
    }
    if (rc < 0) {
        signal(SIGPIPE, SIG_IGN);
        ev_set_syserr_cb(loop_syserr);
        rc = cli_run(&cfg);
    }
    cli_cfg_free(&cfg);           /* also after a usage error: a --pin or --send may precede it */
    return rc;
}
