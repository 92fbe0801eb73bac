/* SPDX-License-Identifier: MIT */
/* The handle: one non-blocking fd, a read queue of frame requests (served
 * by handle_read.c), a write queue of bytes, one timer for all three
 * inactivity timeouts, and the EOF/shutdown states.  Semantics follow AnyEvent::Handle ("THE READ QUEUE")
 * except where libaeh(3) departs from it on purpose: decode errors are fatal (a
 * framed stream cannot resynchronise), rtimeout only counts while a read is
 * wanted and wtimeout only while bytes are queued. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ev.h>
#include "codec_int.h"
#include "handle_int.h"


static void timers_update(aeh *h);


/* ------------------------------------------------------------ lifetime */


void aeh__handle_raise(aeh *h, const aeh_error *e, bool fatal)
{
    if (h->destroyed)
        return;
    if (fatal) {
        ev_io_stop(h->loop, &h->rw);
        ev_io_stop(h->loop, &h->ww);
        ev_timer_stop(h->loop, &h->tw);
        ev_prepare_stop(h->loop, &h->corkw);
        ev_timer_stop(h->loop, &h->kickw);
    }
    enter(h);
    if (h->on_error)
        h->on_error(h, e, fatal);
    if (fatal)
        aeh_destroy(h);
    leave(h);
}

void aeh__handle_fail(aeh *h, int op, int code, bool fatal, const char *fmt, ...)
{
    aeh_error e;
    va_list ap;
    va_start(ap, fmt);
    aeh_vfail(&e, code, 0, fmt, ap);
    va_end(ap);
    e.op = op;
    aeh__handle_raise(h, &e, fatal);
}

/* A fatal error of the read side (a reset, a record that does not
 * decrypt): the bytes already in rbuf are the peer's words and go to the
 * readers first.  A reader that paused (its own output full) gets the
 * error from aeh__handle_dispatch once it has taken them. */
void aeh__handle_raise_after_reads(aeh *h, const aeh_error *e)
{
    if (h->destroyed)
        return;
    if (!h->read_err && !(h->read_err = malloc(sizeof *h->read_err))) {
        aeh__handle_raise(h, e, true);   /* no room to hold it: told now */
        return;
    }
    *h->read_err = *e;
    enter(h);
    aeh__handle_update_read_watcher(h);
    aeh__handle_dispatch(h);
    leave(h);
}

/* ------------------------------------------------------------ timeouts */

static bool read_wanted(const aeh *h)
{
    if (h->teof || h->fd < 0 || h->read_err)
        return false;
    if (handshaking(h))           /* the handshake reads whatever the user wants */
        return true;
    return !h->user_stopped && !h->eof && (h->q_head || h->frames || h->on_read);
}

static bool timeout_active(const aeh *h, int i)
{
    if (h->to[i] <= 0 || h->fd < 0)
        return false;
    if (i == TO_READ)
        return read_wanted(h);
    if (i == TO_WRITE)
        return out_len(h) > 0;
    return true;
}

/* The timer only ever fires early (activity moves deadlines later without
 * touching it); on firing it re-arms for the earliest live deadline. */
static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    aeh *h = w->data;
    static const char *const name[TO_KINDS] = { "timeout", "rtimeout", "wtimeout" };
    enter(h);
    for (int i = 0; i < TO_KINDS && !h->destroyed; i++) {
        if (!timeout_active(h, i))
            continue;
        ev_tstamp now = ev_now(loop);
        if (h->last[i] + h->to[i] > now)
            continue;
        h->last[i] = now;         /* returning from the callback restarts it */
        if (h->on_timeout) {
            h->on_timeout(h, 1 << i);
        } else {
            aeh_error e;
            aeh_fail(&e, ETIMEDOUT, 0, "%s: no activity for %g s", name[i], h->to[i]);
            e.op = AEH_OP_TIMEOUT;
            aeh__handle_raise(h, &e, false);
        }
    }
    if (leave(h))
        timers_update(h);
}

