/* SPDX-License-Identifier: MIT */
/* dialog: send / expect / sleep / starttls steps run in order on a handle,
 * before whatever the user does with it next (aecat's --send, --expect,
 * --reject, --sleep, --starttls; a smoke test in one command).
 *
 * An expect waits, skipping, for the first frame its pattern matches (with
 * a recv codec), or for the bytes up to and including the first match (raw:
 * AnyEvent's regex read, so the search resumes instead of rescanning and
 * gives the same answer however the bytes arrive).  Its reject patterns
 * fail the dialog if they match first.  Every waiting step (expect,
 * starttls) is bounded by step_timeout.  While the dialog runs it owns the
 * handle's user pointer and its callbacks; on_done gives them back (user
 * pointer restored, callbacks cleared). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <ev.h>
#include "codec_int.h"
#include "rematch_int.h"
#include "starttls_int.h"

enum {
    TAIL_MAX = 200,
    FILE_CHUNK = 128 * 1024,      /* a streamed file is read this much per drain */
};

typedef struct dstep {
    int kind;
    aeh_buf wire;                 /* SEND: the bytes as they go out (encoded) */
    aeh_buf data;                 /* SEND: as given, for events; a streamed file's chunk */
    int file_fd;                  /* SEND of a raw file: streamed from here as the handle
                                   * drains; -1 when not (or no longer) */
    char *regex;                  /* EXPECT */
    rematch *expect, *reject;     /* EXPECT, framed: searched in each frame */
    aeh_codec *raw;               /* EXPECT, raw: regex read of expect + reject */
    double seconds;               /* SLEEP */
    int tls_mode;                 /* STARTTLS */
    const stls_preset *preset;    /* STARTTLS: the protocol's upgrade first, or NULL */
} dstep;

struct aeh_dialog {
    dstep *steps;
    size_t n, at;
    const aeh_codec *recv_codec;
    double step_timeout;
    aeh_tls_ctx *tls_ctx;
    char *peername, *starttls_name;
    stls *stls;                   /* the STARTTLS protocol run of the current step */
    bool reissue, reissuing;      /* starttls_reissue; its exchange is running */
    void (*on_event)(aeh_dialog *, const aeh_dialog_event *, void *);
    void (*on_done)(aeh_dialog *, const aeh_dialog_result *, void *);
    void *arg;
    /* while running */
    aeh *h;
    struct ev_loop *loop;
    void *saved_user;
    ev_timer step_w;              /* step_timeout */
    ev_timer sleep_w;
    ev_tstamp step_t0;
    bool running, in_step;        /* in_step: run_steps is on the stack */
    int timeout_which;            /* the handle's timeout that ended it, or 0 */
    uint8_t tail[TAIL_MAX];       /* the last bytes received, for messages */
    size_t tail_len;
};

/* ------------------------------------------------------------ building */

static void step_free(dstep *s)
{
    if (s->file_fd >= 0)
        close(s->file_fd);
    s->file_fd = -1;
    aeh_buf_free(&s->wire);
    aeh_buf_free(&s->data);
    free(s->regex);
    aeh__rematch_free(s->expect);
    aeh__rematch_free(s->reject);
    aeh_codec_free(s->raw);
}

void aeh_dialog_free(aeh_dialog *d)
{
    if (!d)
        return;
    if (d->loop) {
        ev_timer_stop(d->loop, &d->step_w);
        ev_timer_stop(d->loop, &d->sleep_w);
    }
    for (size_t i = 0; i < d->n; i++)
        step_free(&d->steps[i]);
    free(d->steps);
    free(d->peername);
    free(d->starttls_name);
    aeh__stls_free(d->stls);
    free(d);
}

/* The alternation of the reject patterns that wait with this expect. */
static char *join_rejects(const aeh_step *steps, size_t from, size_t to)
{
    aeh_buf b = { 0 };
    for (size_t i = from; i < to; i++) {
        if (steps[i].kind != AEH_STEP_REJECT)
            continue;
        if (aeh_buf_len(&b))
            aeh_buf_append(&b, "|", 1);
        aeh_buf_append(&b, "(?:", 3);
        aeh_buf_append(&b, steps[i].regex, strlen(steps[i].regex));
        aeh_buf_append(&b, ")", 1);
    }
    if (!aeh_buf_len(&b))
        return NULL;
    aeh_buf_append(&b, "", 1);
    char *s = strdup((const char *)aeh_buf_data(&b));
    aeh_buf_free(&b);
    return s;
}

