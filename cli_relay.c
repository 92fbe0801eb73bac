/* The relay: stdin --records--> frames --send framing--> wire, and
 * wire --recv framing--> frames --records--> stdout.  Backpressure: a side
 * whose output queue is over HIGH_WATER stops reading until it drains. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "cli.h"

enum { HIGH_WATER = 256 * 1024, LOW_WATER = 64 * 1024 };

/* After the peer's EOF, how long stdin may stay silent before aecat stops
 * waiting for more of it (the peer may have closed only its write side). */
static const double DRAIN_IDLE = 0.5;

void relay_check_done(session *s)
{
    if (!s->finishing)
        return;
    if (s->out && aeh_wbuf_len(s->out))
        return;
    if (s->wait_net && s->net && aeh_wbuf_len(s->net))
        return;
    if (splice_pending(s, s->wait_net))
        return;
    ev_break(s->loop, EVBREAK_ALL);
}

void relay_finish(session *s, int code, bool wait_net)
{
    if (s->exit_code < 0)
        s->exit_code = code;
    if (s->finishing) {
        s->wait_net = s->wait_net && wait_net;
        relay_check_done(s);
        return;
    }
    s->finishing = true;
    s->wait_net = wait_net;
    ev_timer_stop(s->loop, &s->drain_w);
    ev_timer_stop(s->loop, &s->tls_w);
    /* a clean end under TLS says so with close_notify: closing without it
     * is what a truncation attack looks like to the peer */
    if (code == EXIT_OK && s->net && aeh_tls_active(s->net))
        aeh_push_shutdown(s->net);
    if (s->in)
        aeh_read_frames(s->in, NULL, NULL, NULL);
    if (s->net)
        aeh_read_frames(s->net, NULL, NULL, NULL);
    splice_finish(s);
    relay_check_done(s);
}

static uint64_t frame_start(const aeh *h)
{
    return aeh_bytes_read(h) - aeh_rbuf(h).n;
}

/* ------------------------------------------------------------ stdin side */

static void in_frame(aeh *h, aeh_span f, void *arg)
{
    session *s = arg;
    if (!s->net)
        return;
    s->frames_sent++;
    s->in_frame_at = frame_start(h);
    relay_stdin_active(s);
    if (s->cfg->verbose >= 2)
        cli_say("> frame %llu, %zu bytes", (unsigned long long)s->frames_sent, f.n);
    if (aeh_push_frame(s->net, s->send_codec, f.p, f.n) < 0)
        return;
    if (aeh_wbuf_len(s->net) > HIGH_WATER && !s->in_paused) {
        s->in_paused = true;
        aeh_stop_read(h);
    }
}

static void stdin_ended(session *s)
{
    const cli_cfg *c = s->cfg;
    if (c->verbose)
        cli_say("stdin: end of file%s", c->no_shutdown || !s->net ? "" : ", shutting down the write side");
    if (s->net && !c->no_shutdown)
        aeh_push_shutdown(s->net);
    if (c->quit_after_eof >= 0 && !s->finishing) {
        ev_timer_set(&s->quit_w, c->quit_after_eof, 0);
        ev_timer_start(s->loop, &s->quit_w);
    }
    relay_stdin_done(s);
}

static void in_eof(aeh *h)
{
    stdin_ended(aeh_user(h));
}

static void in_error(aeh *h, const aeh_error *e, bool fatal)
{
    session *s = aeh_user(h);
    if (fatal)
        s->in = NULL;
    if (e->op == AEH_OP_DECODE) {
        cli_say("stdin: malformed data at byte %llu: %s", (unsigned long long)e->offset, e->msg);
        relay_finish(s, EXIT_DATAERR, true);
    } else {
        cli_say("stdin: %s", e->msg);
        relay_finish(s, EXIT_IOERR, true);
    }
}

/* ------------------------------------------------------------ wire side */

static bool until_matches(session *s, aeh_span f)
{
    int rc = pcre2_match(s->until_re, f.p, f.n, 0, 0, s->until_md, NULL);
    return rc >= 0;
}

static void net_frame(aeh *h, aeh_span f, void *arg)
{
    session *s = arg;
    s->frames_recv++;
    s->net_frame_at = frame_start(h);
    if (s->cfg->verbose >= 2)
        cli_say("< frame %llu, %zu bytes", (unsigned long long)s->frames_recv, f.n);
    if (!s->out || aeh_push_frame(s->out, s->out_codec, f.p, f.n) < 0)
        return;
    if ((s->cfg->count && s->frames_recv >= s->cfg->count) ||
        (s->until_re && until_matches(s, f))) {
        if (s->cfg->verbose)
            cli_say("%s after %llu frames", s->cfg->count && s->frames_recv >= s->cfg->count
                    ? "--count reached" : "--until matched", (unsigned long long)s->frames_recv);
        /* the answer is in: do not wait for a peer that is not reading */
        relay_finish(s, EXIT_OK, false);
        return;
    }
    if (s->out && aeh_wbuf_len(s->out) > HIGH_WATER && !s->net_paused) {
        s->net_paused = true;
        aeh_stop_read(h);
    }
}