static void timers_update(aeh *h)
{
    if (h->destroyed)
        return;
    ev_tstamp next = 0;
    for (int i = 0; i < TO_KINDS; i++) {
        if (!timeout_active(h, i))
            continue;
        ev_tstamp d = h->last[i] + h->to[i];
        if (next == 0 || d < next)
            next = d;
    }
    if (next == 0) {
        ev_timer_stop(h->loop, &h->tw);
        return;
    }
    ev_tstamp now = ev_now(h->loop);
    if (ev_is_active(&h->tw) && now + ev_timer_remaining(h->loop, &h->tw) <= next)
        return;
    ev_timer_stop(h->loop, &h->tw);
    ev_timer_set(&h->tw, next > now ? next - now : 0, 0);
    ev_timer_start(h->loop, &h->tw);
}

void aeh_set_timeout(aeh *h, int which, double seconds)
{
    for (int i = 0; i < TO_KINDS; i++)
        if (which & (1 << i)) {
            h->to[i] = seconds > 0 ? seconds : 0;
            h->last[i] = ev_now(h->loop);
        }
    ev_timer_stop(h->loop, &h->tw);
    timers_update(h);
}

void aeh_timeout_reset(aeh *h, int which)
{
    for (int i = 0; i < TO_KINDS; i++)
        if (which & (1 << i))
            h->last[i] = ev_now(h->loop);
}

/* ------------------------------------------------------------ reading */

void aeh__handle_update_read_watcher(aeh *h)
{
    if (h->destroyed)
        return;
    bool want = read_wanted(h) && !(h->rbuf_max && aeh_buf_len(&h->rbuf) > h->rbuf_max);
    if (want && !ev_is_active(&h->rw)) {
        h->last[TO_READ] = ev_now(h->loop);   /* rtimeout counts from when a read is wanted */
        ev_io_start(h->loop, &h->rw);
        timers_update(h);
    } else if (!want && ev_is_active(&h->rw)) {
        ev_io_stop(h->loop, &h->rw);
    }
}

/* One read from the fd: into rbuf, or under TLS into the session's
 * ciphertext buffer.  Returns the read(2) result (errno kept). */
static ssize_t read_fd(aeh *h)
{
    aeh_buf *dst = h->tls ? aeh__tls_in(h->tls) : &h->rbuf;
    uint8_t *p = aeh_buf_reserve(dst, h->read_size);
    if (!p) {
        errno = ENOMEM;
        return -1;
    }
    ssize_t n = read(h->fd, p, h->read_size);
    if (n > 0) {
        aeh_buf_commit(dst, (size_t)n);
        h->nread += (uint64_t)n;
        tap(h, AEH_BYTES_RECV, p, (size_t)n, true, !h->tls);
    } else if (n == 0) {
        h->teof = true;
        if (h->tls)
            aeh__tls_in_eof(h->tls);
        else
            h->eof = true;
    }
    return n;
}

static void read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    aeh *h = w->data;
    ssize_t n = read_fd(h);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR)
            return;
        aeh_error e;
        aeh_fail(&e, errno, 0, "read: %s", strerror(errno));
        e.op = AEH_OP_READ;
        aeh__handle_raise_after_reads(h, &e);
        return;
    }
    if (n == 0) {
        ev_io_stop(loop, &h->rw);
    } else {
        h->last[TO_ANY] = h->last[TO_READ] = ev_now(loop);
        if ((size_t)n == h->read_size && h->read_size < h->max_read_size)
            h->read_size = h->read_size * 2 < h->max_read_size ? h->read_size * 2 : h->max_read_size;
    }
    if (h->tls) {
        enter(h);
        aeh__handle_tls_pump(h);
        if (!leave(h))
            return;
    }
    aeh__handle_dispatch(h);
}

/* Work asked for by an API call made outside the handle's callbacks runs
 * from the loop (a zero timer, at its next turn): serving buffered bytes could
 * raise a fatal error and free the handle under the caller, and an on_drain
 * that pushes again would recurse. */
void aeh__handle_kick(aeh *h)
{
    if (!h->destroyed && !ev_is_active(&h->kickw))
        ev_timer_start(h->loop, &h->kickw);
}

