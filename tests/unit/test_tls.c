/* SPDX-License-Identifier: MIT */
/* TLS on handles, over real socketpairs and a real libev loop, with real
 * GnuTLS on both ends: handshake, typed reads over records, close_notify,
 * truncation, STARTTLS with bytes on either side of the switch, stoptls,
 * autostart, verification failures, bulk data with backpressure.  Plus the
 * tls_detect read type fed in every split. */
#include <ev.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include "unit.h"

/* "upto": frames end at a '.'. */
static int upto_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                       bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    (void)c; (void)eof; (void)err;
    for (size_t i = st->scan; i < len; i++)
        if (buf[i] == '.') {
            *frame = (aeh_span){ buf, i };
            *consumed = i + 1;
            st->scan = 0;
            return AEH_DEC_FRAME;
        }
    st->scan = len;
    return AEH_DEC_MORE;
}

static const aeh_codec upto = { .name = "upto", .decode = upto_decode };

/* ---------------------------------------------------------- two ends */

typedef struct side {
    aeh *h;
    char got[256];                /* frames joined with '|' */
    int frames, eofs, errors, starts, stops;
    bool start_ok;
    aeh_error last;
    char start_msg[200];
    aeh_buf bulk;                 /* raw bytes, for the bulk test */
    void (*on_frame_hook)(struct side *, aeh_span);
} side;

static struct ev_loop *loop;
static side A, B;                 /* A connects, B accepts */
static aeh_tls_ctx *server_ctx, *client_ctx;

static side *side_of(aeh *h) { return aeh_user(h); }

static void on_frame(aeh *h, aeh_span f, void *arg)
{
    (void)arg;
    side *s = side_of(h);
    size_t n = strlen(s->got);
    if (n + f.n + 2 < sizeof s->got) {
        memcpy(s->got + n, f.p, f.n);
        s->got[n + f.n] = '|';
        s->got[n + f.n + 1] = 0;
    }
    s->frames++;
    if (s->on_frame_hook)
        s->on_frame_hook(s, f);
}

static void on_eof(aeh *h) { side_of(h)->eofs++; }

static void on_error(aeh *h, const aeh_error *e, bool fatal)
{
    side *s = side_of(h);
    s->errors++;
    s->last = *e;
    if (fatal)
        s->h = NULL;
}

static void on_starttls(aeh *h, const aeh_error *err)
{
    side *s = side_of(h);
    s->starts++;
    s->start_ok = !err;
    snprintf(s->start_msg, sizeof s->start_msg, "%s", err ? err->msg : "");
    if (err) {
        /* the failure's kind is in the error, not only in its words */
        ck_assert_int_eq(err->code, EPROTO);
        ck_assert_int_eq(err->op, AEH_OP_TLS);
        s->h = NULL;              /* destroyed after this callback */
    }
}

static void on_stoptls(aeh *h) { side_of(h)->stops++; }

static aeh_opts opts_for(side *s, int fd, int tls, aeh_tls_ctx *ctx)
{
    return (aeh_opts){ .loop = loop, .fd = fd, .user = s, .on_error = on_error, .on_eof = on_eof,
                       .on_starttls = on_starttls, .tls = tls, .tls_ctx = ctx };
}

/* Runs the loop until cond holds or secs pass. */
#define RUN_UNTIL(cond, secs)                                               \
    do {                                                                    \
        ev_tstamp until_ = ev_time() + (secs);                              \
        while (!(cond) && ev_time() < until_)                               \
            unit_run_for(loop, 0.005);                                      \
    } while (0)

static aeh_tls_ctx *make_ctx(const aeh_tls_opts *o)
{
    aeh_error e;
    aeh_tls_ctx *c = aeh_tls_ctx_new(o, &e);
    if (!c)
        ck_abort_msg("aeh_tls_ctx_new: %s", e.msg);
    return c;
}

static int fds[2];

static void setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    loop = ev_default_loop(EVFLAG_NOENV);
    memset(&A, 0, sizeof A);
    memset(&B, 0, sizeof B);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    server_ctx = make_ctx(&(aeh_tls_opts){ .server = true, .ephemeral = true });
    client_ctx = make_ctx(&(aeh_tls_opts){ .pins = aeh_tls_ctx_pin(server_ctx) });
}

