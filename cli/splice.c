/* SPDX-License-Identifier: MIT */
/* The raw relay's fast path, when nothing transforms the bytes, stdout is a
 * pipe and stdin a pipe or socket: the wire is spliced into stdout (the
 * bytes never enter user space) and stdin is copied into the wire through
 * one buffer (faster than splicing into TCP, see pump_copy).  No handles,
 * no queues, no allocation per read.  Same end-of-stream rules as the
 * handle relay (end.c): half-close at EOF on stdin, the peer's EOF as in
 * end_peer_eof, -w idle timeout; anything else uses the handle relay. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "splice.h"
#include "end.h"

enum {
    SPLICE_MAX = 1 << 20,         /* bytes asked per splice call */
    COPY_SIZE = 256 << 10,        /* copy mode's buffer */
    BURST = 16,                   /* splices per wake-up before yielding to the loop */
};

typedef struct pump {
    struct splice_relay *r;
    const char *src_name, *dst_name;
    int src, dst;
    uint8_t *buf;                 /* copy mode (into a socket); NULL: splice */
    size_t held, off;             /* copy mode: bytes in buf from off */
    bool src_eof, dst_blocked, done;
    uint64_t bytes, chunks;
    ev_io src_w, dst_w;
} pump;

struct splice_relay {
    session *s;
    pump up, down;                /* stdin -> wire, wire -> stdout */
    ev_timer idle_w;
    ev_tstamp last_activity;
    int net_fd;
};

