/* SPDX-License-Identifier: MIT */
/* The handle tests' fixture: a handle on one end of a socketpair in a real
 * libev loop, the peer end written and read directly, and small codecs of
 * the tests' own through the public codec struct, as users would write
 * them.  Included by test_handle.c and test_batch.c (after <ev.h>). */
#ifndef HANDLE_FIXTURE_H
#define HANDLE_FIXTURE_H
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include "unit.h"

/* ---------------------------------------------------------- test codecs */

/* "upto": frames end at a '.'; a '!' is malformed. */
static inline int upto_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                       bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    (void)c;
    for (size_t i = st->scan; i < len; i++) {
        if (buf[i] == '!')
            return aeh_fail(err, EBADMSG, i, "upto: bang");
        if (buf[i] == '.') {
            *frame = (aeh_span){ buf, i };
            *consumed = i + 1;
            st->scan = 0;
            return AEH_DEC_FRAME;
        }
    }
    st->scan = len;
    if (eof && len)
        return aeh_fail(err, EBADMSG, len, "upto: truncated");
    return AEH_DEC_MORE;
}

static inline int upto_encode(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out, aeh_error *err)
{
    (void)c;
    if (aeh_buf_append(out, p, n) < 0 || aeh_buf_append(out, ".", 1) < 0)
        return aeh_fail(err, ENOMEM, 0, "upto: out of memory");
    return 0;
}

static const aeh_codec __attribute__((unused)) upto = { .name = "upto", .decode = upto_decode, .encode = upto_encode };

/* "two": fixed two-byte frames. */
static inline int two_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                      bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    (void)c; (void)st;
    if (len < 2)
        return eof && len ? aeh_fail(err, EBADMSG, 0, "two: truncated") : AEH_DEC_MORE;
    *frame = (aeh_span){ buf, 2 };
    *consumed = 2;
    return AEH_DEC_FRAME;
}

static const aeh_codec __attribute__((unused)) two = { .name = "two", .decode = two_decode, .encode = upto_encode };

/* "lax": two-byte frames, leaving a partial frame at EOF to the handle. */
static inline int lax_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                      bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    (void)c; (void)st; (void)eof; (void)err;
    if (len < 2)
        return AEH_DEC_MORE;
    *frame = (aeh_span){ buf, 2 };
    *consumed = 2;
    return AEH_DEC_FRAME;
}

static const aeh_codec __attribute__((unused)) lax = { .name = "lax", .decode = lax_decode, .encode = upto_encode };

/* ---------------------------------------------------------- fixture */

typedef struct {
    struct ev_loop *loop;
    int peer;                     /* the other end of the socketpair */
    aeh *h;
    char got[4096];               /* frames joined with '|' */
    int frames, eofs, errors, timeouts, drains;
    aeh_error last;
    bool last_fatal;
    int timeout_which;
    bool destroy_in_cb;
} fx;

static fx F;

static inline void on_frame(aeh *h, aeh_span f, void *arg)
{
    strncat(F.got, (const char *)arg, sizeof F.got - strlen(F.got) - 1);
    strncat(F.got, ":", sizeof F.got - strlen(F.got) - 1);
    size_t n = strlen(F.got);
    if (n + f.n < sizeof F.got - 2) {
        memcpy(F.got + n, f.p, f.n);
        F.got[n + f.n] = '|';
        F.got[n + f.n + 1] = 0;
    }
    F.frames++;
    if (F.destroy_in_cb) {
        aeh_destroy(h);
        F.h = NULL;
    }
}

static inline void on_eof(aeh *h) { (void)h; F.eofs++; ev_break(F.loop, EVBREAK_ALL); }

static inline void on_error(aeh *h, const aeh_error *e, bool fatal)
{
    (void)h;
    F.errors++;
    F.last = *e;
    F.last_fatal = fatal;
    if (fatal)
        F.h = NULL;
    ev_break(F.loop, EVBREAK_ALL);
}

static inline void on_timeout(aeh *h, int which)
{
    (void)h;
    F.timeouts++;
    F.timeout_which = which;
    ev_break(F.loop, EVBREAK_ALL);
}

static inline void on_drain(aeh *h) { (void)h; F.drains++; }

static inline void run_for(double secs) { unit_run_for(F.loop, secs); }

static inline aeh_opts base_opts(int fd)
{
    return (aeh_opts){ .loop = F.loop, .fd = fd, .on_error = on_error, .on_eof = on_eof,
                       .on_timeout = NULL, .on_drain = NULL };
}

static inline void setup(void)
{
    memset(&F, 0, sizeof F);
    signal(SIGPIPE, SIG_IGN);
    F.loop = ev_default_loop(EVFLAG_NOENV);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    F.peer = sv[1];
    aeh_opts o = base_opts(sv[0]);
    F.h = aeh_new(&o);
    ck_assert_ptr_nonnull(F.h);
}

static inline void teardown(void)
{
    if (F.h)
        aeh_destroy(F.h);
    if (F.peer >= 0)
        close(F.peer);
    ev_run(F.loop, EVRUN_NOWAIT);
}

static inline void peer_send(const char *s)
{
    ck_assert_int_eq(write(F.peer, s, strlen(s)), (ssize_t)strlen(s));
}

static inline void peer_close(void)
{
    close(F.peer);
    F.peer = -1;
}

/* Reads from the peer until EOF or `secs`. */
static inline size_t peer_drain(char *buf, size_t size, double secs)
{
    size_t got = 0;
    fcntl(F.peer, F_SETFL, O_NONBLOCK);
    ev_tstamp until = ev_time() + secs;
    while (ev_time() < until) {
        run_for(0.01);
        ssize_t n = read(F.peer, buf + got, size - got);
        if (n == 0)
            break;
        if (n > 0)
            got += (size_t)n;
    }
    return got;
}

#endif