static void teardown(void)
{
    aeh_destroy(A.h);
    aeh_destroy(B.h);
    ev_run(loop, EVRUN_NOWAIT);
    aeh_tls_ctx_free(server_ctx);
    aeh_tls_ctx_free(client_ctx);
    aeh_buf_free(&A.bulk);
    aeh_buf_free(&B.bulk);
}

static void open_pair(int a_tls, aeh_tls_ctx *a_ctx, int b_tls, aeh_tls_ctx *b_ctx)
{
    aeh_opts oa = opts_for(&A, fds[0], a_tls, a_ctx), ob = opts_for(&B, fds[1], b_tls, b_ctx);
    A.h = aeh_new(&oa);
    B.h = aeh_new(&ob);
    ck_assert_ptr_nonnull(A.h);
    ck_assert_ptr_nonnull(B.h);
    aeh_read_frames(A.h, &upto, on_frame, NULL);
    aeh_read_frames(B.h, &upto, on_frame, NULL);
}

/* ---------------------------------------------------------- tests */

START_TEST(frames_both_ways_and_close_notify_is_eof)
{
    open_pair(AEH_TLS_CONNECT, client_ctx, AEH_TLS_ACCEPT, server_ctx);
    aeh_push_write(A.h, "hello.wor", 9);     /* queued during the handshake */
    aeh_push_write(A.h, "ld.", 3);
    aeh_push_write(B.h, "hi.", 3);
    aeh_push_shutdown(A.h);
    RUN_UNTIL(B.eofs && A.frames == 1, 5);
    ck_assert_int_eq(A.starts, 1);
    ck_assert(A.start_ok);
    ck_assert_int_eq(B.starts, 1);
    ck_assert_str_eq(B.got, "hello|world|");
    ck_assert_int_eq(B.eofs, 1);              /* close_notify, not truncation */
    ck_assert_int_eq(B.errors, 0);
    ck_assert_str_eq(A.got, "hi|");
    aeh_push_shutdown(B.h);
    RUN_UNTIL(A.eofs, 5);
    ck_assert_int_eq(A.eofs, 1);
    ck_assert_int_eq(A.errors, 0);
    aeh_buf info = { 0 };
    ck_assert_int_eq(aeh_tls_describe(A.h, &info), 0);
    ck_assert_int_eq(aeh_buf_append(&info, "", 1), 0);
    ck_assert_ptr_nonnull(strstr((char *)aeh_buf_data(&info), "verification ok (pinned key)"));
    ck_assert_ptr_nonnull(strstr((char *)aeh_buf_data(&info), "version TLS1."));
    aeh_buf_free(&info);

    /* the same, typed: the client pinned the server's key; the server
     * asked for no certificate, and the client sent no SNI (a pin alone) */
    aeh_tls_info ti;
    ck_assert_int_eq(aeh_tls_get_info(A.h, &ti), 0);
    ck_assert(!strncmp(ti.version, "TLS1.", 5));
    ck_assert_int_gt(strlen(ti.cipher), 0);
    ck_assert(!ti.accepting);
    ck_assert(!ti.has_alpn);
    ck_assert_int_eq(ti.verification, AEH_TLS_VERIFIED_PIN);
    ck_assert_str_eq(aeh_tls_verification_str(ti.verification), "ok (pinned key)");
    ck_assert_uint_eq(ti.ncerts, 1);
    ck_assert_str_eq(ti.peer_pin, aeh_tls_ctx_pin(server_ctx));
    ck_assert_uint_eq(ti.certs[0].subject_len, strlen(ti.certs[0].subject));
    ck_assert_int_gt(strlen(ti.certs[0].valid_to), 0);
    ck_assert_int_eq(aeh_tls_get_info(B.h, &ti), 0);
    ck_assert(ti.accepting);
    ck_assert(!ti.has_sni);
    ck_assert_uint_eq(ti.ncerts, 0);
    ck_assert_str_eq(ti.peer_pin, "");
    ck_assert_int_eq(ti.verification, AEH_TLS_NO_CLIENT_CERT_ASKED);
}
END_TEST

START_TEST(truncation_is_eproto_after_the_data)
{
    open_pair(AEH_TLS_CONNECT, client_ctx, AEH_TLS_ACCEPT, server_ctx);
    aeh_push_write(B.h, "last.words.", 11);
    RUN_UNTIL(A.frames == 2, 5);
    shutdown(fds[1], SHUT_WR);                /* TCP end, no close_notify */
    RUN_UNTIL(A.errors, 5);
    ck_assert_str_eq(A.got, "last|words|");
    ck_assert_int_eq(A.errors, 1);
    ck_assert_int_eq(A.last.code, EPROTO);
    ck_assert_int_eq(A.last.op, AEH_OP_TLS);
    ck_assert_ptr_nonnull(strstr(A.last.msg, "without close_notify"));
    ck_assert_int_eq(A.last.reason, AEH_REASON_TRUNCATED);
    ck_assert_int_eq(A.eofs, 0);
}
END_TEST

