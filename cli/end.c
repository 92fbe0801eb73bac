/* SPDX-License-Identifier: MIT */
/* How a run ends: the end-of-stream policy and the exit code, one
 * implementation for both transports (the handle relay, relay.c, and the
 * splice relay, splice.c), which report their events here and are driven
 * back only through s->transport.
 *
 * See END OF STREAM in aecat(1).  The peer's EOF says it
 * will send no more, not that it stopped reading: a listener whose stdin
 * is empty half-closes at once and still wants all of ours.  So stdin goes
 * on flowing until its own EOF, however long it pauses.  The run ends
 * sooner only when stdin is a terminal (someone typing: the peer's EOF is
 * the end of the session), when --peer-eof-grace SECS of silence on stdin
 * pass, or when the peer proves it closed fully: a write fails (EPIPE,
 * ECONNRESET), or the reset our last write drew is seen on the socket.
 * A full close by FIN alone looks like a half-close until we write: TCP
 * says nothing else, so an idle stdin is waited for (--peer-eof-grace,
 * -w and --deadline bound that). */
#include <errno.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "end.h"
#include "linger.h"

/* closed_w waits to learn whether stdin's last bytes arrived: 0 or 74.  A
 * run that already failed (a send met the reset) has its answer, and the
 * wait would not end: the send took SO_ERROR, and after a reset SIOCOUTQ
 * keeps counting the bytes lost. */
static bool closed_watch_wanted(const session *s)
{
    return s->exit_code <= EXIT_OK;
}

void end_leave(session *s)
{
    if (s->end_held && s->end_held(s))
        return;
    if (s->hooks)
        s->hooks->ended(s);
    else
        ev_break(s->loop, EVBREAK_ALL);
}

void end_check_done(session *s)
{
    if (!s->finishing)
        return;
    if (s->transport && s->transport->pending(s, s->wait_net))
        return;
    if (s->wait_net && closed_watch_wanted(s) && ev_is_active(&s->closed_w))
        return;                   /* written after the peer's EOF, not yet acknowledged */
    end_leave(s);
}

void end_finish(session *s, int code, bool wait_net)
{
    if (s->exit_code < 0)
        s->exit_code = code;
    if (s->finishing) {
        s->wait_net = s->wait_net && wait_net;
        if (!s->wait_net || !closed_watch_wanted(s))
            ev_timer_stop(s->loop, &s->closed_w);
        end_check_done(s);
        return;
    }
    s->finishing = true;
    s->wait_net = wait_net;
    ev_timer_stop(s->loop, &s->peer_eof_w);
    if (!wait_net || !closed_watch_wanted(s))
        ev_timer_stop(s->loop, &s->closed_w);
    ev_timer_stop(s->loop, &s->tls_w);
    if (s->transport)
        s->transport->finish(s, code);
    end_check_done(s);
}

void end_done(session *s)
{
    if (!s->cfg->no_shutdown && s->transport && s->transport->wire_open(s))
        s->transport->shutdown(s);
    end_finish(s, EXIT_OK, true);
}

/* Half-close (what is queued goes first), -q, the end rules. */
void end_stdin_ended(session *s)
{
    const cli_cfg *c = s->cfg;
    bool shut = !c->no_shutdown && s->transport && s->transport->wire_open(s);
    if (c->verbose)
        cli_say_in(s->label, "%s: end of file%s", s->in_name, shut ? ", shutting down the write side" : "");
    if (shut)
        s->transport->shutdown(s);
    if (c->quit_after_eof >= 0 && !s->finishing) {
        ev_timer_set(&s->quit_w, c->quit_after_eof, 0);
        ev_timer_start(s->loop, &s->quit_w);
    }
    end_stdin_done(s);
}

bool end_wire_unsent(const session *s)
{
    return s->transport && s->transport->wire_unsent(s);
}

/* Not idle: stdin has data that waits for the wire to take it. */
static bool stdin_blocked(const session *s)
{
    return s->in_paused || end_wire_unsent(s);
}

