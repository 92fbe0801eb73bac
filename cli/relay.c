/* SPDX-License-Identifier: MIT */
/* The relay: stdin --records--> frames --send framing--> wire, and
 * wire --recv framing--> frames --records--> stdout.  Backpressure: a side
 * whose output queue is over HIGH_WATER stops reading until it drains. */
#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "relay.h"
#include "splice.h"
#include "child.h"
#include "end.h"
#include "log.h"
#include "hexdump.h"

enum { HIGH_WATER = RELAY_HIGH_WATER, LOW_WATER = RELAY_LOW_WATER, STDOUT_PIPE_SIZE = 1024 * 1024 };

/* A pipe on stdout takes 64 KiB by default: a turn's output (up to
 * HIGH_WATER and more) then needs four write(2)s and as many wakeups, a
 * tenth of the time of a stream of small frames.  Linux lets any process
 * make it 1 MiB (pipe-max-size); failing that, it stays as it is. */
static void widen_stdout_pipe(const session *s)
{
    if (splice_is_pipe(s->out_fd) && fcntl(s->out_fd, F_GETPIPE_SZ) < STDOUT_PIPE_SIZE)
        (void)fcntl(s->out_fd, F_SETPIPE_SZ, STDOUT_PIPE_SIZE);
}

/* A line codec's frame that ends where the stream ended: the last line
 * had no end marker (a marker is never empty, so a terminated line is
 * followed by one in the read buffer). */
static bool unterminated_line(const aeh *h, const aeh_codec *c, aeh_span f)
{
    aeh_span rest = aeh_rbuf(h);
    return c->kind == AEH_CODEC_KIND_LINE && aeh_eof_seen(h) && f.p + f.n == rest.p + rest.n;
}

/* -k without -e/-c: the connection's stdin and stdout are the listener's
 * (its hooks route the frames); with them, and alone, its own. */
static bool shares_stdio(const session *s)
{
    return s->hooks && s->hooks->frames;
}

/* ------------------------------------------------------------ stdin side */

/* A batch of frames pushed in one call: an encoder's refusal, raised
 * inside it, is reported once the call has said which frame it was. */
long relay_push_batch(session *s, aeh *to, const aeh_codec *c, const aeh *from,
                      const aeh_span *f, size_t n, aeh_error *why)
{
    s->batch_refusal = why;
    long queued = aeh_push_batch(to, c, from, f, n);
    s->batch_refusal = NULL;
    return queued;
}

/* An encoder's refusal during push_batch: kept for the caller to report. */
static bool refusal_held(session *s, const aeh_error *e)
{
    if (e->op != AEH_OP_ENCODE || !s->batch_refusal)
        return false;
    *s->batch_refusal = *e;
    return true;
}

void relay_send_refused(session *s, const aeh_error *e)
{
    cli_say_in(s->label, "send: cannot send frame %llu from stdin (record at byte %llu): %s",
            (unsigned long long)s->frames_sent, (unsigned long long)s->in_frame_at, e->msg);
    /* the frames before it are queued: deliver them */
    end_finish(s, EXIT_DATAERR, true);
}

/* -v with --http-lenient: which messages had both lengths, so that
 * Transfer-Encoding framed them; first is the number of f[0] minus 1. */
static void say_http_lenient(const session *s, const char *dir, const aeh_codec *wire,
                             const aeh_span *f, size_t n, uint64_t first)
{
    if (!s->cfg->verbose || !s->cfg->http_lenient || wire->kind != AEH_CODEC_KIND_HTTP)
        return;
    for (size_t i = 0; i < n; i++) {
        aeh_http_info info;
        aeh_error e;
        if (aeh_http_parse_head(f[i].p, f[i].n, AEH_HTTP_LENIENT, &info, &e) == 1 && info.te_over_cl)
            cli_say_in(s->label, "%s: message %llu has Content-Length and Transfer-Encoding: "
                       "framed by Transfer-Encoding (--http-lenient)", dir,
                       (unsigned long long)(first + i + 1));
    }
}