static void kick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    aeh *h = w->data;
    ev_timer_stop(loop, w);
    enter(h);
    if (h->tls_due) {
        h->tls_due = false;
        aeh__handle_tls_pump(h);
    }
    if (!h->destroyed && h->drain_due) {
        h->drain_due = false;
        if (h->on_drain && out_len(h) <= h->low_water_mark)
            h->on_drain(h);
    }
    aeh__handle_dispatch(h);
    leave(h);
}

/* ------------------------------------------------------------ writing */

ssize_t aeh__handle_write_fd(aeh *h, const void *p, size_t n)
{
    if (h->is_socket)
        return send(h->fd, p, n, MSG_NOSIGNAL);
    return write(h->fd, p, n);
}

/* A peer that resets the connection may have sent a last word first (an
 * error reply to an upload): Linux still hands it out after the reset.
 * Deliver it to the readers, then report the write error. */
static void write_failed(aeh *h, int err)
{
    bool readers = h->q_head || h->frames || h->on_read;
    h->write_dead = true;
    if ((err == EPIPE || err == ECONNRESET) && readers && !h->eof && !h->teof && h->fd >= 0) {
        enter(h);
        for (int i = 0; i < 64 && !h->destroyed; i++)
            if (read_fd(h) <= 0)
                break;
        if (h->tls)
            aeh__handle_tls_pump(h);
        aeh__handle_dispatch(h);
        if (!leave(h))
            return;
    }
    aeh__handle_fail(h, AEH_OP_WRITE, err, true, "write: %s", strerror(err));
}

static void cork_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
    (void)revents;
    aeh *h = w->data;
    ev_prepare_stop(loop, w);
    aeh__handle_flush(h);
}

static void write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop; (void)revents;
    aeh__handle_flush(w->data);
}


void aeh__handle_flush(aeh *h)
{
    if (h->destroyed || h->fd < 0 || h->write_dead)
        return;
    for (int round = 0; round < 8; round++) {
        if (!aeh__handle_tls_encrypt(h, false))
            return;
        aeh_buf *src = aeh_buf_len(&h->rout) || h->tls ? &h->rout : &h->wbuf;
        size_t len = aeh_buf_len(src);
        if (!len)
            break;
        ssize_t n = aeh__handle_write_fd(h, aeh_buf_data(src), len);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                write_failed(h, errno);
                return;
            }
            break;
        }
        tap(h, AEH_BYTES_SENT, aeh_buf_data(src), (size_t)n, true, src == &h->wbuf);
        aeh_buf_consume(src, (size_t)n);
        h->nwritten += (uint64_t)n;
        h->last[TO_ANY] = h->last[TO_WRITE] = ev_now(h->loop);
        if ((size_t)n < len)
            break;
    }
    size_t len = out_len(h);
    bool writable = aeh_buf_len(&h->rout) || (aeh_buf_len(&h->wbuf) && !handshaking(h));
    if (writable) {
        if (!ev_is_active(&h->ww))
            ev_io_start(h->loop, &h->ww);
    } else {
        ev_io_stop(h->loop, &h->ww);
        if (h->shutdown_pending && !h->wshut && !len && (!h->tls || h->tls_bye_sent)) {
            h->wshut = true;
            if (shutdown(h->fd, SHUT_WR) < 0 && errno != ENOTSOCK && errno != ENOTCONN) {
                aeh__handle_fail(h, AEH_OP_WRITE, errno, true, "shutdown: %s", strerror(errno));
                return;
            }
        }
    }
    if (h->on_drain && len <= h->low_water_mark) {
        enter(h);
        h->on_drain(h);
        leave(h);
    }
}

/* After bytes were queued: write now, or at the end of this loop iteration
 * when corking so that many small frames leave in one system call.  Returns
 * 0, or -1 when writing failed and the handle is gone (maybe freed). */
int aeh__handle_schedule_write(aeh *h, size_t before)
{
    if (before == 0)
        h->last[TO_WRITE] = ev_now(h->loop);   /* wtimeout counts from when bytes are queued */
    if (ev_is_active(&h->ww))
        return 0;
    if (h->autocork) {
        if (!ev_is_active(&h->corkw))
            ev_prepare_start(h->loop, &h->corkw);
    } else {
        enter(h);
        aeh__handle_flush(h);
        if (!leave(h))
            return -1;
    }
    if (before == 0)
        timers_update(h);
    return 0;
}