START_TEST(truncation_allowed_reads_as_eof)
{
    aeh_tls_ctx *lax = make_ctx(&(aeh_tls_opts){ .pins = aeh_tls_ctx_pin(server_ctx),
                                                 .allow_truncation = true });
    open_pair(AEH_TLS_CONNECT, lax, AEH_TLS_ACCEPT, server_ctx);
    aeh_push_write(B.h, "bye.", 4);
    RUN_UNTIL(A.frames == 1, 5);
    shutdown(fds[1], SHUT_WR);
    RUN_UNTIL(A.eofs, 5);
    ck_assert_int_eq(A.eofs, 1);
    ck_assert_int_eq(A.errors, 0);
    aeh_destroy(A.h);
    A.h = NULL;
    aeh_tls_ctx_free(lax);
}
END_TEST

/* After our close_notify, the peer's bare TCP close at a record boundary
 * is its end (real servers never answer ours), and says so; strict_close
 * keeps it a truncation. */
START_TEST(after_our_close_notify_a_bare_close_is_eof)
{
    open_pair(AEH_TLS_CONNECT, client_ctx, AEH_TLS_ACCEPT, server_ctx);
    aeh_push_write(B.h, "reply.", 6);
    RUN_UNTIL(A.frames == 1, 5);
    aeh_push_shutdown(A.h);
    RUN_UNTIL(B.eofs, 5);                     /* our close_notify arrived */
    shutdown(fds[1], SHUT_WR);                /* answered by TCP alone */
    RUN_UNTIL(A.eofs || A.errors, 5);
    ck_assert_int_eq(A.eofs, 1);
    ck_assert_int_eq(A.errors, 0);
    ck_assert(aeh_tls_ragged_eof(A.h));
}
END_TEST

START_TEST(strict_close_keeps_it_eproto)
{
    aeh_tls_ctx *strict = make_ctx(&(aeh_tls_opts){ .pins = aeh_tls_ctx_pin(server_ctx),
                                                    .strict_close = true });
    open_pair(AEH_TLS_CONNECT, strict, AEH_TLS_ACCEPT, server_ctx);
    aeh_push_write(B.h, "reply.", 6);
    RUN_UNTIL(A.frames == 1, 5);
    aeh_push_shutdown(A.h);
    RUN_UNTIL(B.eofs, 5);
    shutdown(fds[1], SHUT_WR);
    RUN_UNTIL(A.errors, 5);
    ck_assert_int_eq(A.eofs, 0);
    ck_assert_int_eq(A.last.code, EPROTO);
    ck_assert_ptr_nonnull(strstr(A.last.msg, "without close_notify after ours"));
    ck_assert_int_eq(A.last.reason, AEH_REASON_TRUNCATED);
    aeh_tls_ctx_free(strict);
}
END_TEST

/* The STARTTLS dance.  Server: "go." then starttls at once: the reply
 * must leave in plaintext ahead of the handshake (AnyEvent would encrypt
 * it).  Client: starttls from the frame callback that read "go", then
 * "secret.", queued after the switch: encrypted. */
static void server_on_command(side *s, aeh_span f)
{
    if (f.n == 8 && !memcmp(f.p, "STARTTLS", 8)) {
        aeh_push_write(s->h, "go.", 3);
        aeh_starttls(s->h, AEH_TLS_ACCEPT, server_ctx, NULL);
    }
}

static void client_on_go(side *s, aeh_span f)
{
    if (f.n == 2 && !memcmp(f.p, "go", 2)) {
        aeh_starttls(s->h, AEH_TLS_CONNECT, client_ctx, NULL);
        aeh_push_write(s->h, "secret.", 7);
    }
}