static bool is_pipe_or_socket(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

bool splice_is_pipe(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

bool splice_eligible(const session *s)
{
    const cli_cfg *c = s->cfg;
    /* -e/-c: the handle relay, whose stdout side outlives a program that
     * stops reading */
    if (getenv("AECAT_NO_SPLICE") || c->exec_argv)
        return false;
    const aeh_codec *codecs[] = { s->recv_codec, s->send_codec, s->in_codec, s->out_codec };
    for (size_t i = 0; i < sizeof codecs / sizeof *codecs; i++)
        if (codecs[i]->kind != AEH_CODEC_KIND_RAW)
            return false;
    if (c->count || c->until || c->verbose >= 2 || c->rtimeout > 0 || c->wtimeout > 0 || s->tls_ctx ||
        s->dialog || c->hexdump)
        return false;
    return is_pipe_or_socket(s->in_fd) && splice_is_pipe(s->out_fd);
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void pump_update(pump *p);

/* Stops the relay with an error that names the side it happened on (only
 * the first error is told).  A send that meets a reset does not stop the
 * other direction: what the peer said before resetting (an error reply to
 * an upload) still reaches stdout, then its read ends the run. */
static void pump_fail(pump *p, bool on_dst, int err)
{
    session *s = p->r->s;
    const char *side = on_dst ? p->dst_name : p->src_name;
    int code = EXIT_IOERR;
    bool first = s->exit_code < 0;
    bool wire_closed = p == &p->r->up && on_dst && (err == EPIPE || err == ECONNRESET);
    if (!strcmp(side, "stdout") && err == EPIPE)
        code = EXIT_SIGPIPE;       /* the reader went away: quiet, like cat */
    else if (wire_closed)
        end_wire_closed(s, NULL, err);
    else if (first && !strcmp(side, "wire"))
        cli_say("%s: %s: %s", on_dst ? "send" : "recv", s->peer, strerror(err));
    else if (first)
        cli_say("%s: %s", side, strerror(err));
    if (first)
        s->exit_code = code;
    if (wire_closed && !p->r->down.done) {
        p->done = true;
        s->stdin_done = true;      /* nothing more of stdin can go out */
        ev_io_stop(s->loop, &p->src_w);
        ev_io_stop(s->loop, &p->dst_w);
        return;
    }
    ev_break(s->loop, EVBREAK_ALL);
}

static void half_close(pump *p)
{
    session *s = p->r->s;
    p->done = true;
    if (p == &p->r->down)
        end_peer_eof(s);
    else
        end_stdin_ended(s);
}

/* One splice; returns bytes moved, 0 at EOF, -1 with errno (EAGAIN). */
static ssize_t move(int from, int to, size_t n)
{
    return splice(from, NULL, to, NULL, n, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
}

static bool writable_now(int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLOUT };
    return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLOUT | POLLERR | POLLHUP));
}

static void moved(pump *p, ssize_t n)
{
    p->bytes += (size_t)n;
    p->chunks++;
    p->r->last_activity = ev_now(p->r->s->loop);
    if (p == &p->r->up)
        end_stdin_active(p->r->s);
}

/* Splices what it can; false when the relay was stopped by an error. */
static bool pump_splice(pump *p)
{
    for (int i = 0; i < BURST && !p->src_eof && !p->dst_blocked; i++) {
        ssize_t n = move(p->src, p->dst, SPLICE_MAX);
        if (n > 0) {
            moved(p, n);
            /* short: the source is likely drained (or the destination
             * full); the loop tells which without an EAGAIN round trip */
            if ((size_t)n < SPLICE_MAX)
                break;
            continue;
        }
        if (n == 0) {
            p->src_eof = true;
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN) {
            /* which end failed: EPIPE is the destination's; a reset or
             * another socket error is the wire's */
            int err = errno;
            bool on_dst = err == EPIPE || (strcmp(p->src_name, "wire") != 0);
            pump_fail(p, on_dst, err);
            return false;
        }
        if (!writable_now(p->dst))
            p->dst_blocked = true;
        break;
    }
    return true;
}

/* Into a socket, read + write beat splice here (measured by make bench:
 * pipe-to-TCP splice ran at 0.6x), so that direction copies through one
 * buffer allocated once. */
static bool pump_copy(pump *p)
{
    for (int i = 0; i < BURST; i++) {
        if (!p->held && !p->src_eof) {
            ssize_t n = read(p->src, p->buf, COPY_SIZE);
            if (n > 0) {
                p->held = (size_t)n;
                p->off = 0;
            } else if (n == 0) {
                p->src_eof = true;
            } else if (errno == EAGAIN) {
                break;
            } else if (errno != EINTR) {
                pump_fail(p, false, errno);
                return false;
            }
        }
        if (!p->held)
            break;
        ssize_t w = send(p->dst, p->buf + p->off, p->held, MSG_NOSIGNAL);
        if (w > 0) {
            moved(p, w);
            p->off += (size_t)w;
            p->held -= (size_t)w;
            p->dst_blocked = p->held > 0;
        } else if (errno == EAGAIN) {
            p->dst_blocked = true;
        } else if (errno != EINTR) {
            pump_fail(p, true, errno);
            return false;
        }
        if (p->dst_blocked)
            break;
    }
    return true;
}

static void pump_run(pump *p)
{
    if (p->done)
        return;
    if (!(p->buf ? pump_copy(p) : pump_splice(p)))
        return;
    if (p->src_eof && !p->held) {
        ev_io_stop(p->r->s->loop, &p->src_w);
        ev_io_stop(p->r->s->loop, &p->dst_w);
        half_close(p);
        return;
    }
    pump_update(p);
}

/* Watches the source while there is room to move into, the destination
 * while bytes wait for it. */
static void pump_update(pump *p)
{
    struct ev_loop *loop = p->r->s->loop;
    bool finishing = p->r->s->finishing;
    bool want_src = !p->src_eof && !finishing && !p->dst_blocked && !p->held;
    bool want_dst = p->dst_blocked;
    if (want_src)
        ev_io_start(loop, &p->src_w);
    else
        ev_io_stop(loop, &p->src_w);
    if (want_dst)
        ev_io_start(loop, &p->dst_w);
    else
        ev_io_stop(loop, &p->dst_w);
}

static void src_ready(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop; (void)revents;
    pump_run(w->data);
}

static void dst_ready(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop; (void)revents;
    pump *p = w->data;
    p->dst_blocked = false;
    pump_run(p);
    end_check_done(p->r->s);
}

static void idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct splice_relay *r = w->data;
    session *s = r->s;
    ev_tstamp due = r->last_activity + s->cfg->wait;
    if (due > ev_now(loop) + 1e-3) {
        ev_timer_set(w, due - ev_now(loop), 0);
        ev_timer_start(loop, w);
        return;
    }
    cli_say("timeout: no traffic with %s for %g s (-w)", s->peer, s->cfg->wait);
    end_finish(s, EXIT_TEMPFAIL, false);
    ev_break(loop, EVBREAK_ALL);
}