static stdin_flow stdin_flow_of(const session *s, const aeh *net)
{
    stdin_flow f = { .wire_fd = -1 };
    if (s->transport)
        s->transport->stdin_flow(s, net, &f);
    return f;
}

/* Bytes the peer's TCP acknowledged, or `written` when the socket cannot
 * tell (a Unix-domain socket: its writes fail as soon as the peer is gone).
 * Bytes written after the peer's full close are answered by a reset, never
 * acknowledged: the first such write "succeeds" and is still lost. */
static uint64_t wire_acked(int fd, uint64_t written)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
        len < offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof ti.tcpi_bytes_acked)
        return written;
    uint64_t acked = ti.tcpi_bytes_acked > 0 ? ti.tcpi_bytes_acked - 1 : 0;   /* our SYN */
    return acked < written ? acked : written;
}

/* Bytes from stdin the peer cannot have received: still held by aecat, or
 * written and never acknowledged.  Counted on the wire, so a framed or TLS
 * wire counts its framing too. */
static uint64_t stdin_lost(const session *s, const aeh *net)
{
    stdin_flow f = stdin_flow_of(s, net);
    return f.unsent + f.written - wire_acked(f.wire_fd, f.written);
}

bool end_wire_closed(session *s, const aeh *net, int err)
{
    ev_timer_stop(s->loop, &s->closed_w);      /* the reset is in: nothing more to learn */
    if (s->exit_code >= 0 && s->exit_code != EXIT_OK)
        return true;              /* an earlier failure was told */
    uint64_t lost = stdin_lost(s, net);
    /* a -k connection: stdin is the listener's and goes on to the others;
     * nothing of it lost here, the peer's full close met only our own
     * close (close_notify, FIN) */
    if (s->hooks && lost == 0) {
        if (s->cfg->verbose)
            cli_say_in(s->label, "%s closed fully before our close reached it: nothing lost", s->peer);
        return false;
    }
    cli_say_in(s->label, "send: %s: %s: the peer closed the connection; %llu bytes from stdin not delivered%s",
            s->peer, strerror(err), (unsigned long long)lost,
            s->stdin_done ? "" : ", the rest of stdin not read");
    s->exit_code = EXIT_IOERR;
    return true;
}

static void grace_expired(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    session *s = w->data;
    /* silence means nothing taken from stdin for SECS: bytes stdin gave that
     * wait for the wire (a slow reader), or a frame being read, are not */
    uint64_t taken = stdin_flow_of(s, s->net).taken;
    if (stdin_blocked(s) || taken != s->grace_mark) {
        s->grace_mark = taken;
        ev_timer_again(loop, w);
        return;
    }
    if (s->cfg->verbose)
        cli_say_in(s->label, "stdin silent for %g s after the peer closed (--peer-eof-grace): finishing",
                s->cfg->peer_eof_grace);
    end_finish(s, EXIT_OK, true);
}

/* The reset a write drew from a peer that closed fully: SO_ERROR, or the
 * socket hung up while our side of it is still open.  0: none. */
static int wire_reset(const session *s, int fd)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err)
        return err;
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    if (!s->stdin_done && poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)))
        return EPIPE;
    return 0;
}

/* After the peer's EOF, what stdin gave is not delivered until the peer's
 * TCP acknowledged it: a peer that closed fully answers with a reset, and
 * the first write to it succeeds all the same.  So while such bytes are
 * out, this looks every two round trips: a reset ends the run (74, even
 * when stdin is idle), the last acknowledgment lets it end with 0. */
static void closed_check(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    session *s = w->data;
    int fd = stdin_flow_of(s, s->net).wire_fd;
    if (fd < 0) {
        ev_timer_stop(loop, w);
        end_check_done(s);
        return;
    }
    int err = wire_reset(s, fd);
    if (err) {
        ev_timer_stop(loop, w);
        /* stdin ended and all of it arrived: only our FIN met the reset */
        if (s->stdin_done && !stdin_lost(s, s->net)) {
            end_check_done(s);
            return;
        }
        end_finish(s, end_wire_closed(s, s->net, err) ? EXIT_IOERR : EXIT_OK, false);
        return;
    }
    int unacked = 0;
    if (!stdin_blocked(s) && ioctl(fd, SIOCOUTQ, &unacked) == 0 && unacked == 0) {
        ev_timer_stop(loop, w);
        end_check_done(s);
    }
}