START_TEST(starttls_reply_goes_out_in_plaintext_first)
{
    open_pair(0, NULL, 0, NULL);
    B.on_frame_hook = server_on_command;
    A.on_frame_hook = client_on_go;
    aeh_push_write(A.h, "STARTTLS.", 9);
    RUN_UNTIL(B.frames == 2, 5);
    ck_assert_str_eq(B.got, "STARTTLS|secret|");
    ck_assert_str_eq(A.got, "go|");
    ck_assert(aeh_tls_active(A.h) && aeh_tls_active(B.h));
    ck_assert_int_eq(A.starts, 1);
    ck_assert(A.start_ok);
    ck_assert_int_eq(A.errors + B.errors, 0);
}
END_TEST

/* A client that does not wait: its ClientHello follows the command in the
 * same write, so the server has it buffered when its frame callback starts
 * TLS.  The buffered bytes go to TLS, never read as plaintext. */
static void server_on_pipelined(side *s, aeh_span f)
{
    if (f.n == 8 && !memcmp(f.p, "STARTTLS", 8))
        aeh_starttls(s->h, AEH_TLS_ACCEPT, server_ctx, NULL);
}

START_TEST(starttls_takes_a_pipelined_client_hello)
{
    open_pair(0, NULL, 0, NULL);
    B.on_frame_hook = server_on_pipelined;
    aeh_stop_read(B.h);                       /* so that one read takes both */
    aeh_push_write(A.h, "STARTTLS.", 9);
    aeh_starttls(A.h, AEH_TLS_CONNECT, client_ctx, NULL);
    aeh_push_write(A.h, "secret.", 7);
    unit_run_for(loop, 0.1);
    ck_assert_uint_eq(aeh_wbuf_len(A.h), 7);  /* only "secret." waits, for the handshake */
    aeh_start_read(B.h);
    RUN_UNTIL(B.frames == 2, 5);
    ck_assert_str_eq(B.got, "STARTTLS|secret|");
    ck_assert(aeh_tls_active(B.h));
    ck_assert_int_eq(A.errors + B.errors, 0);
}
END_TEST

START_TEST(stoptls_returns_to_plaintext)
{
    open_pair(AEH_TLS_CONNECT, client_ctx, AEH_TLS_ACCEPT, server_ctx);
    aeh_on_stoptls(B.h, on_stoptls);
    aeh_push_write(A.h, "secret.", 7);
    aeh_stoptls(A.h);
    aeh_push_write(A.h, "plain.", 6);
    RUN_UNTIL(B.frames == 2, 5);
    ck_assert_str_eq(B.got, "secret|plain|");
    ck_assert_int_eq(B.stops, 1);
    ck_assert(!aeh_tls_active(A.h));
    ck_assert(!aeh_tls_active(B.h));
    ck_assert_int_eq(A.errors + B.errors, 0);
}
END_TEST

/* The tap: each side's bytes, sent and received, as on_bytes saw them. */
typedef struct tapped {
    aeh_buf sent, recv;
} tapped;

static void on_bytes(aeh *h, int dir, const uint8_t *p, size_t n, void *arg)
{
    (void)h;
    tapped *t = arg;
    ck_assert(dir == AEH_BYTES_SENT || dir == AEH_BYTES_RECV);
    ck_assert_uint_gt(n, 0);
    aeh_buf_append(dir == AEH_BYTES_SENT ? &t->sent : &t->recv, p, n);
}

static void tapped_free(tapped *t)
{
    aeh_buf_free(&t->sent);
    aeh_buf_free(&t->recv);
}

static bool buf_is(const aeh_buf *b, const char *s)
{
    return aeh_buf_len(b) == strlen(s) && !memcmp(aeh_buf_data(b), s, strlen(s));
}

/* Through a STARTTLS: the plaintext tap sees the application's bytes on
 * both sides of the switch, never a record; the wire tap sees every byte
 * of the fd, the plaintext before the switch, then records. */