static size_t in_frames(aeh *h, const aeh_span *f, size_t n, void *arg)
{
    session *s = arg;
    if (!s->net)
        return n;
    end_stdin_active(s);
    if (s->cfg->verbose >= 2)
        for (size_t i = 0; i < n; i++)
            cli_say_in(s->label, "> frame %llu, %zu bytes", (unsigned long long)(s->frames_sent + i + 1), f[i].n);
    say_http_lenient(s, "send", s->send_codec, f, n, s->frames_sent);
    if (s->cfg->verbose && unterminated_line(h, s->in_codec, f[n - 1]))
        cli_say_in(s->label, "%s: the last line (%zu bytes) has no end marker: sent as a frame", s->in_name, f[n - 1].n);
    aeh_error why;
    long queued = relay_push_batch(s, s->net, s->send_codec, h, f, n, &why);
    if (s->cfg->hexdump && s->send_codec->kind != AEH_CODEC_KIND_RAW)
        for (long i = 0; i < queued; i++)
            hexdump_frame(AEH_BYTES_SENT, s->frames_sent + (uint64_t)i + 1, f[i].n);
    if (queued < 0) {             /* the wire failed: the run is over */
        s->frames_sent += n;
        return n;
    }
    s->frames_sent += (uint64_t)queued;
    if ((size_t)queued < n) {
        s->frames_sent++;
        s->in_frame_at = aeh_batch_offset(h, (size_t)queued);
        relay_send_refused(s, &why);
        return (size_t)queued + 1;
    }
    if (s->net && aeh_wbuf_len(s->net) > HIGH_WATER && !s->in_paused) {
        s->in_paused = true;
        aeh_stop_read(h);
    }
    return n;
}

static void in_eof(aeh *h)
{
    end_stdin_ended(aeh_user(h));
}

static void in_error(aeh *h, const aeh_error *e, bool fatal)
{
    session *s = aeh_user(h);
    if (fatal)
        s->in = NULL;
    if (e->op == AEH_OP_DECODE) {
        cli_say_in(s->label, "%s: malformed data at byte %llu: %s", s->in_name, (unsigned long long)e->offset, e->msg);
        end_finish(s, EXIT_DATAERR, true);
    } else {
        cli_say_in(s->label, "%s: %s", s->in_name, e->msg);
        end_finish(s, EXIT_IOERR, true);
    }
}

/* ------------------------------------------------------------ wire side */

/* A frame on which the pattern blew a match limit is not a match: the
 * data's fault, as a regex framing reports it; -v says so. */
static bool until_matches(session *s, aeh_span f, uint64_t number)
{
    aeh_error e;
    int rc = aeh_match_test(s->until, f.p, f.n, &e);
    if (rc < 0 && s->cfg->verbose)
        cli_say_in(s->label, "--until: frame %llu: %s", (unsigned long long)number, e.msg);
    return rc > 0;
}

/* How many of the batch's n frames the run still wants: fewer when
 * --count is reached or --until matches within it (*last: the answer is in). */
size_t relay_frames_wanted(session *s, const aeh_span *f, size_t n, bool *last)
{
    const cli_cfg *c = s->cfg;
    if (c->count && c->count - s->frames_recv <= n) {
        n = (size_t)(c->count - s->frames_recv);
        *last = true;
    }
    for (size_t i = 0; s->until && i < n; i++)
        if (until_matches(s, f[i], s->frames_recv + i + 1)) {
            *last = true;
            return i + 1;
        }
    return n;
}