/* A SEND step's file: opened now, so that a missing one fails before any
 * connection (op AEH_OP_READ).  Raw, it is streamed while running; framed,
 * it is one frame, read now up to the codec's max_frame (EMSGSIZE, op
 * AEH_OP_ENCODE, as soon as it holds more: never read whole). */
static int open_file(dstep *ds, const char *file, const aeh_codec *send_codec, aeh_error *err)
{
    struct stat st;
    int e = 0;
    ds->file_fd = open(file, O_RDONLY | O_CLOEXEC);
    if (ds->file_fd < 0 || fstat(ds->file_fd, &st) < 0)
        e = errno;
    else if (S_ISDIR(st.st_mode))
        e = EISDIR;               /* open() takes it; read() would fail mid-run */
    if (e) {
        aeh_fail(err, e, 0, "cannot read %s: %s", file, strerror(e));
        err->op = AEH_OP_READ;
        return -1;
    }
    if (!send_codec)
        return 0;
    size_t max = send_codec->max_frame;
    for (;;) {
        uint8_t *p = aeh_buf_reserve(&ds->data, FILE_CHUNK);
        if (!p)
            return aeh_fail(err, ENOMEM, 0, "out of memory");
        ssize_t n = read(ds->file_fd, p, FILE_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            aeh_fail(err, errno, 0, "cannot read %s: %s", file, strerror(errno));
            err->op = AEH_OP_READ;
            return -1;
        }
        if (n == 0)
            break;
        aeh_buf_commit(&ds->data, (size_t)n);
        if (max && aeh_buf_len(&ds->data) > max) {
            aeh_fail(err, EMSGSIZE, 0, "%s holds more than the frame limit of %zu bytes", file, max);
            err->op = AEH_OP_ENCODE;
            return -1;
        }
    }
    close(ds->file_fd);
    ds->file_fd = -1;
    return 0;
}

static int build_expect(aeh_dialog *d, dstep *ds, const aeh_step *st, const char *rejects,
                        aeh_error *err)
{
    aeh_error e;
    ds->regex = strdup(st->regex);
    if (!ds->regex)
        return aeh_fail(err, ENOMEM, 0, "out of memory");
    if (!d->recv_codec) {
        /* a raw stream is lines to most protocols: ^250 must find the
         * last line of a multi-line reply, not only what is unread */
        ds->raw = aeh__codec_regex_new(st->regex, rejects, NULL, REMATCH_MULTILINE, &e);
        if (ds->raw)
            return 0;
    } else {
        ds->expect = aeh__rematch_new("expect", st->regex, strlen(st->regex), 0, &e);
        if (ds->expect && rejects)
            ds->reject = aeh__rematch_new("reject", rejects, strlen(rejects), 0, &e);
        if (ds->expect && (!rejects || ds->reject))
            return 0;
    }
    *err = e;                     /* a syntax error, with its offset in the pattern */
    return -1;
}

/* Each builder returns 0, or -1 with err set for a step the caller names,
 * or BUILD_NOMEM: out of memory names no step. */
enum { BUILD_NOMEM = -2 };

static int nomem(aeh_error *err)
{
    aeh_fail(err, ENOMEM, 0, "out of memory");
    return BUILD_NOMEM;
}

static int build_send(dstep *ds, const aeh_step *st, const aeh_codec *send_codec, aeh_error *err)
{
    if (st->file) {
        if (open_file(ds, st->file, send_codec, err) < 0)
            return -1;
    } else if (aeh_buf_append(&ds->data, st->data, st->len) < 0) {
        return nomem(err);
    }
    if (ds->file_fd >= 0)
        return 0;                 /* raw file: streamed while running */
    if (send_codec)
        return send_codec->encode(send_codec, aeh_buf_data(&ds->data), aeh_buf_len(&ds->data),
                                  &ds->wire, err);
    if (aeh_buf_append(&ds->wire, aeh_buf_data(&ds->data), aeh_buf_len(&ds->data)) < 0)
        return nomem(err);
    return 0;
}

/* A reject is checked now for its syntax; it runs inside the next expect. */
static int check_reject(const aeh_step *steps, size_t n, size_t i, aeh_error *err)
{
    bool later = false;
    for (size_t k = i + 1; k < n && !later; k++)
        later = steps[k].kind == AEH_STEP_EXPECT;
    if (!later)
        return aeh_fail(err, EINVAL, 0, "a reject pattern needs an expect after it");
    aeh_error e;
    rematch *rm = aeh__rematch_new("reject", steps[i].regex, strlen(steps[i].regex), 0, &e);
    if (!rm) {
        *err = e;
        return -1;
    }
    aeh__rematch_free(rm);
    return 0;
}