START_TEST(tap_sees_plaintext_or_the_wire_through_starttls)
{
    tapped ta = { 0 }, tb = { 0 };
    open_pair(0, NULL, 0, NULL);
    aeh_on_bytes(A.h, on_bytes, &ta, false);
    aeh_on_bytes(B.h, on_bytes, &tb, true);
    B.on_frame_hook = server_on_command;
    A.on_frame_hook = client_on_go;
    aeh_push_write(A.h, "STARTTLS.", 9);
    RUN_UNTIL(B.frames == 2, 5);
    aeh_push_write(B.h, "bye.", 4);
    RUN_UNTIL(A.frames == 2, 5);
    ck_assert_str_eq(A.got, "go|bye|");
    ck_assert(buf_is(&ta.sent, "STARTTLS.secret."));
    ck_assert(buf_is(&ta.recv, "go.bye."));
    ck_assert_uint_eq(aeh_buf_len(&tb.recv), aeh_bytes_read(B.h));
    ck_assert_uint_eq(aeh_buf_len(&tb.sent), aeh_bytes_written(B.h));
    const uint8_t *r = aeh_buf_data(&tb.recv), *w = aeh_buf_data(&tb.sent);
    ck_assert(!memcmp(r, "STARTTLS.", 9) && r[9] == 22);      /* then a ClientHello record */
    ck_assert(!memcmp(w, "go.", 3) && w[3] == 22);             /* then a ServerHello record */
    ck_assert(!memmem(r, aeh_buf_len(&tb.recv), "secret", 6));
    ck_assert(!memmem(w, aeh_buf_len(&tb.sent), "bye", 3));
    /* unset, it sees nothing more */
    aeh_on_bytes(A.h, NULL, NULL, false);
    aeh_push_write(A.h, "more.", 5);
    RUN_UNTIL(B.frames == 3, 5);
    ck_assert(buf_is(&ta.sent, "STARTTLS.secret."));
    ck_assert_int_eq(A.errors + B.errors, 0);
    tapped_free(&ta);
    tapped_free(&tb);
}
END_TEST

/* After stoptls, the bytes that followed the close_notify in the same read
 * are plaintext: the plaintext tap sees them once, as received. */
START_TEST(tap_plaintext_across_stoptls)
{
    tapped ta = { 0 }, tb = { 0 };
    aeh_opts oa = opts_for(&A, fds[0], AEH_TLS_CONNECT, client_ctx);
    aeh_opts ob = opts_for(&B, fds[1], AEH_TLS_ACCEPT, server_ctx);
    oa.on_bytes = ob.on_bytes = on_bytes;
    oa.bytes_arg = &ta;
    ob.bytes_arg = &tb;
    A.h = aeh_new(&oa);
    B.h = aeh_new(&ob);
    ck_assert_ptr_nonnull(A.h);
    ck_assert_ptr_nonnull(B.h);
    aeh_read_frames(B.h, &upto, on_frame, NULL);
    aeh_on_stoptls(B.h, on_stoptls);
    aeh_push_write(A.h, "secret.", 7);
    aeh_stoptls(A.h);
    aeh_push_write(A.h, "plain.", 6);
    RUN_UNTIL(B.frames == 2, 5);
    ck_assert_str_eq(B.got, "secret|plain|");
    ck_assert(buf_is(&ta.sent, "secret.plain."));
    ck_assert(buf_is(&tb.recv, "secret.plain."));
    ck_assert_int_eq(A.errors + B.errors, 0);
    tapped_free(&ta);
    tapped_free(&tb);
}
END_TEST

START_TEST(autostart_takes_tls_and_plaintext)
{
    for (int tls = 0; tls < 2; tls++) {
        if (tls) {
            teardown();
            setup();
        }
        aeh_opts oa = opts_for(&A, fds[0], tls ? AEH_TLS_CONNECT : 0, client_ctx);
        aeh_opts ob = opts_for(&B, fds[1], 0, NULL);
        A.h = aeh_new(&oa);
        B.h = aeh_new(&ob);
        aeh_push_tls_autostart(B.h, server_ctx);
        aeh_read_frames(B.h, &upto, on_frame, NULL);
        aeh_push_write(A.h, "first.second.", 13);
        RUN_UNTIL(B.frames == 2, 5);
        ck_assert_str_eq(B.got, "first|second|");
        ck_assert(aeh_tls_active(B.h) == (tls == 1));
        ck_assert_int_eq(B.errors, 0);
    }
}
END_TEST

