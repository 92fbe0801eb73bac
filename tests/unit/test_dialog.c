/* SPDX-License-Identifier: MIT */
/* The dialog over real socketpairs and a real libev loop: each way it can
 * end (every step done, the peer closing first, a reject, the step timeout,
 * a malformed frame), raw and framed expects fed byte by byte, the events,
 * and the checks done before any connection (bad patterns, unframeable
 * data).  The peer end is written and read directly. */
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include "unit.h"

typedef struct {
    struct ev_loop *loop;
    aeh *h;
    int peer;
    bool done;
    aeh_dialog_result r;
    char last[256];
    int frames, matched, sent, steps_done, tls_done;
} fixture;

static void on_event(aeh_dialog *d, const aeh_dialog_event *ev, void *arg)
{
    (void)d;
    fixture *f = arg;
    switch (ev->kind) {
    case AEH_DIALOG_FRAME: f->frames++; break;
    case AEH_DIALOG_MATCHED: f->matched++; break;
    case AEH_DIALOG_SENT: f->sent++; break;
    case AEH_DIALOG_STEP_DONE: f->steps_done++; break;
    case AEH_DIALOG_TLS_DONE: f->tls_done++; break;
    }
}

static void on_done(aeh_dialog *d, const aeh_dialog_result *r, void *arg)
{
    (void)d;
    fixture *f = arg;
    f->done = true;
    f->r = *r;
    snprintf(f->last, sizeof f->last, "%.*s", (int)r->last.n, (const char *)r->last.p);
    f->r.last = (aeh_span){ 0 };
    if (r->handle_gone)
        f->h = NULL;
    ev_break(f->loop, EVBREAK_ALL);
}

static void setup(fixture *f)
{
    memset(f, 0, sizeof *f);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    f->loop = ev_loop_new(EVFLAG_AUTO);
    aeh_opts o = { .loop = f->loop, .fd = sv[0], .user = f };
    f->h = aeh_new(&o);
    ck_assert_ptr_nonnull(f->h);
    f->peer = sv[1];
}

static void teardown(fixture *f, aeh_dialog *d)
{
    aeh_destroy(f->h);
    aeh_dialog_free(d);
    close(f->peer);
    ev_loop_destroy(f->loop);
}

static aeh_dialog *dialog(fixture *f, const aeh_step *steps, size_t n, const aeh_codec *recv,
                          const aeh_codec *send, double step_timeout)
{
    aeh_dialog_opts o = {
        .recv_codec = recv, .send_codec = send, .step_timeout = step_timeout,
        .on_event = on_event, .on_done = on_done, .arg = f,
    };
    size_t bad;
    aeh_error e;
    aeh_dialog *d = aeh_dialog_new(steps, n, &o, &bad, &e);
    ck_assert_msg(d != NULL, "step %zu: %s", bad, e.msg);
    return d;
}

/* Writes s to the peer end one byte per loop turn, so that every pattern
 * is met across reads. */
static void trickle(fixture *f, const char *s)
{
    for (; *s && !f->done; s++) {
        ck_assert_int_eq(write(f->peer, s, 1), 1);
        ev_run(f->loop, EVRUN_NOWAIT);
    }
}

static void peer_reads(fixture *f, const char *want)
{
    char buf[256];
    size_t n = 0, m = strlen(want);
    while (n < m) {
        ev_run(f->loop, EVRUN_NOWAIT);
        ssize_t k = recv(f->peer, buf + n, sizeof buf - n, MSG_DONTWAIT);
        if (k > 0)
            n += (size_t)k;
    }
    ck_assert(n == m && memcmp(buf, want, m) == 0);
}