static int build_starttls(aeh_dialog *d, dstep *ds, const aeh_step *st, aeh_error *err)
{
    if (!d->tls_ctx)
        return aeh_fail(err, EINVAL, 0, "starttls needs a TLS context");
    ds->tls_mode = st->tls_mode ? st->tls_mode : AEH_TLS_CONNECT;
    if (!st->proto || !strcmp(st->proto, "now"))
        return 0;
    bool server = ds->tls_mode == AEH_TLS_ACCEPT;
    ds->preset = aeh__stls_find(st->proto, server);
    if (!ds->preset)
        return aeh_fail(err, EINVAL, 0, "unknown STARTTLS protocol '%s' for a %s (expected %s)",
                        st->proto, server ? "server" : "client", aeh__stls_names(server));
    /* refused now, before any connection, not sent as two lines */
    if (d->starttls_name && aeh__stls_check_name(d->starttls_name, err) < 0)
        return -1;
    return 0;
}

static aeh_dialog *dialog_alloc(size_t n, const aeh_dialog_opts *o)
{
    aeh_dialog *d = calloc(1, sizeof *d);
    if (!d || !(d->steps = calloc(n ? n : 1, sizeof *d->steps))) {
        free(d);
        return NULL;
    }
    for (size_t i = 0; i < (n ? n : 1); i++)
        d->steps[i].file_fd = -1;
    d->recv_codec = o->recv_codec;
    d->step_timeout = o->step_timeout;
    d->tls_ctx = o->tls_ctx;
    d->on_event = o->on_event;
    d->on_done = o->on_done;
    d->arg = o->arg;
    d->reissue = o->starttls_reissue;
    const char *sname = o->starttls_name ? o->starttls_name : o->peername;
    if ((o->peername && !(d->peername = strdup(o->peername))) ||
        (sname && !(d->starttls_name = strdup(sname)))) {
        aeh_dialog_free(d);
        return NULL;
    }
    return d;
}

aeh_dialog *aeh_dialog_new(const aeh_step *steps, size_t n, const aeh_dialog_opts *o,
                           size_t *bad_step, aeh_error *err)
{
    size_t unused;
    if (!bad_step)
        bad_step = &unused;
    *bad_step = 0;
    aeh_dialog *d = dialog_alloc(n, o);
    if (!d) {
        aeh_fail(err, ENOMEM, 0, "out of memory");
        return NULL;
    }
    size_t last_wait = 0;         /* where the rejects of the next expect begin */
    for (size_t i = 0; i < n; i++) {
        const aeh_step *st = &steps[i];
        dstep *ds = &d->steps[d->n];
        int rc = 0;
        memset(err, 0, sizeof *err);
        switch (st->kind) {
        case AEH_STEP_SEND:
            rc = build_send(ds, st, o->send_codec, err);
            break;
        case AEH_STEP_EXPECT: {
            char *rejects = join_rejects(steps, last_wait, i);
            /* a pattern of the joined rejects fails only as a whole:
             * each was checked alone already, so it is the expect */
            rc = build_expect(d, ds, st, rejects, err);
            free(rejects);
            last_wait = i + 1;
            break;
        }
        case AEH_STEP_REJECT:
            if (check_reject(steps, n, i, err) < 0) {
                *bad_step = i;
                aeh_dialog_free(d);
                return NULL;
            }
            continue;             /* not a step of its own */
        case AEH_STEP_SLEEP:
            ds->seconds = st->seconds;
            break;
        case AEH_STEP_STARTTLS:
            rc = build_starttls(d, ds, st, err);
            break;
        default:
            rc = aeh_fail(err, EINVAL, 0, "unknown step kind %d", st->kind);
            break;
        }
        if (rc < 0) {
            *bad_step = rc == BUILD_NOMEM ? n : i;
            step_free(ds);        /* the step being built, not yet counted */
            aeh_dialog_free(d);
            return NULL;
        }
        ds->kind = st->kind;
        d->n++;
    }
    return d;
}

/* ------------------------------------------------------------ running */

static void run_steps(aeh_dialog *d);