START_TEST(unverified_server_fails_the_handshake_with_a_reason)
{
    /* system trust cannot know an ephemeral certificate */
    aeh_error e;
    aeh_tls_ctx *strict = aeh_tls_ctx_new(&(aeh_tls_opts){ 0 }, &e);
    if (!strict)   /* no ca-certificates: then a CA file that does not match */
        ck_abort_msg("system trust: %s", e.msg);
    aeh_opts oa = opts_for(&A, fds[0], AEH_TLS_CONNECT, strict);
    oa.peername = "localhost";
    aeh_opts ob = opts_for(&B, fds[1], AEH_TLS_ACCEPT, server_ctx);
    A.h = aeh_new(&oa);
    B.h = aeh_new(&ob);
    aeh_read_frames(B.h, &upto, on_frame, NULL);
    RUN_UNTIL(A.starts && (B.starts || B.errors), 5);
    ck_assert_int_eq(A.starts, 1);
    ck_assert(!A.start_ok);
    ck_assert_ptr_nonnull(strstr(A.start_msg, "self-signed"));
    ck_assert_ptr_null(A.h);                  /* destroyed, without on_error */
    ck_assert_int_eq(A.errors, 0);
    /* the server hears an alert, not a bare close */
    ck_assert(B.starts ? !B.start_ok : B.errors == 1);
    ck_assert_ptr_nonnull(strstr(B.starts ? B.start_msg : B.last.msg, "alert"));
    aeh_tls_ctx_free(strict);
}
END_TEST

START_TEST(wrong_pin_fails)
{
    aeh_tls_ctx *other = make_ctx(&(aeh_tls_opts){ .server = true, .ephemeral = true });
    aeh_tls_ctx *pinned = make_ctx(&(aeh_tls_opts){ .pins = aeh_tls_ctx_pin(other) });
    open_pair(AEH_TLS_CONNECT, pinned, AEH_TLS_ACCEPT, server_ctx);
    RUN_UNTIL(A.starts, 5);
    ck_assert(!A.start_ok);
    ck_assert_ptr_nonnull(strstr(A.start_msg, "pin mismatch"));
    ck_assert_ptr_nonnull(strstr(A.start_msg, aeh_tls_ctx_pin(server_ctx)));
    aeh_destroy(B.h);
    B.h = NULL;
    ev_run(loop, EVRUN_NOWAIT);
    aeh_tls_ctx_free(pinned);
    aeh_tls_ctx_free(other);
}
END_TEST

START_TEST(bad_context_options_are_einval_with_offsets)
{
    aeh_error e;
    ck_assert_ptr_null(aeh_tls_ctx_new(&(aeh_tls_opts){ .pins = "pin-sha256:short" }, &e));
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_ptr_null(aeh_tls_ctx_new(&(aeh_tls_opts){ .insecure = true, .priority = "NORMAL:+BOGUS" }, &e));
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_uint_eq(e.offset, 7);
    ck_assert_ptr_null(aeh_tls_ctx_new(&(aeh_tls_opts){ .insecure = true, .alpn = "h2,,x" }, &e));
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_uint_eq(e.offset, 3);
    ck_assert_ptr_null(aeh_tls_ctx_new(&(aeh_tls_opts){ .server = true, .cert_file = "/nonexistent.pem" }, &e));
    ck_assert_int_eq(e.code, ENOENT);
    ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent.pem"));
    ck_assert_ptr_null(aeh_tls_ctx_new(&(aeh_tls_opts){ .server = true, .verify_client = true }, &e));
    ck_assert_int_eq(e.code, EINVAL);
}
END_TEST

/* Bulk both ways at once, 6 MiB each, with small and large writes and the
 * reader stopping now and then: records split across reads, pending
 * plaintext inside GnuTLS, partial socket writes. */
static void on_bulk(aeh *h)
{
    side *s = side_of(h);
    aeh_span r = aeh_rbuf(h);
    aeh_buf_append(&s->bulk, r.p, r.n);
    aeh_rbuf_consume(h, r.n);
}

START_TEST(bulk_both_ways_with_backpressure)
{
    size_t total = 6 << 20;
    uint8_t *data = malloc(total);
    for (size_t i = 0; i < total; i++)
        data[i] = (uint8_t)(i * 131 + (i >> 13));
    aeh_opts oa = opts_for(&A, fds[0], AEH_TLS_CONNECT, client_ctx);
    aeh_opts ob = opts_for(&B, fds[1], AEH_TLS_ACCEPT, server_ctx);
    oa.on_read = ob.on_read = on_bulk;
    A.h = aeh_new(&oa);
    B.h = aeh_new(&ob);
    for (size_t off = 0, step = 1; off < total; off += step, step = step * 3 % 70001 + 1) {
        if (step > total - off)
            step = total - off;
        aeh_push_write(A.h, data + off, step);
        aeh_push_write(B.h, data + off, step);
    }
    aeh_push_shutdown(A.h);
    aeh_push_shutdown(B.h);
    RUN_UNTIL(A.eofs && B.eofs, 20);
    ck_assert_uint_eq(aeh_buf_len(&A.bulk), total);
    ck_assert_uint_eq(aeh_buf_len(&B.bulk), total);
    ck_assert(memcmp(aeh_buf_data(&A.bulk), data, total) == 0);
    ck_assert(memcmp(aeh_buf_data(&B.bulk), data, total) == 0);
    ck_assert_int_eq(A.errors + B.errors, 0);
    free(data);
}
END_TEST

