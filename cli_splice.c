/* The raw relay's fast path: splice(2) between the socket and stdin/stdout
 * when both are pipes or sockets and nothing transforms the bytes.  The
 * data never enters user space.  Where neither end of a direction is a pipe
 * (socket to socket) it goes through a private pipe.  Same end-of-stream
 * rules as the handle relay: half-close at EOF on stdin, flush and exit when
 * the peer closes, -w idle timeout; anything else uses the handle relay. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"

enum {
    SPLICE_MAX = 1 << 20,         /* bytes asked per splice call */
    MID_PIPE_SIZE = 1 << 20,      /* private pipe, when the kernel allows it */
    BURST = 16,                   /* splices per wake-up before yielding to the loop */
};

typedef struct pump {
    struct splice_relay *r;
    const char *src_name, *dst_name;
    int src, dst;
    int mid[2];                   /* private pipe, or -1 when src or dst is a pipe */
    size_t in_mid, mid_cap;
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

static bool is_pipe(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

bool splice_eligible(const session *s)
{
    const cli_cfg *c = s->cfg;
    if (getenv("AECAT_NO_SPLICE"))
        return false;
    if (strcmp(s->recv_codec->name, "raw") || strcmp(s->send_codec->name, "raw") ||
        strcmp(s->in_codec->name, "raw") || strcmp(s->out_codec->name, "raw"))
        return false;
    if (c->count || c->until || c->verbose >= 2 || c->rtimeout > 0 || c->wtimeout > 0)
        return false;
    return is_pipe_or_socket(0) && is_pipe_or_socket(1);
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void pump_update(pump *p);

/* Stops the relay with an error that names the side it happened on. */
static void pump_fail(pump *p, bool on_dst, int err)
{
    session *s = p->r->s;
    const char *side = on_dst ? p->dst_name : p->src_name;
    int code = EXIT_IOERR;
    if (!strcmp(side, "stdout") && err == EPIPE)
        code = EXIT_SIGPIPE;       /* the reader went away: quiet, like cat */
    else if (!strcmp(side, "wire"))
        cli_say("%s: %s: %s", on_dst ? "send" : "recv", s->peer, strerror(err));
    else
        cli_say("%s: %s", side, strerror(err));
    if (s->exit_code < 0)
        s->exit_code = code;
    ev_break(s->loop, EVBREAK_ALL);
}

static void half_close(pump *p)
{
    session *s = p->r->s;
    const cli_cfg *c = s->cfg;
    p->done = true;
    if (p == &p->r->down) {
        relay_peer_eof(s);
        return;
    }
    if (c->verbose)
        cli_say("stdin: end of file%s", c->no_shutdown ? "" : ", shutting down the write side");
    if (!c->no_shutdown)
        shutdown(p->r->net_fd, SHUT_WR);
    if (c->quit_after_eof >= 0 && !s->finishing) {
        ev_timer_set(&s->quit_w, c->quit_after_eof, 0);
        ev_timer_start(s->loop, &s->quit_w);
    }
    relay_stdin_done(s);
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
        relay_stdin_active(p->r->s);
}

/* Moves what it can; false when the relay was stopped by an error. */
static bool pump_direct(pump *p)
{
    for (int i = 0; i < BURST && !p->src_eof && !p->dst_blocked; i++) {
        ssize_t n = move(p->src, p->dst, SPLICE_MAX);
        if (n > 0) {
            moved(p, n);
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

static bool pump_via_mid(pump *p)
{
    for (int i = 0; i < BURST; i++) {
        bool progress = false;
        if (p->in_mid) {
            ssize_t n = move(p->mid[0], p->dst, p->in_mid);
            if (n > 0) {
                p->in_mid -= (size_t)n;
                moved(p, n);
                progress = true;
                p->dst_blocked = false;
            } else if (n < 0 && errno == EAGAIN) {
                p->dst_blocked = true;
            } else if (n < 0 && errno != EINTR) {
                pump_fail(p, true, errno);
                return false;
            }
        }
        if (!p->src_eof && p->in_mid < p->mid_cap) {
            ssize_t n = move(p->src, p->mid[1], p->mid_cap - p->in_mid);
            if (n > 0) {
                p->in_mid += (size_t)n;
                progress = true;
            } else if (n == 0) {
                p->src_eof = true;
            } else if (errno != EAGAIN && errno != EINTR) {
                pump_fail(p, false, errno);
                return false;
            }
        }
        if (!progress)
            break;
    }
    return true;
}

static void pump_run(pump *p)
{
    if (p->done)
        return;
    if (!(p->mid[0] >= 0 ? pump_via_mid(p) : pump_direct(p)))
        return;
    if (p->src_eof && !p->in_mid) {
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
    bool want_src = !p->src_eof && !finishing &&
                    (p->mid[0] >= 0 ? p->in_mid < p->mid_cap : !p->dst_blocked);
    bool want_dst = p->dst_blocked || (p->mid[0] >= 0 && p->in_mid > 0);
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
    relay_check_done(p->r->s);
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
    relay_finish(s, EXIT_TEMPFAIL, false);
    ev_break(loop, EVBREAK_ALL);
}

static int pump_init(struct splice_relay *r, pump *p, int src, int dst,
                     const char *src_name, const char *dst_name)
{
    *p = (pump){ .r = r, .src = src, .dst = dst, .src_name = src_name, .dst_name = dst_name,
                 .mid = { -1, -1 } };
    if (!is_pipe(src) && !is_pipe(dst)) {
        if (pipe2(p->mid, O_NONBLOCK | O_CLOEXEC) < 0)
            return -1;
        int cap = fcntl(p->mid[1], F_SETPIPE_SZ, MID_PIPE_SIZE);
        p->mid_cap = cap > 0 ? (size_t)cap : (size_t)fcntl(p->mid[1], F_GETPIPE_SZ);
    }
    ev_io_init(&p->src_w, src_ready, src, EV_READ);
    ev_io_init(&p->dst_w, dst_ready, dst, EV_WRITE);
    p->src_w.data = p->dst_w.data = p;
    return 0;
}

int splice_start(session *s, int fd)
{
    struct splice_relay *r = calloc(1, sizeof *r);
    if (!r || set_nonblock(0) < 0 || set_nonblock(1) < 0 ||
        pump_init(r, &r->up, 0, fd, "stdin", "wire") < 0 ||
        pump_init(r, &r->down, fd, 1, "wire", "stdout") < 0) {
        cli_say("relay: %s", strerror(errno));
        free(r);
        close(fd);
        return EXIT_IOERR;
    }
    r->s = s;
    r->net_fd = fd;
    s->splice = r;
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

/* Bytes still held in private pipes that stdout or the wire must get. */
bool splice_pending(const session *s, bool wire_too)
{
    const struct splice_relay *r = s->splice;
    if (!r)
        return false;
    if (r->down.in_mid && !r->down.done)
        return true;
    return wire_too && r->up.in_mid && !r->up.done;
}

/* Finishing: stop reading new data, keep draining private pipes. */
void splice_finish(session *s)
{
    struct splice_relay *r = s->splice;
    if (!r)
        return;
    pump_update(&r->up);
    pump_update(&r->down);
}

void splice_close(session *s)
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
        if (pumps[i]->mid[0] >= 0) {
            close(pumps[i]->mid[0]);
            close(pumps[i]->mid[1]);
        }
    }
    ev_timer_stop(s->loop, &r->idle_w);
    close(r->net_fd);
    free(r);
    s->splice = NULL;
}