static int pump_init(struct splice_relay *r, pump *p, int src, int dst,
                     const char *src_name, const char *dst_name)
{
    *p = (pump){ .r = r, .src = src, .dst = dst, .src_name = src_name, .dst_name = dst_name,
                 };
    if (!splice_is_pipe(dst) && !(p->buf = malloc(COPY_SIZE)))
        return -1;
    ev_io_init(&p->src_w, src_ready, src, EV_READ);
    ev_io_init(&p->dst_w, dst_ready, dst, EV_WRITE);
    p->src_w.data = p->dst_w.data = p;
    return 0;
}

static const transport splice_transport;

int splice_start(session *s, int fd)
{
    struct splice_relay *r = calloc(1, sizeof *r);
    if (!r || set_nonblock(s->in_fd) < 0 || set_nonblock(s->out_fd) < 0 ||
        pump_init(r, &r->up, s->in_fd, fd, "stdin", "wire") < 0 ||
        pump_init(r, &r->down, fd, s->out_fd, "wire", "stdout") < 0) {
        cli_say("relay: %s", strerror(errno));
        if (r)
            free(r->up.buf);
        free(r);
        close(fd);
        return EXIT_IOERR;
    }
    r->s = s;
    r->net_fd = fd;
    s->splice = r;
    s->transport = &splice_transport;
    r->last_activity = ev_now(s->loop);
    if (s->cfg->verbose)
        cli_say("relaying with splice(2)");
    if (s->cfg->wait > 0) {
        ev_timer_init(&r->idle_w, idle_cb, s->cfg->wait, 0);
        r->idle_w.data = r;
        ev_timer_start(s->loop, &r->idle_w);
    }
    pump_update(&r->up);
    pump_update(&r->down);
    return -1;
}

/* ------------------------------------------------------------ the transport
 * What the end-of-stream policy (end.c) asks of the pumps. */

/* Bytes still held that stdout or the wire must get. */
static bool splice_pending(const session *s, bool wire_too)
{
    const struct splice_relay *r = s->splice;
    if (!r)
        return false;
    if (r->down.held && !r->down.done)
        return true;
    return wire_too && r->up.held && !r->up.done;
}

/* stdin's bytes are held up by the wire, not missing.  Not once the pump
 * is done: a send that met a reset leaves bytes held that never go. */
static bool splice_stdin_blocked(const session *s)
{
    const pump *up = &s->splice->up;
    return !up->done && (up->held > 0 || up->dst_blocked);
}

static void splice_stdin_flow(const session *s, const aeh *net, stdin_flow *f)
{
    (void)net;                    /* no handles here */
    const struct splice_relay *r = s->splice;
    f->written = r->up.bytes;
    f->unsent = r->up.held;
    f->taken = f->written + f->unsent;
    f->wire_fd = r->net_fd;
}

static bool splice_wire_open(const session *s) { return s->splice != NULL; }

/* stdin's end, all of it written: the peer sees EOF. */
static void splice_shutdown(session *s)
{
    shutdown(s->splice->net_fd, SHUT_WR);
}

/* Finishing: stop reading new data; what a pump already moved keeps
 * flowing to its destination (end_check_done waits for it). */
static void splice_finish(session *s, int code)
{
    (void)code;
    struct splice_relay *r = s->splice;
    if (!r)
        return;
    pump_update(&r->up);
    pump_update(&r->down);
}

static void splice_close(session *s)
{
    struct splice_relay *r = s->splice;
    if (!r)
        return;
    s->bytes_sent = r->up.bytes;
    s->bytes_recv = r->down.bytes;
    s->frames_sent = r->up.chunks;
    s->frames_recv = r->down.chunks;
    pump *pumps[2] = { &r->up, &r->down };
    for (int i = 0; i < 2; i++) {
        ev_io_stop(s->loop, &pumps[i]->src_w);
        ev_io_stop(s->loop, &pumps[i]->dst_w);
        free(pumps[i]->buf);
    }
    ev_timer_stop(s->loop, &r->idle_w);
    close(r->net_fd);
    free(r);
    s->splice = NULL;
}

static const transport splice_transport = {
    .pending = splice_pending, .wire_unsent = splice_stdin_blocked,
    .stdin_flow = splice_stdin_flow, .wire_open = splice_wire_open,
    .shutdown = splice_shutdown, .finish = splice_finish, .close = splice_close,
};