static size_t net_frames(aeh *h, const aeh_span *f, size_t n, void *arg)
{
    session *s = arg;
    const cli_cfg *c = s->cfg;
    if (c->verbose >= 2)
        for (size_t i = 0; i < n; i++)
            cli_say_in(s->label, "< frame %llu, %zu bytes", (unsigned long long)(s->frames_recv + i + 1), f[i].n);
    if (c->hexdump && s->recv_codec->kind != AEH_CODEC_KIND_RAW)
        for (size_t i = 0; i < n; i++)
            hexdump_frame(AEH_BYTES_RECV, s->frames_recv + i + 1, f[i].n);
    say_http_lenient(s, "recv", s->recv_codec, f, n, s->frames_recv);
    if (c->verbose && unterminated_line(h, s->recv_codec, f[n - 1]))
        cli_say_in(s->label, "recv: the last line from %s (%zu bytes) has no end marker: delivered as a frame",
                s->peer, f[n - 1].n);
    if (!s->out) {
        s->frames_recv += n;
        return n;
    }
    bool last = false;
    size_t want = relay_frames_wanted(s, f, n, &last);
    aeh_error why;
    long queued = relay_push_batch(s, s->out, s->out_codec, h, f, want, &why);
    if (queued < 0) {             /* stdout failed: the run is over */
        s->frames_recv += n;
        return n;
    }
    s->frames_recv += (uint64_t)queued;
    if ((size_t)queued < want) {
        s->frames_recv++;
        s->net_frame_at = aeh_batch_offset(h, (size_t)queued);
        relay_out_refused(s, &why);
        end_check_done(s);
        return (size_t)queued + 1;
    }
    if (last) {
        if (c->verbose)
            cli_say_in(s->label, "%s after %llu frames", c->count && s->frames_recv >= c->count
                    ? "--count reached" : "--until matched", (unsigned long long)s->frames_recv);
        /* the answer is in: do not wait for a peer that is not reading */
        end_finish(s, EXIT_OK, false);
        return want;
    }
    if (s->out && aeh_wbuf_len(s->out) > HIGH_WATER && !s->net_paused) {
        s->net_paused = true;
        aeh_stop_read(h);
    }
    return n;
}

/* The wire's frames may reach `out` as runs of their bytes, undecoded
 * (aeh_read_runs): nothing asks for each frame by itself (--count,
 * --until, -vv, --hexdump's frame lines) and out's framing writes them
 * back as they came. */
bool relay_runs_ok(const session *s, const aeh_codec *out)
{
    const cli_cfg *c = s->cfg;
    return !c->count && !c->until && c->verbose < 2 && !c->hexdump &&
           aeh_codec_verbatim(out, s->recv_codec);
}

/* A run of the wire's frames, as net_frames would pass them, in one write. */
static void net_run(aeh *h, const uint8_t *p, size_t len, uint64_t frames, void *arg)
{
    session *s = arg;
    s->frames_recv += frames;
    if (!s->out || aeh_push_write(s->out, p, len) < 0)
        return;                   /* stdout failed: its error ends the run */
    if (s->out && aeh_wbuf_len(s->out) > HIGH_WATER && !s->net_paused) {
        s->net_paused = true;
        aeh_stop_read(h);
    }
}

/* -e/-c: the peer's EOF becomes the program's, once what came before it
 * is written to the program. */
static void close_child_stdin(session *s)
{
    if (!s->child_pid || !s->peer_eof || !s->out || aeh_wbuf_len(s->out))
        return;
    aeh_destroy(s->out);
    s->out = NULL;
    close(s->out_fd);
    s->out_fd = -1;
}

static void net_eof(aeh *h)
{
    session *s = aeh_user(h);
    s->peer_ragged_eof = aeh_tls_ragged_eof(h);
    if (s->cfg->verbose && s->peer_ragged_eof)
        cli_say_in(s->label, "tls: %s closed TCP without close_notify%s", s->peer,
                s->cfg->tls_allow_truncation ? " (--tls-allow-truncation)"
                                             : " after ours: taken as its end");
    end_peer_eof(s);
    close_child_stdin(s);
}