/* Not idle: stdin has data that waits for the wire to take it. */
static bool stdin_blocked(const session *s)
{
    if (s->splice)
        return splice_stdin_blocked(s);
    return s->in_paused || (s->net && aeh_wbuf_len(s->net) > 0);
}

/* Bytes taken from stdin so far, on either relay path. */
static uint64_t stdin_progress(const session *s)
{
    uint64_t up = 0, down = 0;
    if (s->splice)
        splice_progress(s, &up, &down);
    else if (s->in)
        up = aeh_bytes_read(s->in);
    return up;
}

static void drain_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    session *s = w->data;
    /* idle means nothing moved for DRAIN_IDLE, not "not blocked at this
     * instant": under load the splice pump can be between a read and a
     * write when the timer fires, and finishing then lost the rest of a
     * file on stdin */
    uint64_t moved = stdin_progress(s);
    if (stdin_blocked(s) || moved != s->drain_mark) {
        s->drain_mark = moved;
        ev_timer_again(loop, w);
        return;
    }
    if (s->cfg->verbose)
        cli_say("stdin idle for %g s after the peer closed: finishing", DRAIN_IDLE);
    relay_finish(s, EXIT_OK, true);
}

static bool stdin_has_data(void)
{
    struct pollfd p = { .fd = 0, .events = POLLIN };
    return poll(&p, 1, 0) == 1;
}

/* The peer's EOF says it will send no more, not that it stopped reading: a
 * listener whose stdin is empty half-closes at once and still wants ours.
 * So stdin goes on being sent while it has data ready; aecat finishes when
 * stdin ends or stays silent for DRAIN_IDLE.  It finishes at once at a
 * terminal, and when the peer talked and closed while stdin has given
 * nothing and has nothing ready (a greeting, a reply to nothing: the
 * usual end of a receiving run). */
void relay_peer_eof(session *s)
{
    if (s->cfg->verbose)
        cli_say("%s closed the connection", s->peer);
    s->peer_eof = true;
    uint64_t received, from_stdin;
    if (s->splice) {
        splice_progress(s, &from_stdin, &received);
    } else {
        received = s->net ? aeh_bytes_read(s->net) : 0;
        from_stdin = s->in ? aeh_bytes_read(s->in) : 0;
    }
    bool stdin_unused = from_stdin == 0 && !stdin_has_data();
    if (s->stdin_done || s->finishing || isatty(0) || (received && stdin_unused)) {
        relay_finish(s, EXIT_OK, true);
        return;
    }
    ev_timer_init(&s->drain_w, drain_cb, 0, DRAIN_IDLE);
    s->drain_w.data = s;
    s->drain_mark = stdin_progress(s);
    ev_timer_again(s->loop, &s->drain_w);
}

void relay_stdin_active(session *s)
{
    if (s->peer_eof && !s->finishing)
        ev_timer_again(s->loop, &s->drain_w);
}

void relay_stdin_done(session *s)
{
    s->stdin_done = true;
    if (s->peer_eof)
        relay_finish(s, EXIT_OK, true);
}

static void net_eof(aeh *h)
{
    session *s = aeh_user(h);
    s->peer_ragged_eof = aeh_tls_ragged_eof(h);
    if (s->cfg->verbose && s->peer_ragged_eof)
        cli_say("tls: %s closed TCP without close_notify%s", s->peer,
                s->cfg->tls_allow_truncation ? " (--tls-allow-truncation)"
                                             : " after ours: taken as its end");
    relay_peer_eof(s);
}

void relay_count_bytes(session *s)
{
    if (s->net) {
        s->bytes_sent = aeh_bytes_written(s->net);
        s->bytes_recv = aeh_bytes_read(s->net);
    }
}