static bool write_allowed(aeh *h, size_t queued, size_t add)
{
    if (h->destroyed)
        return false;
    if (h->shutdown_pending) {
        aeh__handle_fail(h, AEH_OP_WRITE, EPIPE, true, "write after shutdown");
        return false;
    }
    if (h->wbuf_max && queued + add > h->wbuf_max) {
        aeh_error e;
        aeh_fail(&e, ENOSPC, 0, "write buffer over its limit of %zu bytes", h->wbuf_max);
        e.op = AEH_OP_WRITE;
        aeh__handle_raise(h, &e, true);
        return false;
    }
    return true;
}

int aeh_push_write(aeh *h, const void *p, size_t n)
{
    size_t before = out_len(h);
    if (!write_allowed(h, before, n))
        return -1;
    if (!n)
        return 0;
    /* Nothing queued, and not corking or enough bytes for a system call
     * of their own: hand them to the kernel without copying them; queue
     * only what it did not take. */
    if (!before && (!h->autocork || n >= CORK_BYPASS) && h->fd >= 0 && !h->tls && !h->write_dead) {
        ssize_t w = aeh__handle_write_fd(h, p, n);
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
            write_failed(h, errno);
            return -1;
        }
        if (w > 0) {
            tap(h, AEH_BYTES_SENT, p, (size_t)w, true, true);
            h->nwritten += (uint64_t)w;
            h->last[TO_ANY] = h->last[TO_WRITE] = ev_now(h->loop);
            p = (const uint8_t *)p + w;
            n -= (size_t)w;
        }
        if (!n) {
            if (h->on_drain) {    /* "after a write", from the loop: no recursion */
                h->drain_due = true;
                aeh__handle_kick(h);
            }
            return 0;
        }
    }
    if (aeh_buf_append(&h->wbuf, p, n) < 0) {
        aeh__handle_fail(h, AEH_OP_WRITE, ENOMEM, true, "write: %s", strerror(ENOMEM));
        return -1;
    }
    return aeh__handle_schedule_write(h, before);
}

long aeh_push_frames(aeh *h, const aeh_codec *c, const aeh_span *frames, size_t n)
{
    size_t i = 0;
    if (c->flags & AEH_CODEC_VERBATIM) {
        /* every failure of a write is fatal: held here, the handle is
         * freed at leave, not under the loop */
        enter(h);
        while (i < n && aeh_push_write(h, frames[i].p, frames[i].n) == 0)
            i++;
        return leave(h) && i == n ? (long)i : -1;
    }
    size_t queued = out_len(h);
    if (!write_allowed(h, queued, 0))
        return -1;
    aeh_error e;
    bool refused = false;
    /* an append may move the queued bytes to the front of the buffer: roll
     * back by length, not by the old tail */
    size_t before = aeh_buf_len(&h->wbuf);
    if (!c->encode) {             /* a framing that can only be read (len: with a strip) */
        refused = n > 0;
        aeh_fail(&e, EINVAL, 0, "%s: this framing has no encoder: frames cannot be sent with it",
                 c->name);
    } else if (c->encode_many) {
        i = c->encode_many(c, frames, n, &h->wbuf, &e);
        refused = i < n;
    } else {
        for (; i < n; i++) {
            size_t mark = aeh_buf_len(&h->wbuf);
            if (c->encode(c, frames[i].p, frames[i].n, &h->wbuf, &e) < 0) {
                h->wbuf.tail = h->wbuf.head + mark;   /* a custom encoder may leave a part */
                refused = true;
                break;
            }
        }
    }
    if (refused)
        e.op = AEH_OP_ENCODE;     /* nothing of the refused frame was queued */
    if (h->wbuf_max && out_len(h) > h->wbuf_max) {
        h->wbuf.tail = h->wbuf.head + before;     /* none of them */
        aeh_fail(&e, ENOSPC, 0, "write buffer over its limit of %zu bytes", h->wbuf_max);
        e.op = AEH_OP_WRITE;
        aeh__handle_raise(h, &e, true);
        return -1;
    }
    if (i && aeh__handle_schedule_write(h, queued) < 0)
        return -1;
    if (refused) {
        /* nothing of that frame was queued: the handle stays usable and
         * the frames before it still go out */
        enter(h);
        aeh__handle_raise(h, &e, false);
        if (!leave(h))
            return -1;
    }
    return (long)i;
}