void relay_drain_wire(session *s, double secs)
{
    if (!s->net)
        return;
    /* closing a socket with unread bytes sends a reset instead of a FIN:
     * the peer would see its answer to our close (TLS 1.3 session tickets,
     * its close_notify, a greeting) refused */
    int fd = aeh_fd(s->net);
    double end = ev_time() + secs;
    char sink[16384];
    for (;;) {
        ssize_t n = recv(fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n > 0 && s->cfg->hexdump && (s->cfg->hexdump_wire || !aeh_tls_active(s->net)))
            hexdump_bytes(s->net, AEH_BYTES_RECV, (const uint8_t *)sink, (size_t)n, NULL);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return;
        double left = end - ev_time();
        if (left <= 0)
            return;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (n < 0 && poll(&p, 1, (int)(left * 1000) + 1) < 0 && errno != EINTR)
            return;
    }
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
        end_check_done(s);
        return;
    }
    int code = EXIT_IOERR;
    switch (e->op) {
    case AEH_OP_DECODE:
        cli_say_in(s->label, "recv: malformed data from %s at byte %llu: %s", s->peer,
                (unsigned long long)e->offset, e->msg);
        code = EXIT_DATAERR;
        break;
    case AEH_OP_ENCODE:
        if (!refusal_held(s, e))
            relay_send_refused(s, e);
        return;
    case AEH_OP_WRITE:
        if ((e->code == EPIPE || e->code == ECONNRESET) && !end_wire_closed(s, h, e->code)) {
            end_finish(s, EXIT_OK, false);
            return;
        }
        if (e->code != EPIPE && e->code != ECONNRESET)
            cli_say_in(s->label, "send: %s: %s", s->peer, e->msg);
        break;
    case AEH_OP_TLS:
        cli_say_in(s->label, "tls: %s: %s", s->peer, e->msg);
        code = EXIT_PROTOCOL;
        break;
    default:
        cli_say_in(s->label, "recv: %s: %s", s->peer, e->msg);
        break;
    }
    if (s->exit_code == EXIT_OK)
        s->exit_code = -1;        /* finishing cleanly, but bytes were lost */
    end_finish(s, code, false);
}

static void net_timeout(aeh *h, int which)
{
    session *s = aeh_user(h);
    const cli_cfg *c = s->cfg;
    if (which == AEH_RTIMEOUT)
        cli_say_in(s->label, "timeout: nothing received from %s for %g s (--rtimeout)", s->peer, c->rtimeout);
    else if (which == AEH_WTIMEOUT)
        cli_say_in(s->label, "timeout: could not send to %s for %g s (--wtimeout)", s->peer, c->wtimeout);
    else
        cli_say_in(s->label, "timeout: no traffic with %s for %g s (-w)", s->peer, c->wait);
    end_finish(s, EXIT_TEMPFAIL, false);
    if (s->net)
        aeh_set_timeout(s->net, which, 0);
}

static void net_drain(aeh *h)
{
    session *s = aeh_user(h);
    if (shares_stdio(s))
        s->hooks->drained(s);
    if (s->in_paused && s->in && aeh_wbuf_len(h) <= LOW_WATER) {
        s->in_paused = false;
        aeh_start_read(s->in);
    }
    end_check_done(s);
}

/* -e/-c: the program starts once the wire is ready for the relay: the
 * dialog done and the TLS handshake over (the environment tells how it
 * went).  Until then its pipes hold what comes.  false: the run ends. */
static bool child_launch(session *s)
{
    if (aeh_tls_active(s->net) && !s->tls_version[0]) {
        s->child_after_tls = true;
        return true;
    }
    s->child_after_tls = false;
    int rc = child_start(s, s->conn_id ? s->conn_id : 1, aeh_fd(s->net));
    if (rc < 0)
        return true;
    end_finish(s, rc, false);
    return false;
}

/* The handshake is over: --tls-info, or the reason it failed (the handle
 * is gone after this callback then). */