static void keep_tail(aeh_dialog *d, const uint8_t *p, size_t n)
{
    if (!n)
        return;                   /* p may be NULL (an empty read buffer) */
    if (n >= TAIL_MAX) {
        memcpy(d->tail, p + n - TAIL_MAX, TAIL_MAX);
        d->tail_len = TAIL_MAX;
        return;
    }
    size_t keep = d->tail_len + n > TAIL_MAX ? TAIL_MAX - n : d->tail_len;
    memmove(d->tail, d->tail + d->tail_len - keep, keep);
    memcpy(d->tail + keep, p, n);
    d->tail_len = keep + n;
}

static void emit(aeh_dialog *d, int kind, const void *p, size_t n)
{
    if (!d->on_event)
        return;
    aeh_dialog_event ev = {
        .kind = kind, .step = d->at, .data = { p, n },
        .elapsed = ev_now(d->loop) - d->step_t0,
    };
    d->on_event(d, &ev, d->arg);
}

/* The end: gives the handle back, then tells the user.  handle_gone: a
 * fatal error or a failed handshake is destroying it. */
static void finish(aeh_dialog *d, int status, const aeh_error *e, bool handle_gone)
{
    if (!d->running)
        return;
    d->running = false;
    ev_timer_stop(d->loop, &d->step_w);
    ev_timer_stop(d->loop, &d->sleep_w);
    aeh *h = d->h;
    aeh_dialog_result r = { .status = status, .step = d->at, .handle_gone = handle_gone };
    if (e)
        r.err = *e;
    if (status != AEH_DIALOG_OK) {
        /* what arrived and matched nothing is the most telling part (a
         * handle being destroyed is still whole during its callback) */
        aeh_span rb = aeh_rbuf(h);
        keep_tail(d, rb.p, rb.n);
    }
    r.last = (aeh_span){ d->tail, d->tail_len };
    r.elapsed = ev_now(d->loop) - d->step_t0;
    r.timeout_which = d->timeout_which;
    aeh_set_user(h, d->saved_user);
    aeh_on_drain(h, NULL);        /* a file being streamed */
    aeh_on_eof(h, NULL);
    aeh_on_error(h, NULL);
    aeh_on_starttls(h, NULL);
    aeh_on_timeout(h, NULL);
    d->on_done(d, &r, d->arg);
}

static void step_done(aeh_dialog *d)
{
    ev_timer_stop(d->loop, &d->step_w);
    emit(d, AEH_DIALOG_STEP_DONE, NULL, 0);
    d->at++;
    run_steps(d);
}

static void step_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop; (void)revents;
    aeh_dialog *d = w->data;
    aeh_error e;
    aeh_fail(&e, ETIMEDOUT, 0, "step not done within %g s", d->step_timeout);
    finish(d, AEH_DIALOG_TIMEOUT, &e, false);
}

static void sleep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop; (void)revents;
    step_done(w->data);
}

/* A raw file step: the next chunk each time the handle's queue has drained
 * to its low-water mark, so that memory stays bounded whatever the file's
 * size and however slowly the peer reads; the step ends at the file's end. */
static void file_drain(aeh *h)
{
    aeh_dialog *d = aeh_user(h);
    dstep *ds = &d->steps[d->at];
    aeh_buf_clear(&ds->data);
    uint8_t *p = aeh_buf_reserve(&ds->data, FILE_CHUNK);
    ssize_t n;
    do
        n = p ? read(ds->file_fd, p, FILE_CHUNK) : -1;
    while (n < 0 && p && errno == EINTR);
    if (n < 0) {
        aeh_error e;
        int code = p ? errno : ENOMEM;
        aeh_fail(&e, code, 0, "reading the file to send: %s", strerror(code));
        e.op = AEH_OP_READ;
        finish(d, AEH_DIALOG_ERROR, &e, false);
        return;
    }
    if (n == 0) {
        aeh_on_drain(h, NULL);
        aeh_buf_free(&ds->data);  /* a file step streams once */
        close(ds->file_fd);
        ds->file_fd = -1;
        step_done(d);
        return;
    }
    aeh_buf_commit(&ds->data, (size_t)n);
    emit(d, AEH_DIALOG_SENT, p, (size_t)n);
    aeh_push_write(h, p, (size_t)n);   /* on failure on_error ends the dialog */
}

static void framed_cb(aeh *h, aeh_span f, void *arg);

static void raw_cb(aeh *h, aeh_span f, void *arg)
{
    (void)h;
    aeh_dialog *d = arg;
    if (!d->running)              /* a read left queued by a failed dialog */
        return;
    keep_tail(d, f.p, f.n);
    emit(d, AEH_DIALOG_MATCHED, f.p, f.n);
    step_done(d);
}