static void net_error(aeh *h, const aeh_error *e, bool fatal)
{
    session *s = aeh_user(h);
    relay_count_bytes(s);
    if (fatal)
        s->net = NULL;
    if (s->finishing && s->exit_code != EXIT_OK) {
        relay_check_done(s);
        return;
    }
    int code = EXIT_IOERR;
    switch (e->op) {
    case AEH_OP_DECODE:
        cli_say("recv: malformed data from %s at byte %llu: %s", s->peer,
                (unsigned long long)e->offset, e->msg);
        code = EXIT_DATAERR;
        break;
    case AEH_OP_ENCODE:
        cli_say("send: cannot send frame %llu from stdin (record at byte %llu): %s",
                (unsigned long long)s->frames_sent, (unsigned long long)s->in_frame_at, e->msg);
        /* the frames before it are queued: deliver them */
        relay_finish(s, EXIT_DATAERR, true);
        return;
    case AEH_OP_WRITE:
        cli_say("send: %s: %s", s->peer, e->msg);
        break;
    case AEH_OP_TLS:
        cli_say("tls: %s: %s", s->peer, e->msg);
        code = EXIT_PROTOCOL;
        break;
    default:
        cli_say("recv: %s: %s", s->peer, e->msg);
        break;
    }
    if (s->exit_code == EXIT_OK)
        s->exit_code = -1;        /* finishing cleanly, but bytes were lost */
    relay_finish(s, code, false);
}

static void net_timeout(aeh *h, int which)
{
    session *s = aeh_user(h);
    const cli_cfg *c = s->cfg;
    if (which == AEH_RTIMEOUT)
        cli_say("timeout: nothing received from %s for %g s (--rtimeout)", s->peer, c->rtimeout);
    else if (which == AEH_WTIMEOUT)
        cli_say("timeout: could not send to %s for %g s (--wtimeout)", s->peer, c->wtimeout);
    else
        cli_say("timeout: no traffic with %s for %g s (-w)", s->peer, c->wait);
    relay_finish(s, EXIT_TEMPFAIL, false);
    if (s->net)
        aeh_set_timeout(s->net, which, 0);
}

static void net_drain(aeh *h)
{
    session *s = aeh_user(h);
    if (s->in_paused && s->in && aeh_wbuf_len(h) <= LOW_WATER) {
        s->in_paused = false;
        aeh_start_read(s->in);
    }
    relay_check_done(s);
}

/* The handshake is over: --tls-info, or the reason it failed (the handle
 * is gone after this callback then). */
static void net_starttls(aeh *h, bool ok, const char *msg)
{
    session *s = aeh_user(h);
    ev_timer_stop(s->loop, &s->tls_w);
    if (!ok) {
        relay_count_bytes(s);
        s->net = NULL;
        cli_say("tls: handshake with %s failed: %s", s->peer, msg);
        relay_finish(s, EXIT_PROTOCOL, false);
        return;
    }
    relay_tls_info(s, h);
}

/* --tls-info (or -v: version and cipher) once a handshake is done. */
void relay_tls_info(session *s, aeh *h)
{
    const cli_cfg *c = s->cfg;
    ev_timer_stop(s->loop, &s->tls_w);
    if (log_on())
        log_tls(h);
    if (!c->tls_info && !c->verbose)
        return;
    aeh_buf info = { 0 };
    if (aeh_tls_describe(h, &info) < 0 || !aeh_buf_len(&info)) {
        aeh_buf_free(&info);
        return;
    }
    const char *p = (const char *)aeh_buf_data(&info), *end = p + aeh_buf_len(&info);
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        int n = (int)((nl ? nl : end) - p);
        /* -v alone: the first two lines (version and cipher) */
        if (c->tls_info || !strncmp(p, "version ", 8) || !strncmp(p, "cipher ", 7))
            cli_say("tls: %.*s", n, p);
        p = nl ? nl + 1 : end;
    }
    aeh_buf_free(&info);
}

/* ------------------------------------------------------------ stdout side */

static void out_drain(aeh *h)
{
    session *s = aeh_user(h);
    if (s->net_paused && s->net) {
        s->net_paused = false;
        aeh_start_read(s->net);
    }
    relay_check_done(s);
}

static void out_error(aeh *h, const aeh_error *e, bool fatal)
{
    session *s = aeh_user(h);
    if (fatal)
        s->out = NULL;
    if (e->code == EPIPE) {
        /* The reader went away: end quietly, as `cat` killed by SIGPIPE would. */
        if (s->exit_code < 0)
            s->exit_code = EXIT_SIGPIPE;
        ev_break(s->loop, EVBREAK_ALL);
        return;
    }
    if (e->op == AEH_OP_ENCODE) {
        const char *fmt = s->cfg->records ? s->cfg->records : "lines";
        cli_say("stdout: cannot write frame %llu received from %s at byte %llu as --records %s: %s%s",
                (unsigned long long)s->frames_recv, s->peer, (unsigned long long)s->net_frame_at, fmt, e->msg,
                strcmp(fmt, "lines") && strcmp(fmt, "nul") ? ""
                : " (use --records netstring, hex or base64)");
        relay_finish(s, EXIT_DATAERR, false);
    } else {
        cli_say("stdout: %s", e->msg);
        relay_finish(s, EXIT_IOERR, false);
    }
    relay_check_done(s);
}