long aeh_push_batch(aeh *h, const aeh_codec *c, const aeh *from, const aeh_span *frames,
                    size_t n)
{
    const rreq *r = from ? from->running : NULL;
    long extra = r && from->batch_end && n && n <= from->batch_n && c->encode
                 ? aeh__codec_verbatim_extra(c, r->codec) : -1;
    if (extra < 0)
        return aeh_push_frames(h, c, frames, n);
    /* each frame's bytes are its payload and K more, back to back (each
     * ends where the one before it ended plus its own), and within the
     * encoder's limit: the encoding is those bytes */
    const size_t *end = from->batch_end;
    size_t at = from->batch_start[0], longest = 0;
    for (size_t i = 0; i < n; i++) {
        at += frames[i].n + (size_t)extra;
        longest |= frames[i].n;   /* a bound of the longest: an OR, not a branch */
        if (end[i] != at)
            return aeh_push_frames(h, c, frames, n);
    }
    if (c->max_frame && longest > c->max_frame) {
        for (size_t i = 0; i < n; i++)
            if (frames[i].n > c->max_frame)
                return aeh_push_frames(h, c, frames, n);
    }
    const uint8_t *p = aeh_buf_data(&from->rbuf) + from->batch_start[0];
    return aeh_push_write(h, p, end[n - 1] - from->batch_start[0]) == 0 ? (long)n : -1;
}

int aeh_push_frame(aeh *h, const aeh_codec *c, const void *p, size_t n)
{
    return aeh_push_frames(h, c, &(aeh_span){ p, n }, 1) == 1 ? 0 : -1;
}

void aeh_push_shutdown(aeh *h)
{
    if (h->destroyed || h->shutdown_pending)
        return;
    h->shutdown_pending = true;
    if (!out_len(h) && !ev_is_active(&h->corkw)) {
        enter(h);
        aeh__handle_flush(h);
        leave(h);
    }
}

size_t aeh_wbuf_len(const aeh *h) { return out_len(h); }

/* ------------------------------------------------------------ linger */

/* AnyEvent's linger: after destroy, keep writing what was queued for up to
 * `linger` seconds, reporting nothing. */
typedef struct lingerer {
    ev_io io;
    ev_timer timer;
    int fd;
    bool is_socket, no_close, shutdown;
    aeh_buf buf;
} lingerer;

static void linger_end(struct ev_loop *loop, lingerer *l)
{
    if (l->shutdown && !aeh_buf_len(&l->buf))
        shutdown(l->fd, SHUT_WR);  /* the push_shutdown asked before destroy */
    ev_io_stop(loop, &l->io);
    ev_timer_stop(loop, &l->timer);
    if (!l->no_close)
        close(l->fd);
    aeh_buf_free(&l->buf);
    free(l);
}

static void linger_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    lingerer *l = w->data;
    size_t len = aeh_buf_len(&l->buf);
    ssize_t n = l->is_socket ? send(l->fd, aeh_buf_data(&l->buf), len, MSG_NOSIGNAL)
                             : write(l->fd, aeh_buf_data(&l->buf), len);
    if (n > 0)
        aeh_buf_consume(&l->buf, (size_t)n);
    if ((n < 0 && errno != EAGAIN && errno != EINTR) || !aeh_buf_len(&l->buf))
        linger_end(loop, l);
}

static void linger_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    linger_end(loop, w->data);
}