START_TEST(raw_send_expect_ok)
{
    fixture f;
    setup(&f);
    aeh_step s[] = {
        { .kind = AEH_STEP_SEND, .data = "PING\r\n", .len = 6 },
        { .kind = AEH_STEP_EXPECT, .regex = "^\\+PONG\r\n" },
        { .kind = AEH_STEP_SEND, .data = "QUIT\r\n", .len = 6 },
    };
    aeh_dialog *d = dialog(&f, s, 3, NULL, NULL, 5);
    aeh_error e;
    ck_assert_int_eq(aeh_dialog_run(d, f.h, &e), 0);
    peer_reads(&f, "PING\r\n");
    trickle(&f, "+PONG\r\nrest");
    unit_run_for(f.loop, 2);
    ck_assert(f.done);
    ck_assert_int_eq(f.r.status, AEH_DIALOG_OK);
    ck_assert_int_eq(f.matched, 1);
    ck_assert_int_eq(f.sent, 2);
    ck_assert_int_eq(f.steps_done, 3);
    ck_assert_uint_eq(f.r.step, 3);
    peer_reads(&f, "QUIT\r\n");
    /* the dialog is over: its callbacks are off the handle, "rest" stays */
    ck_assert_ptr_eq(aeh_user(f.h), &f);
    teardown(&f, d);
}
END_TEST

START_TEST(raw_expect_is_multiline)
{
    /* ^ and $ at every line start and end, fed byte by byte: the last line
     * of a multi-line reply; \A only where the unread bytes start */
    fixture f;
    setup(&f);
    aeh_step s[] = {
        { .kind = AEH_STEP_EXPECT, .regex = "^250 " },
        { .kind = AEH_STEP_EXPECT, .regex = "\\Ac\r$" },
        { .kind = AEH_STEP_EXPECT, .regex = "\\A250-b" },
    };
    aeh_dialog *d = dialog(&f, s, 3, NULL, NULL, 5);
    aeh_error e;
    ck_assert_int_eq(aeh_dialog_run(d, f.h, &e), 0);
    trickle(&f, "250-a\r\n250-b\r\n250 c\r\n250-b\r\n");
    shutdown(f.peer, SHUT_WR);
    unit_run_for(f.loop, 2);
    ck_assert(f.done);
    ck_assert_int_eq(f.matched, 2);
    ck_assert_int_eq(f.r.status, AEH_DIALOG_CLOSED);
    ck_assert_uint_eq(f.r.step, 2);
    teardown(&f, d);

    setup(&f);
    aeh_step r[] = {
        { .kind = AEH_STEP_REJECT, .regex = "^5" },
        { .kind = AEH_STEP_EXPECT, .regex = "^220 " },
    };
    d = dialog(&f, r, 2, NULL, NULL, 5);
    ck_assert_int_eq(aeh_dialog_run(d, f.h, &e), 0);
    trickle(&f, "220-hello\r\n554 go away\r\n220 ok\r\n");
    unit_run_for(f.loop, 2);
    ck_assert_int_eq(f.r.status, AEH_DIALOG_REJECTED);
    teardown(&f, d);
}
END_TEST

START_TEST(framed_expect_skips)
{
    fixture f;
    setup(&f);
    aeh_error e;
    aeh_codec *ns = aeh_codec_netstring(&e);
    aeh_step s[] = {
        { .kind = AEH_STEP_SEND, .data = "hello", .len = 5 },
        { .kind = AEH_STEP_EXPECT, .regex = "^ok" },
    };
    aeh_dialog *d = dialog(&f, s, 2, ns, ns, 5);
    ck_assert_int_eq(aeh_dialog_run(d, f.h, &e), 0);
    peer_reads(&f, "5:hello,");
    trickle(&f, "3:abc,2:3:,4:ok!!,");
    unit_run_for(f.loop, 2);
    ck_assert_int_eq(f.r.status, AEH_DIALOG_OK);
    ck_assert_int_eq(f.frames, 2);      /* "abc" and "3:" (the wire's "3:" is not a payload) */
    ck_assert_int_eq(f.matched, 1);
    teardown(&f, d);
    aeh_codec_free(ns);
}
END_TEST