/* ------------------------------------------------------------ wiring */

static void stdin_start(session *s)
{
    if (s->in) {
        aeh_read_frames(s->in, s->in_codec, in_frame, s);
    } else {
        if (s->cfg->verbose)
            cli_say("stdin: not open (%s), treating it as empty", strerror(s->in_errno));
        stdin_ended(s);
    }
}

void relay_net_callbacks(session *s)
{
    aeh_on_eof(s->net, net_eof);
    aeh_on_error(s->net, net_error);
    aeh_on_drain(s->net, net_drain);
    aeh_on_timeout(s->net, net_timeout);
    aeh_on_starttls(s->net, s->tls_ctx ? net_starttls : NULL);
}

/* The relay proper: the wire's frames to stdout, stdin's to the wire. */
void relay_begin(session *s)
{
    s->relay_started = true;
    aeh_read_frames(s->net, s->recv_codec, net_frame, s);
    stdin_start(s);
}

void relay_stdin_ended(session *s)
{
    stdin_ended(s);
}

/* The connection is ready for its first bytes: dialog steps, or the relay. */
static void wire_ready(session *s)
{
    if (s->dialog)
        dialog_begin(s);
    else
        relay_begin(s);
}

/* --tls-auto: a ClientHello starts TLS; anything else is plaintext. */
static void tls_detected(aeh *h, aeh_span f, void *arg)
{
    session *s = arg;
    if (s->cfg->verbose)
        cli_say("--tls-auto: %s speaks %s", s->peer, f.n ? "TLS" : "plaintext");
    if (f.n) {
        if (aeh_starttls(h, AEH_TLS_ACCEPT, s->tls_ctx, NULL) < 0)
            return;
    } else {
        ev_timer_stop(s->loop, &s->tls_w);
    }
    wire_ready(s);
}

int relay_start(session *s, int fd)
{
    const cli_cfg *c = s->cfg;
    if (splice_eligible(s)) {
        s->relay_started = true;
        return splice_start(s, fd);
    }
    bool send_framed = strcmp(s->send_codec->name, "raw") != 0;
    aeh_opts o = {
        .loop = s->loop, .fd = fd, .user = s,
        .timeout = c->wait, .rtimeout = c->rtimeout, .wtimeout = c->wtimeout,
        .autocork = send_framed, .low_water_mark = LOW_WATER,
        .on_error = net_error, .on_eof = net_eof, .on_drain = net_drain, .on_timeout = net_timeout,
        .tls = c->tls ? (c->listen ? AEH_TLS_ACCEPT : AEH_TLS_CONNECT) : 0, .tls_ctx = s->tls_ctx,
        .peername = c->servername ? c->servername : c->host,
        .on_starttls = s->tls_ctx ? net_starttls : NULL,
    };
    s->net = aeh_new(&o);
    if (!s->net) {
        cli_say("connection: %s", strerror(errno));
        close(fd);
        return EXIT_IOERR;
    }

    aeh_opts oo = {
        .loop = s->loop, .fd = 1, .user = s, .no_close = true, .low_water_mark = LOW_WATER,
        /* frames to stdout, or raw records of a framed wire (one write(2)
         * per small frame was a fifth of the speed): written per loop turn */
        .autocork = strcmp(s->out_codec->name, "raw") != 0 || strcmp(s->recv_codec->name, "raw") != 0,
        .on_error = out_error, .on_drain = out_drain,
    };
    s->out = aeh_new(&oo);
    if (!s->out) {
        cli_say("stdout: %s", strerror(errno));
        return EXIT_IOERR;
    }

    aeh_opts io = {
        .loop = s->loop, .fd = 0, .user = s, .no_close = true, .max_read_size = 256 * 1024,
        .on_error = in_error, .on_eof = in_eof,
    };
    s->in = aeh_new(&io);
    s->in_errno = s->in ? 0 : errno;
    if (c->tls_auto)              /* stdin waits: the client's first bytes decide */
        aeh_push_read(s->net, aeh_codec_tls_detect(), tls_detected, s);
    else
        wire_ready(s);
    return -1;
}

void relay_close(session *s)
{
    splice_close(s);
    aeh_destroy(s->in);
    aeh_destroy(s->out);
    aeh_destroy(s->net);
    s->in = s->out = s->net = NULL;
}