static void framed_cb(aeh *h, aeh_span f, void *arg)
{
    aeh_dialog *d = arg;
    if (!d->running)
        return;
    dstep *ds = &d->steps[d->at];
    keep_tail(d, f.p, f.n);
    size_t a, b;
    aeh_error e;
    int rc = ds->reject ? aeh__rematch_search(ds->reject, f.p, f.n, 0, &a, &b, &e) : REMATCH_MORE;
    if (rc == REMATCH_FOUND) {
        emit(d, AEH_DIALOG_FRAME, f.p, f.n);
        aeh_fail(&e, EBADMSG, 0, "a frame matches the reject pattern");
        finish(d, AEH_DIALOG_REJECTED, &e, false);
        return;
    }
    if (rc != REMATCH_ERROR)
        rc = aeh__rematch_search(ds->expect, f.p, f.n, 0, &a, &b, &e);
    if (rc == REMATCH_ERROR) {
        finish(d, AEH_DIALOG_ERROR, &e, false);
        return;
    }
    if (rc == REMATCH_FOUND) {
        emit(d, AEH_DIALOG_MATCHED, f.p, f.n);
        step_done(d);
        return;
    }
    emit(d, AEH_DIALOG_FRAME, f.p, f.n);
    aeh_push_read(h, d->recv_codec, framed_cb, d);   /* skip it, wait for the next */
}

static void dialog_eof(aeh *h)
{
    aeh_dialog *d = aeh_user(h);
    aeh_error e;
    aeh_fail(&e, EPIPE, 0, "the peer closed the connection first");
    finish(d, AEH_DIALOG_CLOSED, &e, false);
}

static void dialog_error(aeh *h, const aeh_error *e, bool fatal)
{
    aeh_dialog *d = aeh_user(h);
    int status = AEH_DIALOG_ERROR;
    aeh_error copy = *e;
    if (e->op == AEH_OP_DECODE && e->code == EBADMSG && d->at < d->n && d->steps[d->at].raw &&
        e->reason == AEH_REASON_REJECTED) {
        status = AEH_DIALOG_REJECTED;
    } else if (aeh_eof_seen(h) && (e->code == EPIPE || (e->op == AEH_OP_DECODE &&
                                                         e->reason == AEH_REASON_TRUNCATED))) {
        /* EOF while a read waited, with or without a partial frame */
        status = AEH_DIALOG_CLOSED;
        aeh_fail(&copy, EPIPE, 0, "the peer closed the connection first");
    }
    finish(d, status, &copy, fatal);
}

/* Also the end of a handshake begun before the dialog (TLS from the
 * start): then it is only told, no step ends. */
static void dialog_starttls(aeh *h, const aeh_error *err)
{
    aeh_dialog *d = aeh_user(h);
    if (err) {
        finish(d, AEH_DIALOG_TLS, err, true);
        return;
    }
    emit(d, AEH_DIALOG_TLS_DONE, NULL, 0);
    if (d->at >= d->n || d->steps[d->at].kind != AEH_STEP_STARTTLS)
        return;
    const dstep *ds = &d->steps[d->at];
    if (ds->preset && ds->preset->after && d->reissue && d->stls) {
        d->reissuing = true;
        aeh__stls_after(d->stls);
        return;
    }
    step_done(d);
}

/* A STARTTLS protocol's reply: kept for the message if the step fails. */
static void stls_seen(void *arg, const uint8_t *p, size_t n, bool line)
{
    aeh_dialog *d = arg;
    keep_tail(d, p, n);
    if (line)
        keep_tail(d, (const uint8_t *)"\n", 1);
}

/* The protocol's part of a STARTTLS step is over: the handshake, or the
 * peer's refusal. */
static void stls_done(void *arg, const aeh_error *err)
{
    aeh_dialog *d = arg;
    if (!d->running)
        return;
    if (err) {
        finish(d, AEH_DIALOG_REFUSED, err, false);
        return;
    }
    if (d->reissuing) {           /* the hello over TLS was answered */
        d->reissuing = false;
        step_done(d);
        return;
    }
    emit(d, AEH_DIALOG_STARTTLS_GO, NULL, 0);
    const dstep *ds = &d->steps[d->at];
    aeh_starttls(d->h, ds->tls_mode, d->tls_ctx, ds->tls_mode == AEH_TLS_CONNECT ? d->peername : NULL);
}