START_TEST(closed_first)
{
    fixture f;
    setup(&f);
    aeh_step s[] = { { .kind = AEH_STEP_EXPECT, .regex = "DONE" } };
    aeh_dialog *d = dialog(&f, s, 1, NULL, NULL, 5);
    aeh_error e;
    ck_assert_int_eq(aeh_dialog_run(d, f.h, &e), 0);
    trickle(&f, "almost DON");
    shutdown(f.peer, SHUT_WR);
    unit_run_for(f.loop, 2);
    ck_assert(f.done);
    ck_assert_int_eq(f.r.status, AEH_DIALOG_CLOSED);
    ck_assert_uint_eq(f.r.step, 0);
    ck_assert_str_eq(f.last, "almost DON");
    teardown(&f, d);
}
END_TEST

START_TEST(rejected_raw_and_framed)
{
    for (int framed = 0; framed < 2; framed++) {
        fixture f;
        setup(&f);
        aeh_error e;
        aeh_codec *line = aeh_codec_line("\n", 1, "\n", 1, &e);
        aeh_step s[] = {
            { .kind = AEH_STEP_REJECT, .regex = "^-ERR" },
            { .kind = AEH_STEP_REJECT, .regex = "fatal" },
            { .kind = AEH_STEP_EXPECT, .regex = "^\\+OK" },
        };
        aeh_dialog *d = dialog(&f, s, 3, framed ? line : NULL, NULL, 5);
        ck_assert_int_eq(aeh_dialog_run(d, f.h, &e), 0);
        trickle(&f, "* note\na fatal error\n+OK\n");
        unit_run_for(f.loop, 2);
        ck_assert_int_eq(f.r.status, AEH_DIALOG_REJECTED);
        ck_assert_uint_eq(f.r.step, 0);
        teardown(&f, d);
        aeh_codec_free(line);
    }
}
END_TEST

START_TEST(step_timeout_and_sleep)
{
    fixture f;
    setup(&f);
    aeh_step s[] = {
        { .kind = AEH_STEP_SLEEP, .seconds = 0.05 },
        { .kind = AEH_STEP_EXPECT, .regex = "never" },
    };
    aeh_dialog *d = dialog(&f, s, 2, NULL, NULL, 0.1);
    aeh_error e;
    ev_tstamp t0 = ev_time();
    ck_assert_int_eq(aeh_dialog_run(d, f.h, &e), 0);
    trickle(&f, "something");
    unit_run_for(f.loop, 3);
    ck_assert_int_eq(f.r.status, AEH_DIALOG_TIMEOUT);
    ck_assert_int_eq(f.r.timeout_which, 0);
    ck_assert_uint_eq(f.r.step, 1);
    ck_assert_double_ge(ev_time() - t0, 0.14);
    ck_assert_str_eq(f.last, "something");
    teardown(&f, d);
}
END_TEST

START_TEST(malformed_frame)
{
    fixture f;
    setup(&f);
    aeh_error e;
    aeh_codec *ns = aeh_codec_netstring(&e);
    aeh_step s[] = { { .kind = AEH_STEP_EXPECT, .regex = "x" } };
    aeh_dialog *d = dialog(&f, s, 1, ns, NULL, 5);
    ck_assert_int_eq(aeh_dialog_run(d, f.h, &e), 0);
    trickle(&f, "1:a,z");
    unit_run_for(f.loop, 2);
    ck_assert_int_eq(f.r.status, AEH_DIALOG_ERROR);
    ck_assert_int_eq(f.r.err.op, AEH_OP_DECODE);
    ck_assert_int_eq(f.r.err.code, EBADMSG);
    ck_assert_uint_eq(f.r.err.offset, 4);
    ck_assert(f.r.handle_gone);
    teardown(&f, d);
    aeh_codec_free(ns);
}
END_TEST

