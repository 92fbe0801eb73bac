/* SPDX-License-Identifier: MIT */
/* The lingering close (nginx's lingering_close): once our side of a
 * connection is done, a peer may still be sending (a request our program
 * did not read, bytes in flight when --count was reached, its own
 * close_notify).  A socket closed with unread bytes, or one that bytes
 * reach after its close, answers with a reset; the peer's read then fails
 * with ECONNRESET, and on Linux the reset discards what it had received
 * from us and not read yet: our last reply is lost.  So the socket stays
 * open, half-closed, and what arrives is read and discarded until the
 * peer's EOF.
 *
 * Bounded: LINGER_IDLE s without a byte (a peer that keeps the connection
 * open) and LINGER_MAX s in all (one that keeps sending).  nginx waits 5 s
 * and 30 s for browsers across the Internet; a peer here ends its part
 * within a round trip of reading our EOF, and a single connection's exit
 * waits for it.  A lingering connection is no longer one of -k's: its work
 * is done and counted, and --max-conns lets the next client in. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "linger.h"

typedef struct linger_conn {
    aeh *wire;
    struct ev_loop *loop;
    ev_timer max_w;
    char *label, *peer;
    bool verbose;
    uint64_t discarded;
    struct linger_conn *prev, *next;
} linger_conn;

/* Every linger of the run (one loop): linger_wait and linger_cut need
 * them, after the sessions that started them are gone. */
static linger_conn *open_lingers;
static bool waiting;              /* linger_wait runs the loop until none is left */

static void linger_over(linger_conn *l, const char *how)
{
    if (l->verbose)
        cli_say_in(l->label, "lingering close: %llu bytes %s sent after our end discarded; closed %s",
                   (unsigned long long)l->discarded, l->peer, how);
    ev_timer_stop(l->loop, &l->max_w);
    aeh_destroy(l->wire);
    if (l->prev)
        l->prev->next = l->next;
    else
        open_lingers = l->next;
    if (l->next)
        l->next->prev = l->prev;
    if (waiting && !open_lingers)
        ev_break(l->loop, EVBREAK_ONE);
    free(l->label);
    free(l->peer);
    free(l);
}

static linger_conn *of(aeh *wire) { return aeh_user(wire); }

static void discard(aeh *wire)
{
    linger_conn *l = of(wire);
    size_t n = aeh_rbuf(wire).n;
    l->discarded += n;
    aeh_rbuf_consume(wire, n);
}

static void peer_eof(aeh *wire)
{
    discard(wire);
    linger_over(of(wire), "at its EOF");
}

static void peer_error(aeh *wire, const aeh_error *e, bool fatal)
{
    linger_conn *l = of(wire);
    if (fatal)
        l->wire = NULL;           /* the handle is gone with the error */
    linger_over(l, e->code == ECONNRESET ? "at its reset" : "at an error");
}

static void peer_silent(aeh *wire, int which)
{
    (void)which;
    char how[48];
    snprintf(how, sizeof how, "after %g s of its silence", LINGER_IDLE);
    linger_over(of(wire), how);
}

static void max_reached(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop; (void)revents;
    char how[48];
    snprintf(how, sizeof how, "after %g s", LINGER_MAX);
    linger_over(w->data, how);
}

void linger_close(struct ev_loop *loop, aeh *wire, const char *label, const char *peer, bool verbose)
{
    linger_conn *l = calloc(1, sizeof *l);
    char *label_copy = label ? strdup(label) : NULL, *peer_copy = strdup(peer);
    if (!l || (label && !label_copy) || !peer_copy) {
        free(l);
        free(label_copy);
        free(peer_copy);
        aeh_destroy(wire);
        return;
    }
    *l = (linger_conn){ .wire = wire, .loop = loop, .label = label_copy, .peer = peer_copy,
                     .verbose = verbose, .next = open_lingers };
    if (open_lingers)
        open_lingers->prev = l;
    open_lingers = l;
    /* the session's callbacks, tap and timeouts are its own: gone with it */
    aeh_set_user(wire, l);
    aeh_read_frames(wire, NULL, NULL, NULL);
    aeh_on_bytes(wire, NULL, NULL, false);
    aeh_on_drain(wire, NULL);
    aeh_on_starttls(wire, NULL);
    aeh_on_stoptls(wire, NULL);
    aeh_on_read(wire, discard);
    aeh_on_eof(wire, peer_eof);
    aeh_on_error(wire, peer_error);
    aeh_on_timeout(wire, peer_silent);
    aeh_set_timeout(wire, AEH_TIMEOUT, 0);
    aeh_set_timeout(wire, AEH_WTIMEOUT, 0);
    aeh_set_timeout(wire, AEH_RTIMEOUT, LINGER_IDLE);
    ev_timer_init(&l->max_w, max_reached, LINGER_MAX, 0);
    l->max_w.data = l;
    ev_timer_start(loop, &l->max_w);
    if (verbose)
        cli_say_in(label, "lingering close: reading what %s still sends until its EOF (%g s at most)",
                   peer, LINGER_MAX);
    discard(wire);                /* what arrived before */
    aeh_start_read(wire);
    /* last: a failure here ends the linger (peer_error) */
    aeh_push_shutdown(wire);      /* a no-op when it was asked already */
}

static void wait_over(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents; (void)w;
    ev_break(loop, EVBREAK_ONE);
}

static void wait_interrupted(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)revents; (void)w;
    ev_break(loop, EVBREAK_ONE);
}

void linger_wait(struct ev_loop *loop, double secs)
{
    if (!open_lingers)
        return;
    ev_timer limit_w;
    ev_signal sig_w[3];
    static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
    ev_timer_init(&limit_w, wait_over, secs, 0);
    if (secs > 0)
        ev_timer_start(loop, &limit_w);
    for (int i = 0; i < 3; i++) {
        ev_signal_init(&sig_w[i], wait_interrupted, sigs[i]);
        ev_signal_start(loop, &sig_w[i]);
    }
    waiting = true;
    ev_run(loop, 0);
    waiting = false;
    for (int i = 0; i < 3; i++)
        ev_signal_stop(loop, &sig_w[i]);
    ev_timer_stop(loop, &limit_w);
    linger_cut();
}

void linger_cut(void)
{
    while (open_lingers)
        linger_over(open_lingers, "as the run ended");
}