/* The handle's own timeouts (idle, read, write) end the dialog too. */
static void dialog_timeout(aeh *h, int which)
{
    aeh_dialog *d = aeh_user(h);
    aeh_error e;
    aeh_fail(&e, ETIMEDOUT, 0, "%s", which == AEH_RTIMEOUT ? "nothing received in time"
                                     : which == AEH_WTIMEOUT ? "could not send in time"
                                                             : "no traffic in time");
    aeh_set_timeout(h, which, 0);
    d->timeout_which = which;
    finish(d, AEH_DIALOG_TIMEOUT, &e, false);
}

static void arm_step_timer(aeh_dialog *d)
{
    if (d->step_timeout > 0) {
        ev_timer_set(&d->step_w, d->step_timeout, 0);
        ev_timer_start(d->loop, &d->step_w);
    }
}

/* Runs steps until one has to wait.  Re-entered from callbacks that end a
 * step while an earlier call is still on the stack (a frame already
 * buffered is delivered from inside aeh_push_read): the outer call then
 * goes on, so the stack does not grow with the number of steps. */
static void run_steps(aeh_dialog *d)
{
    if (d->in_step)
        return;
    d->in_step = true;
    size_t before = (size_t)-1;
    while (d->running && d->at < d->n && d->at != before) {
        before = d->at;
        dstep *ds = &d->steps[d->at];
        d->step_t0 = ev_now(d->loop);
        emit(d, AEH_DIALOG_STEP, NULL, 0);
        switch (ds->kind) {
        case AEH_STEP_SEND:
            if (ds->file_fd >= 0) {
                aeh_on_drain(d->h, file_drain);   /* called from the loop, also when empty now */
                break;
            }
            emit(d, AEH_DIALOG_SENT, aeh_buf_data(&ds->data), aeh_buf_len(&ds->data));
            if (aeh_push_write(d->h, aeh_buf_data(&ds->wire), aeh_buf_len(&ds->wire)) < 0)
                break;            /* on_error ended the dialog */
            emit(d, AEH_DIALOG_STEP_DONE, NULL, 0);
            d->at++;
            break;
        case AEH_STEP_EXPECT:
            arm_step_timer(d);
            if (ds->raw)
                aeh_push_read(d->h, ds->raw, raw_cb, d);
            else
                aeh_push_read(d->h, d->recv_codec, framed_cb, d);
            break;
        case AEH_STEP_SLEEP:
            ev_timer_set(&d->sleep_w, ds->seconds, 0);
            ev_timer_start(d->loop, &d->sleep_w);
            break;
        case AEH_STEP_STARTTLS:
            arm_step_timer(d);
            if (ds->preset) {
                aeh_error e;
                aeh__stls_free(d->stls);   /* an earlier run is over: no read of it is pending */
                d->stls = aeh__stls_start(d->h, ds->preset, d->starttls_name, stls_done, stls_seen, d, &e);
                if (!d->stls)
                    finish(d, AEH_DIALOG_ERROR, &e, false);
            } else {
                aeh_starttls(d->h, ds->tls_mode, d->tls_ctx,
                             ds->tls_mode == AEH_TLS_CONNECT ? d->peername : NULL);
            }
            break;
        }
        /* a wait that ended inside the call above moved d->at on */
    }
    d->in_step = false;
    if (d->running && d->at >= d->n)
        finish(d, AEH_DIALOG_OK, NULL, false);
}

int aeh_dialog_run(aeh_dialog *d, aeh *h, aeh_error *err)
{
    if (d->running)
        return aeh_fail(err, EBUSY, 0, "the dialog is already running");
    d->h = h;
    d->loop = aeh_loop(h);
    d->at = 0;
    d->tail_len = 0;
    d->timeout_which = 0;
    d->running = true;
    d->saved_user = aeh_user(h);
    aeh_set_user(h, d);
    aeh_on_eof(h, dialog_eof);
    aeh_on_error(h, dialog_error);
    aeh_on_starttls(h, dialog_starttls);
    aeh_on_timeout(h, dialog_timeout);
    aeh_on_drain(h, NULL);
    aeh_on_read(h, NULL);
    ev_timer_init(&d->step_w, step_timeout_cb, 0, 0);
    ev_timer_init(&d->sleep_w, sleep_cb, 0, 0);
    d->step_w.data = d->sleep_w.data = d;
    run_steps(d);
    return 0;
}

const char *aeh_starttls_protocols(bool server) { return aeh__stls_names(server); }