static bool linger_start(aeh *h)
{
    lingerer *l = calloc(1, sizeof *l);
    if (!l)
        return false;
    l->fd = h->fd;
    l->is_socket = h->is_socket;
    l->no_close = h->no_close;
    l->shutdown = h->shutdown_pending;
    /* under TLS everything becomes records now (with close_notify if a
     * shutdown was asked): the lingerer only writes bytes */
    if (h->tls && aeh__tls_handshaken(h->tls))
        aeh__handle_tls_encrypt(h, true);
    if (!h->tls)
        aeh_buf_append(&h->rout, aeh_buf_data(&h->wbuf), aeh_buf_len(&h->wbuf));
    l->buf = h->rout;
    memset(&h->rout, 0, sizeof h->rout);
    ev_io_init(&l->io, linger_io_cb, l->fd, EV_WRITE);
    l->io.data = l;
    ev_timer_init(&l->timer, linger_timer_cb, h->linger, 0);
    l->timer.data = l;
    ev_io_start(h->loop, &l->io);
    ev_timer_start(h->loop, &l->timer);
    return true;
}

/* ------------------------------------------------------------ new/destroy */

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -1;
    return (fl & O_NONBLOCK) ? 0 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int set_sockopt_bool(aeh *h, int level, int opt, bool on)
{
    if (!h->is_socket)
        return 0;
    int v = on;
    return setsockopt(h->fd, level, opt, &v, sizeof v);
}

int aeh_set_no_delay(aeh *h, bool on)
{
    h->no_delay = on;
    h->no_delay_tmp = false;
    int r = set_sockopt_bool(h, IPPROTO_TCP, TCP_NODELAY, on);
    return r < 0 && errno == EOPNOTSUPP ? 0 : r;   /* unix sockets have no Nagle */
}
int aeh_set_keepalive(aeh *h, bool on) { return set_sockopt_bool(h, SOL_SOCKET, SO_KEEPALIVE, on); }
int aeh_set_oobinline(aeh *h, bool on) { return set_sockopt_bool(h, SOL_SOCKET, SO_OOBINLINE, on); }

aeh *aeh_new(const aeh_opts *o)
{
    if (!o || !o->loop || o->fd < 0) {
        errno = EINVAL;
        return NULL;
    }
    if (set_nonblock(o->fd) < 0)
        return NULL;
    aeh *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    struct stat st;
    h->loop = o->loop;
    h->fd = o->fd;
    h->is_socket = fstat(o->fd, &st) == 0 && S_ISSOCK(st.st_mode);
    h->user = o->user;
    h->to[TO_ANY] = o->timeout;
    h->to[TO_READ] = o->rtimeout;
    h->to[TO_WRITE] = o->wtimeout;
    h->rbuf_max = o->rbuf_max;
    h->wbuf_max = o->wbuf_max;
    h->max_read_size = o->max_read_size ? o->max_read_size : DEFAULT_MAX_READ_SIZE;
    h->read_size = o->read_size ? o->read_size : DEFAULT_READ_SIZE;
    if (h->read_size > h->max_read_size)
        h->max_read_size = h->read_size;
    h->low_water_mark = o->low_water_mark;
    h->autocork = o->autocork;
    /* The fd is the caller's until aeh_new succeeds: a failure, even one
     * that destroys the handle, leaves it open for the caller to close, and
     * no lingerer writing to it. */
    h->no_close = true;
    h->on_error = o->on_error;
    h->on_eof = o->on_eof;
    h->on_read = o->on_read;
    h->on_drain = o->on_drain;
    h->on_timeout = o->on_timeout;
    h->on_starttls = o->on_starttls;
    h->on_stoptls = o->on_stoptls;
    h->on_bytes = o->on_bytes;
    h->bytes_arg = o->bytes_arg;
    h->bytes_wire = o->bytes_wire;
    if (o->peername && !(h->peername = strdup(o->peername))) {
        free(h);
        return NULL;
    }
    ev_io_init(&h->rw, read_cb, h->fd, EV_READ);
    ev_io_init(&h->ww, write_cb, h->fd, EV_WRITE);
    ev_init(&h->tw, timer_cb);
    ev_prepare_init(&h->corkw, cork_cb);
    ev_timer_init(&h->kickw, kick_cb, 0, 0);   /* a zero timer: the loop does not block */
    h->rw.data = h->ww.data = h->tw.data = h->corkw.data = h->kickw.data = h;
    ev_tstamp now = ev_now(h->loop);
    h->last[TO_ANY] = h->last[TO_READ] = h->last[TO_WRITE] = now;
    if (o->no_delay)
        aeh_set_no_delay(h, true);
    if (o->keepalive)
        aeh_set_keepalive(h, true);
    if (o->oobinline)
        aeh_set_oobinline(h, true);
    aeh__handle_update_read_watcher(h);
    timers_update(h);
    if (o->tls) {
        enter(h);
        int rc = aeh_starttls(h, o->tls, o->tls_ctx, NULL);
        if (!leave(h)) {              /* on_error has heard why */
            errno = EPROTO;
            return NULL;
        }
        if (rc < 0) {
            aeh_destroy(h);
            errno = EINVAL;
            return NULL;
        }
    }
    h->no_close = o->no_close;
    h->linger = o->linger;
    return h;
}