static void net_starttls(aeh *h, const aeh_error *err)
{
    session *s = aeh_user(h);
    ev_timer_stop(s->loop, &s->tls_w);
    if (err) {
        relay_count_bytes(s);
        s->net = NULL;
        cli_say_in(s->label, "tls: handshake with %s failed: %s", s->peer, err->msg);
        end_finish(s, EXIT_PROTOCOL, false);
        return;
    }
    relay_tls_info(s, h);
    if (s->child_after_tls)
        child_launch(s);
    if (s->ready_after_tls) {
        s->ready_after_tls = false;
        s->on_wire_ready(s);
    }
}

/* --tls-info (or -v: version and cipher) once a handshake is done. */
void relay_tls_info(session *s, aeh *h)
{
    const cli_cfg *c = s->cfg;
    ev_timer_stop(s->loop, &s->tls_w);
    if (log_on())
        log_tls(s, h);
    aeh_tls_info info;
    bool have_info = aeh_tls_get_info(h, &info) == 0;
    if (have_info) {              /* for -z -v's line */
        snprintf(s->tls_version, sizeof s->tls_version, "%s", info.version);
        s->tls_verified = info.verification;
    }
    if (!c->tls_info && !c->verbose)
        return;
    if (!c->tls_info) {           /* -v alone: version and cipher */
        if (have_info) {
            cli_say_in(s->label, "tls: version %s", info.version);
            cli_say_in(s->label, "tls: cipher %s", info.cipher);
        }
        return;
    }
    aeh_buf text = { 0 };
    if (aeh_tls_describe(h, &text) == 0) {
        const char *p = (const char *)aeh_buf_data(&text), *end = p + aeh_buf_len(&text);
        while (p && p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            cli_say_in(s->label, "tls: %.*s", (int)((nl ? nl : end) - p), p);
            p = nl ? nl + 1 : end;
        }
    }
    aeh_buf_free(&text);
}

/* ------------------------------------------------------------ stdout side */

static void resume_wire(session *s)
{
    if (s->net_paused && s->net) {
        s->net_paused = false;
        aeh_start_read(s->net);
    }
}

static void out_drain(aeh *h)
{
    session *s = aeh_user(h);
    resume_wire(s);
    close_child_stdin(s);
    end_check_done(s);
}

void relay_out_refused(session *s, const aeh_error *e)
{
    const char *fmt = s->cfg->recv_records ? s->cfg->recv_records : "lines";
    const char *opt = s->cfg->recv_records == s->cfg->records ? "--records" : "--recv-records";
    bool lines = !strcmp(fmt, "lines") || !strcmp(fmt, "nul");
    cli_say_in(s->label, "%s: cannot write frame %llu received from %s at byte %llu as %s %s: %s%s%s%s",
            s->out_name, (unsigned long long)s->frames_recv, s->peer, (unsigned long long)s->net_frame_at, opt, fmt,
            e->msg, lines ? " (use " : "", lines ? opt : "", lines ? " netstring, hex or base64)" : "");
    end_finish(s, EXIT_DATAERR, false);
}

static void out_error(aeh *h, const aeh_error *e, bool fatal)
{
    session *s = aeh_user(h);
    if (fatal)
        s->out = NULL;
    if (e->code == EPIPE && s->child_pid) {
        /* the program closed its stdin (or exited): its output still goes
         * to the wire; what the peer sends has no reader and is dropped */
        if (s->cfg->verbose)
            cli_say("child %d closed its stdin: what %s sends is dropped", (int)s->child_pid, s->peer);
        resume_wire(s);
        end_check_done(s);
        return;
    }
    if (e->code == EPIPE) {
        /* The reader went away: end quietly, as `cat` killed by SIGPIPE would. */
        if (s->exit_code < 0)
            s->exit_code = EXIT_SIGPIPE;
        ev_break(s->loop, EVBREAK_ALL);
        return;
    }
    if (e->op == AEH_OP_ENCODE) {
        if (refusal_held(s, e))
            return;
        relay_out_refused(s, e);
    } else {
        cli_say_in(s->label, "%s: %s", s->out_name, e->msg);
        end_finish(s, EXIT_IOERR, false);
    }
    end_check_done(s);
}