/* ---------------------------------------------------------- tls_detect */

static int detect(const uint8_t *p, size_t n, bool eof, aeh_span *f)
{
    aeh_dstate st = { 0 };
    size_t consumed = 0;
    aeh_error e;
    const aeh_codec *c = aeh_codec_tls_detect();
    int rc = c->decode(c, &st, p, n, eof, f, &consumed, &e);
    ck_assert_uint_eq(consumed, 0);
    return rc;
}

START_TEST(tls_detect_every_prefix)
{
    static const uint8_t hello[] = { 0x16, 3, 1, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 3, 3 };
    static const uint8_t v2[] = { 0x80, 0x2e, 0x01, 3, 1, 0, 0x15 };
    static const uint8_t http[] = "GET / HTTP/1.0\r\n";
    static const uint8_t alert[] = { 0x15, 3, 3, 0, 2, 2, 40 };   /* a record, not a hello */
    aeh_span f;
    for (size_t n = 0; n <= sizeof hello; n++) {
        int rc = detect(hello, n, false, &f);
        if (n < 6) {
            ck_assert_int_eq(rc, AEH_DEC_MORE);
            ck_assert_int_eq(detect(hello, n, true, &f), AEH_DEC_FRAME);
            ck_assert_uint_eq(f.n, 0);        /* cut short: not TLS */
        } else {
            ck_assert_int_eq(rc, AEH_DEC_FRAME);
            ck_assert_uint_eq(f.n, 2);
            ck_assert_int_eq(f.p[0], 3);
            ck_assert_int_eq(f.p[1], 1);
        }
    }
    ck_assert_int_eq(detect(v2, 4, false, &f), AEH_DEC_MORE);
    ck_assert_int_eq(detect(v2, 5, false, &f), AEH_DEC_FRAME);
    ck_assert_uint_eq(f.n, 2);
    ck_assert_int_eq(f.p[1], 1);
    for (size_t n = 1; n < sizeof http; n++) {
        ck_assert_int_eq(detect(http, n, false, &f), AEH_DEC_FRAME);
        ck_assert_uint_eq(f.n, 0);
    }
    ck_assert_int_eq(detect(alert, sizeof alert, false, &f), AEH_DEC_FRAME);
    ck_assert_uint_eq(f.n, 0);
    ck_assert_int_eq(detect(hello, 0, false, &f), AEH_DEC_MORE);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("tls");
    TCase *tc = tcase_create("handle");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, frames_both_ways_and_close_notify_is_eof);
    tcase_add_test(tc, truncation_is_eproto_after_the_data);
    tcase_add_test(tc, truncation_allowed_reads_as_eof);
    tcase_add_test(tc, after_our_close_notify_a_bare_close_is_eof);
    tcase_add_test(tc, strict_close_keeps_it_eproto);
    tcase_add_test(tc, starttls_reply_goes_out_in_plaintext_first);
    tcase_add_test(tc, starttls_takes_a_pipelined_client_hello);
    tcase_add_test(tc, stoptls_returns_to_plaintext);
    tcase_add_test(tc, tap_sees_plaintext_or_the_wire_through_starttls);
    tcase_add_test(tc, tap_plaintext_across_stoptls);
    tcase_add_test(tc, autostart_takes_tls_and_plaintext);
    tcase_add_test(tc, unverified_server_fails_the_handshake_with_a_reason);
    tcase_add_test(tc, wrong_pin_fails);
    tcase_add_test(tc, bad_context_options_are_einval_with_offsets);
    tcase_add_test(tc, bulk_both_ways_with_backpressure);
    suite_add_tcase(s, tc);
    TCase *td = tcase_create("tls_detect");
    tcase_add_test(td, tls_detect_every_prefix);
    suite_add_tcase(s, td);
    return s;
}

/* No fork per test: LeakSanitizer (clang 14) crashes reading the
 * thread-local blocks of the dlopen'ed GnuTLS in check's forked children. */
int main(void)
{
    SRunner *sr = srunner_create(make_suite());
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_set_tap(sr, "-");
    srunner_run_all(sr, CK_SILENT);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