START_TEST(checked_before_running)
{
    aeh_error e;
    size_t bad = 99;
    aeh_dialog_opts o = { .on_done = on_done };
    aeh_step bad_re[] = {
        { .kind = AEH_STEP_SEND, .data = "x", .len = 1 },
        { .kind = AEH_STEP_EXPECT, .regex = "a(b" },
    };
    ck_assert_ptr_null(aeh_dialog_new(bad_re, 2, &o, &bad, &e));
    ck_assert_uint_eq(bad, 1);
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_uint_eq(e.offset, 3);
    aeh_step lone_reject[] = {
        { .kind = AEH_STEP_EXPECT, .regex = "a" },
        { .kind = AEH_STEP_REJECT, .regex = "b" },
    };
    ck_assert_ptr_null(aeh_dialog_new(lone_reject, 2, &o, &bad, &e));
    ck_assert_uint_eq(bad, 1);
    aeh_step starttls[] = { { .kind = AEH_STEP_STARTTLS } };
    ck_assert_ptr_null(aeh_dialog_new(starttls, 1, &o, &bad, &e));
    ck_assert_uint_eq(bad, 0);
    aeh_step bad_reject[] = {
        { .kind = AEH_STEP_SEND, .data = "x", .len = 1 },
        { .kind = AEH_STEP_REJECT, .regex = "(" },
        { .kind = AEH_STEP_EXPECT, .regex = "a" },
    };
    ck_assert_ptr_null(aeh_dialog_new(bad_reject, 3, &o, &bad, &e));
    ck_assert_uint_eq(bad, 1);
    ck_assert_int_eq(e.code, EINVAL);
    aeh_tls_ctx *ctx = aeh_tls_ctx_new(&(aeh_tls_opts){ 0 }, &e);
    ck_assert_ptr_nonnull(ctx);
    o.tls_ctx = ctx;
    aeh_step unknown_proto[] = {
        { .kind = AEH_STEP_SLEEP, .seconds = 0.1 },
        { .kind = AEH_STEP_SEND, .data = "x", .len = 1 },
        { .kind = AEH_STEP_STARTTLS, .proto = "gopher" },
    };
    ck_assert_ptr_null(aeh_dialog_new(unknown_proto, 3, &o, &bad, &e));
    ck_assert_uint_eq(bad, 2);
    ck_assert_ptr_nonnull(strstr(e.msg, "'gopher'"));
    aeh_step unknown_kind[] = {
        { .kind = AEH_STEP_SEND, .data = "x", .len = 1 },
        { .kind = 77 },
    };
    ck_assert_ptr_null(aeh_dialog_new(unknown_kind, 2, &o, &bad, &e));
    ck_assert_uint_eq(bad, 1);
    aeh_dialog *fine = aeh_dialog_new(unknown_proto, 2, &o, &bad, &e);
    ck_assert_ptr_nonnull(fine);
    aeh_dialog_free(fine);
    o.tls_ctx = NULL;
    aeh_tls_ctx_free(ctx);
    aeh_codec *line = aeh_codec_line("\n", 1, "\n", 1, &e);
    o.send_codec = line;
    aeh_step two_lines[] = { { .kind = AEH_STEP_SEND, .data = "a\nb", .len = 3 } };
    ck_assert_ptr_null(aeh_dialog_new(two_lines, 1, &o, &bad, &e));
    ck_assert_uint_eq(bad, 0);
    ck_assert_int_eq(e.code, EINVAL);
    aeh_codec_free(line);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("dialog");
    TCase *t = tcase_create("dialog");
    tcase_set_timeout(t, 30);
    tcase_add_test(t, raw_send_expect_ok);
    tcase_add_test(t, raw_expect_is_multiline);
    tcase_add_test(t, framed_expect_skips);
    tcase_add_test(t, closed_first);
    tcase_add_test(t, rejected_raw_and_framed);
    tcase_add_test(t, step_timeout_and_sleep);
    tcase_add_test(t, malformed_frame);
    tcase_add_test(t, checked_before_running);
    suite_add_tcase(s, t);
    return s;
}

UNIT_MAIN(make_suite)