/* ------------------------------------------------------------ wiring */

static void stdin_start(session *s)
{
    if (s->in) {
        aeh_read_batches(s->in, s->in_codec, in_frames, s);
    } else {
        if (s->cfg->verbose)
            cli_say_in(s->label, "stdin: not open (%s), treating it as empty", strerror(s->in_errno));
        end_stdin_ended(s);
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
    if (s->cfg->exec_argv && !child_launch(s))
        return;
    /* From here on the send codec writes only what stdin's records decoded
     * (and stdout's only the wire's frames): it need not check them again.
     * Not before: a dialog's --send data comes from the command line. */
    aeh_codec_trust(s->out_codec, s->recv_codec);
    aeh_codec_trust(s->send_codec, s->in_codec);
    if (shares_stdio(s)) {        /* -k: stdin and stdout are the listener's */
        aeh_read_runs(s->net, s->recv_codec, s->hooks->run, s->hooks->frames, s);
        s->hooks->relaying(s);
        return;
    }
    aeh_read_runs(s->net, s->recv_codec, relay_runs_ok(s, s->out_codec) ? net_run : NULL,
                  net_frames, s);
    stdin_start(s);
}

/* ------------------------------------------------------------ the transport
 * What the end-of-stream policy (end.c) asks of the handles. */

static bool handles_pending(const session *s, bool wire_too)
{
    return (s->out && aeh_wbuf_len(s->out)) || (wire_too && s->net && aeh_wbuf_len(s->net));
}

static bool handles_wire_unsent(const session *s)
{
    return s->net && aeh_wbuf_len(s->net) > 0;
}

static void handles_stdin_flow(const session *s, const aeh *net, stdin_flow *f)
{
    if (s->in) {
        f->taken = aeh_bytes_read(s->in);
        f->unsent = aeh_rbuf(s->in).n;     /* a frame not yet complete */
    }
    if (net) {
        f->unsent += aeh_wbuf_len(net);
        f->written = aeh_bytes_written(net);
        f->wire_fd = aeh_fd(net);
    }
}

static bool handles_wire_open(const session *s) { return s->net != NULL; }

static void handles_shutdown(session *s) { aeh_push_shutdown(s->net); }

static void handles_finish(session *s, int code)
{
    /* a clean end under TLS says so with close_notify: closing without it
     * is what a truncation attack looks like to the peer */
    if (code == EXIT_OK && s->net && aeh_tls_active(s->net))
        aeh_push_shutdown(s->net);
    if (s->in)
        aeh_read_frames(s->in, NULL, NULL, NULL);
    if (s->net)
        aeh_read_frames(s->net, NULL, NULL, NULL);
}

static void handles_close(session *s)
{
    relay_count_bytes(s);
    aeh_destroy(s->in);
    aeh_destroy(s->out);
    aeh_destroy(s->net);
    s->in = s->out = s->net = NULL;
}

static aeh *handles_release_wire(session *s)
{
    if (!s->net || aeh_wbuf_len(s->net) || aeh_eof_seen(s->net))
        return NULL;
    relay_count_bytes(s);
    aeh *wire = s->net;
    s->net = NULL;
    return wire;
}

static const transport handles_transport = {
    .pending = handles_pending, .wire_unsent = handles_wire_unsent,
    .stdin_flow = handles_stdin_flow, .wire_open = handles_wire_open,
    .shutdown = handles_shutdown, .finish = handles_finish, .close = handles_close,
    .release_wire = handles_release_wire,
};

/* The connection is ready for its first bytes: dialog steps, or the relay,
 * as the session chose. */
static void wire_ready(session *s)
{
    s->on_wire_ready(s);
}

/* --tls-auto: a ClientHello starts TLS; anything else is plaintext. */
static void tls_detected(aeh *h, aeh_span f, void *arg)
{
    session *s = arg;
    if (s->cfg->verbose)
        cli_say_in(s->label, "--tls-auto: %s speaks %s", s->peer, f.n ? "TLS" : "plaintext");
    if (f.n) {
        if (aeh_starttls(h, AEH_TLS_ACCEPT, s->tls_ctx, NULL) < 0)
            return;
    } else {
        ev_timer_stop(s->loop, &s->tls_w);
    }
    wire_ready(s);
}

/* stdin and stdout as handles: -1, or the exit code. */
int relay_stdio_open(session *s)
{
    /* not a -k connection's program: a thousand pipes of 1 MiB would
     * pass the user's pipe-user-pages-soft, and the pipes made after
     * that get one page each */
    if (!s->hooks)
        widen_stdout_pipe(s);
    aeh_opts oo = {
        .loop = s->loop, .fd = s->out_fd, .user = s, .no_close = true, .low_water_mark = LOW_WATER,
        /* frames to stdout, or raw records of a framed wire (one write(2)
         * per small frame was a fifth of the speed): written per loop turn */
        .autocork = s->out_codec->kind != AEH_CODEC_KIND_RAW || s->recv_codec->kind != AEH_CODEC_KIND_RAW,
        .on_error = out_error, .on_drain = out_drain,
    };
    s->out = aeh_new(&oo);
    if (!s->out) {
        cli_say_in(s->label, "%s: %s", s->out_name, strerror(errno));
        return EXIT_IOERR;
    }

    aeh_opts io = {
        .loop = s->loop, .fd = s->in_fd, .user = s, .no_close = true, .max_read_size = 256 * 1024,
        .on_error = in_error, .on_eof = in_eof,
    };
    s->in = aeh_new(&io);
    s->in_errno = s->in ? 0 : errno;
    return -1;
}

int relay_start(session *s, int fd)
{
    const cli_cfg *c = s->cfg;
    if (c->exec_argv) {
        int rc = child_prepare(s);
        if (rc >= 0) {
            close(fd);
            return rc;
        }
    }
    if (!c->probe && !s->hooks && splice_eligible(s)) {
        s->relay_started = true;
        return splice_start(s, fd);
    }
    s->transport = &handles_transport;
    bool send_framed = s->send_codec->kind != AEH_CODEC_KIND_RAW;
    aeh_opts o = {
        .loop = s->loop, .fd = fd, .user = s,
        .timeout = c->wait, .rtimeout = c->rtimeout, .wtimeout = c->wtimeout,
        .autocork = send_framed, .low_water_mark = LOW_WATER,
        .on_error = net_error, .on_eof = net_eof, .on_drain = net_drain, .on_timeout = net_timeout,
        .tls = c->tls ? (c->listen ? AEH_TLS_ACCEPT : AEH_TLS_CONNECT) : 0, .tls_ctx = s->tls_ctx,
        .peername = c->listen ? NULL : c->servername ? c->servername : c->host,
        .on_starttls = s->tls_ctx ? net_starttls : NULL,
        .on_bytes = c->hexdump ? hexdump_bytes : NULL, .bytes_wire = c->hexdump_wire,
    };
    hexdump_begin();
    s->net = aeh_new(&o);
    if (!s->net) {
        cli_say_in(s->label, "connection: %s", strerror(errno));
        close(fd);
        return EXIT_IOERR;
    }
    if (c->probe) {
        /* no stdin, no stdout: a probe closes once the handshake (if any)
         * and the steps are done, and it says so only on stderr */
        s->ready_after_tls = c->tls;
        if (!c->tls)
            wire_ready(s);
        return -1;
    }

    if (!shares_stdio(s)) {
        int rc = relay_stdio_open(s);
        if (rc >= 0)
            return rc;
    }
    if (c->tls_auto)              /* stdin waits: the client's first bytes decide */
        aeh_push_read(s->net, aeh_codec_tls_detect(), tls_detected, s);
    else
        wire_ready(s);
    return -1;
}