/* Starts closed_check, every two smoothed round trips (at least 20 ms):
 * when the reset to a write is back.  Not on a Unix-domain socket: there
 * a write to a closed peer fails at once. */
static void watch_for_reset(session *s)
{
    if (ev_is_active(&s->closed_w) || !closed_watch_wanted(s))
        return;
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    int fd = stdin_flow_of(s, s->net).wire_fd;
    if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
        return;
    double delay = 0.02 + 2e-6 * ti.tcpi_rtt;
    ev_timer_set(&s->closed_w, delay, delay);
    ev_timer_start(s->loop, &s->closed_w);
}

void end_peer_eof(session *s)
{
    const cli_cfg *c = s->cfg;
    if (c->verbose)
        cli_say_in(s->label, "%s closed the connection", s->hooks ? "the peer" : s->peer);
    s->peer_eof = true;
    ev_init(&s->closed_w, closed_check);
    s->closed_w.data = s;
    /* bytes written as the peer's FIN was on its way: acknowledged, or
     * lost to a full close */
    int fd = stdin_flow_of(s, s->net).wire_fd, unacked = 0;
    if (fd >= 0 && ioctl(fd, SIOCOUTQ, &unacked) == 0 && unacked > 0)
        watch_for_reset(s);
    /* one connection of a -k listener ends with its peer's: stdin is
     * the listener's, and goes on to the others (with -e/-c each has its
     * own program, and ends as a single connection does) */
    if (s->stdin_done || s->finishing || (s->hooks && s->hooks->frames)) {
        end_finish(s, EXIT_OK, true);
        return;
    }
    if (isatty(s->in_fd) || c->peer_eof_grace == 0) {
        if (c->verbose)
            cli_say_in(s->label, "%s: finishing", c->peer_eof_grace == 0 ? "--peer-eof-grace 0" : "stdin is a terminal");
        end_finish(s, EXIT_OK, true);
        return;
    }
    if (c->peer_eof_grace > 0) {
        ev_timer_init(&s->peer_eof_w, grace_expired, 0, c->peer_eof_grace);
        s->peer_eof_w.data = s;
        s->grace_mark = stdin_flow_of(s, s->net).taken;
        ev_timer_again(s->loop, &s->peer_eof_w);
    }
}

void end_stdin_active(session *s)
{
    if (!s->peer_eof || s->finishing)
        return;
    if (s->cfg->peer_eof_grace > 0)
        ev_timer_again(s->loop, &s->peer_eof_w);
    watch_for_reset(s);
}

void end_stdin_done(session *s)
{
    s->stdin_done = true;
    /* -e/-c: a program that exited and whose output is all read has no
     * more to say, nor a reader for what the peer would send */
    if (s->peer_eof || s->child_gone)
        end_finish(s, EXIT_OK, true);
}

/* A lingering close (linger.c) where our side ended well and the peer
 * may still be sending: a connection we accepted (-l, -k), or one whose
 * program (-e/-c) has ended.  Not a plain client's: it ends before the
 * peer's EOF only when told to stop reading (--count, --until), and a
 * server that streams would hold every such run for the bound. */
static bool linger_wanted(const session *s)
{
    int code = s->child_reaping ? s->child_held_code : s->exit_code;
    return (s->cfg->listen || s->cfg->exec_argv) && !s->peer_eof && !s->cut_short &&
           code <= EXIT_OK && s->transport->release_wire;
}

void end_close(session *s)
{
    if (!s->transport)
        return;
    aeh *wire = linger_wanted(s) ? s->transport->release_wire(s) : NULL;
    if (wire)
        linger_close(s->loop, wire, s->label, s->hooks ? "the peer" : s->peer, s->cfg->verbose);
    s->transport->close(s);
}