void aeh__handle_free(aeh *h)
{
    assert(h->busy == 0);         /* a callback still on the stack would use freed memory */
    for (rreq *r = h->q_head, *next; r; r = next) {
        next = r->next;
        aeh__handle_rreq_free(r);
    }
    if (h->frames)
        aeh__handle_rreq_free(h->frames);
    aeh_buf_free(&h->rbuf);
    aeh_buf_free(&h->wbuf);
    aeh_buf_free(&h->rout);
    free(h->read_err);
    aeh__tls_session_free(h->tls);
    free(h->peername);
    free(h);
}

void aeh_destroy(aeh *h)
{
    if (!h || h->destroyed)
        return;
    h->destroyed = true;
    ev_io_stop(h->loop, &h->rw);
    ev_io_stop(h->loop, &h->ww);
    ev_timer_stop(h->loop, &h->tw);
    ev_prepare_stop(h->loop, &h->corkw);
    ev_timer_stop(h->loop, &h->kickw);
    if (h->fd >= 0) {
        bool lingering = h->linger > 0 && out_len(h) && !h->wshut && !h->write_dead &&
                         !handshaking(h) && linger_start(h);
        if (!lingering && !h->no_close)
            close(h->fd);
        h->fd = -1;
    }
    if (!h->busy)
        aeh__handle_free(h);
}

/* ------------------------------------------------------------ accessors */

int aeh_fd(const aeh *h) { return h->fd; }
void *aeh_user(const aeh *h) { return h->user; }
void aeh_set_user(aeh *h, void *user) { h->user = user; }
uint64_t aeh_bytes_read(const aeh *h) { return h->nread; }
uint64_t aeh_bytes_written(const aeh *h) { return h->nwritten; }
bool aeh_eof_seen(const aeh *h) { return h->eof; }
struct ev_loop *aeh_loop(const aeh *h) { return h->loop; }
void aeh_set_rbuf_max(aeh *h, size_t n)
{
    h->rbuf_max = n;
    if (!h->destroyed)
        aeh__handle_serve(h);                 /* already over the new limit: ENOSPC, from the loop */
}
void aeh_set_wbuf_max(aeh *h, size_t n) { h->wbuf_max = n; }
void aeh_set_low_water_mark(aeh *h, size_t n) { h->low_water_mark = n; }
void aeh_set_autocork(aeh *h, bool on) { h->autocork = on; }
void aeh_on_eof(aeh *h, void (*cb)(aeh *)) { h->on_eof = cb; }
void aeh_on_error(aeh *h, void (*cb)(aeh *, const aeh_error *, bool)) { h->on_error = cb; }
void aeh_on_timeout(aeh *h, void (*cb)(aeh *, int)) { h->on_timeout = cb; }

void aeh_on_bytes(aeh *h, aeh_bytes_cb *cb, void *arg, bool wire)
{
    h->on_bytes = cb;
    h->bytes_arg = arg;
    h->bytes_wire = wire;
}

void aeh_on_read(aeh *h, void (*cb)(aeh *))
{
    if (h->destroyed)
        return;
    h->on_read = cb;
    aeh__handle_serve(h);
}

void aeh_on_drain(aeh *h, void (*cb)(aeh *))
{
    h->on_drain = cb;
    if (cb && !h->destroyed && aeh_buf_len(&h->wbuf) <= h->low_water_mark) {
        h->drain_due = true;
        aeh__handle_kick(h);
    }
}
