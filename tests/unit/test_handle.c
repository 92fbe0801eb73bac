/* SPDX-License-Identifier: MIT */
/* The handle over real socketpairs and a real libev loop: read queue order,
 * EOF rules, write queue, limits, timeouts, destroy from callbacks, linger.
 * Uses its own codecs through the public codec struct, as users would. */
#include <ev.h>
#include "handle_fixture.h"

/* ---------------------------------------------------------- read queue */

START_TEST(queue_order_and_unshift)
{
    aeh_push_read(F.h, &upto, on_frame, "a");
    aeh_push_read(F.h, &two, on_frame, "b");
    aeh_unshift_read(F.h, &two, on_frame, "c");
    peer_send("xyhello.zw");
    run_for(0.2);
    ck_assert_str_eq(F.got, "c:xy|a:hello|b:zw|");
}
END_TEST

static void push_more(aeh *h, aeh_span f, void *arg)
{
    on_frame(h, f, arg);
    /* queue manipulation from inside a callback runs before later requests */
    aeh_unshift_read(h, &two, on_frame, "inner");
}

START_TEST(unshift_inside_callback)
{
    aeh_push_read(F.h, &upto, push_more, "a");
    aeh_push_read(F.h, &upto, on_frame, "b");
    peer_send("one.XYtwo.");
    run_for(0.2);
    ck_assert_str_eq(F.got, "a:one|inner:XY|b:two|");
}
END_TEST

START_TEST(split_bytes_same_frames)
{
    aeh_read_frames(F.h, &upto, on_frame, "f");
    const char *s = "ab.cde..f.";
    for (const char *p = s; *p; p++) {
        ck_assert_int_eq(write(F.peer, p, 1), 1);
        run_for(0.005);
    }
    run_for(0.05);
    ck_assert_str_eq(F.got, "f:ab|f:cde|f:|f:f|");
}
END_TEST

START_TEST(eof_with_pending_request_is_epipe)
{
    aeh_push_read(F.h, &upto, on_frame, "a");
    peer_close();
    run_for(1);
    ck_assert_int_eq(F.errors, 1);
    ck_assert_int_eq(F.last.code, EPIPE);
    ck_assert(F.last_fatal);
    ck_assert_int_eq(F.eofs, 0);
}
END_TEST

START_TEST(eof_without_request_calls_on_eof)
{
    aeh_read_frames(F.h, &upto, on_frame, "a");
    peer_send("x.y.");
    peer_close();
    run_for(1);
    ck_assert_str_eq(F.got, "a:x|a:y|");
    ck_assert_int_eq(F.eofs, 1);
    ck_assert_int_eq(F.errors, 0);
}
END_TEST

START_TEST(truncated_frame_at_eof_is_ebadmsg_after_good_frames)
{
    aeh_read_frames(F.h, &upto, on_frame, "a");
    peer_send("ok.part");
    peer_close();
    run_for(1);
    ck_assert_str_eq(F.got, "a:ok|");
    ck_assert_int_eq(F.last.code, EBADMSG);
    ck_assert_int_eq(F.last.op, AEH_OP_DECODE);
    ck_assert_int_eq(F.eofs, 0);
}
END_TEST

/* A codec that leaves a partial frame at EOF to the handle: the handle's
 * truncation error says why in its reason (dialogs take it for the peer's
 * close), as a codec's own truncation does. */
START_TEST(partial_frame_at_eof_is_truncated_by_the_handle)
{
    aeh_read_frames(F.h, &lax, on_frame, "a");
    peer_send("abc");
    peer_close();
    run_for(1);
    ck_assert_str_eq(F.got, "a:ab|");
    ck_assert_int_eq(F.errors, 1);
    ck_assert_int_eq(F.last.code, EBADMSG);
    ck_assert_int_eq(F.last.op, AEH_OP_DECODE);
    ck_assert_int_eq(F.last.reason, AEH_REASON_TRUNCATED);
    ck_assert_int_eq(F.last.offset, 2);
}
END_TEST

START_TEST(decode_error_offset_is_stream_offset)
{
    aeh_read_frames(F.h, &upto, on_frame, "a");
    peer_send("abc.de!");
    run_for(1);
    ck_assert_str_eq(F.got, "a:abc|");
    ck_assert_int_eq(F.last.code, EBADMSG);
    ck_assert(F.last_fatal);
    ck_assert_int_eq((int)F.last.offset, 6);
}
END_TEST

static int onread_calls;
static void on_read_take3(aeh *h)
{
    onread_calls++;
    aeh_span b = aeh_rbuf(h);
    if (b.n >= 3) {
        strncat(F.got, (const char *)b.p, 3);
        aeh_rbuf_consume(h, 3);
    }
}

START_TEST(on_read_consumes_from_head)
{
    onread_calls = 0;
    aeh_on_read(F.h, on_read_take3);
    peer_send("abcdefg");
    run_for(0.1);
    ck_assert_str_eq(F.got, "abcdef");
    ck_assert_int_ge(onread_calls, 2);
}
END_TEST

START_TEST(destroy_inside_frame_callback)
{
    F.destroy_in_cb = true;
    aeh_read_frames(F.h, &upto, on_frame, "a");
    peer_send("a.b.c.");
    run_for(0.1);
    ck_assert_int_eq(F.frames, 1);
    ck_assert_ptr_null(F.h);
}
END_TEST

static const aeh_codec *next_codec;
static void switch_codec(aeh *h, aeh_span f, void *arg)
{
    on_frame(h, f, arg);
    aeh_read_frames(h, next_codec, on_frame, "two");
}

START_TEST(read_frames_replaced_inside_callback)
{
    next_codec = &two;
    aeh_read_frames(F.h, &upto, switch_codec, "upto");
    peer_send("hdr.ABCD");
    run_for(0.1);
    ck_assert_str_eq(F.got, "upto:hdr|two:AB|two:CD|");
}
END_TEST

START_TEST(stop_and_start_read)
{
    aeh_read_frames(F.h, &upto, on_frame, "a");
    aeh_stop_read(F.h);
    peer_send("x.");
    run_for(0.05);
    ck_assert_int_eq(F.frames, 0);
    aeh_start_read(F.h);
    run_for(0.05);
    ck_assert_str_eq(F.got, "a:x|");
}
END_TEST

START_TEST(rbuf_max_is_enospc)
{
    aeh_set_rbuf_max(F.h, 8);
    aeh_read_frames(F.h, &upto, on_frame, "a");
    peer_send("0123456789abcdef");
    run_for(1);
    ck_assert_int_eq(F.last.code, ENOSPC);
    ck_assert(F.last_fatal);
}
END_TEST

/* ---------------------------------------------------------- write queue */

START_TEST(write_frames_and_shutdown)
{
    ck_assert_int_eq(aeh_push_write(F.h, "raw", 3), 0);
    ck_assert_int_eq(aeh_push_frame(F.h, &upto, "x", 1), 0);
    aeh_push_shutdown(F.h);
    char buf[64] = { 0 };
    size_t n = peer_drain(buf, sizeof buf - 1, 1);
    ck_assert_uint_eq(n, 5);
    ck_assert_str_eq(buf, "rawx.");
}
END_TEST

START_TEST(write_after_shutdown_fails)
{
    aeh_push_shutdown(F.h);
    ck_assert_int_eq(aeh_push_write(F.h, "x", 1), -1);
    ck_assert_int_eq(F.last.code, EPIPE);
}
END_TEST

START_TEST(wbuf_max_is_enospc)
{
    aeh_set_wbuf_max(F.h, 1000);
    aeh_set_autocork(F.h, true);
    static char big[2000];
    ck_assert_int_eq(aeh_push_write(F.h, big, 800), 0);
    ck_assert_int_eq(aeh_push_write(F.h, big, 800), -1);
    ck_assert_int_eq(F.last.code, ENOSPC);
    ck_assert(F.last_fatal);
}
END_TEST

START_TEST(autocork_many_small_frames_arrive_whole)
{
    aeh_set_autocork(F.h, true);
    for (int i = 0; i < 1000; i++)
        aeh_push_frame(F.h, &upto, "ab", 2);
    ck_assert_uint_eq(aeh_wbuf_len(F.h), 3000);   /* nothing written before the loop runs */
    aeh_push_shutdown(F.h);
    static char buf[4000];
    ck_assert_uint_eq(peer_drain(buf, sizeof buf, 1), 3000);
}
END_TEST

START_TEST(big_write_with_backpressure_and_drain)
{
    size_t total = 8 << 20;
    char *data = malloc(total);
    for (size_t i = 0; i < total; i++)
        data[i] = (char)(i * 7);
    aeh_on_drain(F.h, on_drain);
    F.drains = 0;
    ck_assert_int_eq(aeh_push_write(F.h, data, total), 0);
    ck_assert_uint_gt(aeh_wbuf_len(F.h), 0);      /* the kernel cannot take 8 MiB at once */
    aeh_push_shutdown(F.h);
    char *got = malloc(total + 1);
    size_t n = peer_drain(got, total + 1, 10);
    ck_assert_uint_eq(n, total);
    ck_assert(memcmp(got, data, total) == 0);
    ck_assert_int_ge(F.drains, 1);
    ck_assert_uint_eq(aeh_bytes_written(F.h), total);
    free(data);
    free(got);
}
END_TEST

START_TEST(linger_flushes_after_destroy)
{
    size_t total = 4 << 20;
    char *data = calloc(1, total);
    aeh_destroy(F.h);
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    close(F.peer);
    F.peer = sv[1];
    aeh_opts o = base_opts(sv[0]);
    o.linger = 5;
    F.h = aeh_new(&o);
    aeh_push_write(F.h, data, total);
    aeh_destroy(F.h);
    F.h = NULL;
    char *got = malloc(total + 1);
    ck_assert_uint_eq(peer_drain(got, total + 1, 10), total);
    free(data);
    free(got);
}
END_TEST

/* ---------------------------------------------------------- timeouts */

START_TEST(rtimeout_only_while_reading)
{
    aeh_on_timeout(F.h, on_timeout);
    aeh_set_timeout(F.h, AEH_RTIMEOUT, 0.1);
    run_for(0.3);                 /* no read wanted: nothing fires */
    ck_assert_int_eq(F.timeouts, 0);
    aeh_push_read(F.h, &upto, on_frame, "a");
    ev_tstamp t0 = ev_time();
    run_for(2);
    ck_assert_int_eq(F.timeouts, 1);
    ck_assert_int_eq(F.timeout_which, AEH_RTIMEOUT);
    ck_assert(ev_time() - t0 >= 0.09 && ev_time() - t0 < 1);
}
END_TEST

START_TEST(activity_postpones_rtimeout)
{
    aeh_on_timeout(F.h, on_timeout);
    aeh_set_timeout(F.h, AEH_RTIMEOUT, 0.3);
    aeh_read_frames(F.h, &upto, on_frame, "a");
    ev_tstamp t0 = ev_time();
    for (int i = 0; i < 4; i++) {
        run_for(0.15);
        peer_send("x.");
    }
    ck_assert_int_eq(F.timeouts, 0);
    run_for(2);
    ck_assert_int_eq(F.timeouts, 1);
    ck_assert(ev_time() - t0 >= 0.85);
}
END_TEST

START_TEST(wtimeout_only_with_queued_bytes)
{
    aeh_on_timeout(F.h, on_timeout);
    aeh_set_timeout(F.h, AEH_WTIMEOUT, 0.1);
    run_for(0.3);
    ck_assert_int_eq(F.timeouts, 0);
    static char big[16 << 20];
    aeh_push_write(F.h, big, sizeof big);      /* the peer never reads */
    run_for(2);
    ck_assert_int_eq(F.timeouts, 1);
    ck_assert_int_eq(F.timeout_which, AEH_WTIMEOUT);
}
END_TEST

START_TEST(timeout_without_callback_is_nonfatal_etimedout)
{
    aeh_set_timeout(F.h, AEH_TIMEOUT, 0.1);
    run_for(2);
    ck_assert_int_eq(F.last.code, ETIMEDOUT);
    ck_assert(!F.last_fatal);
    ck_assert_ptr_nonnull(F.h);
}
END_TEST

/* ---------------------------------------------------------- other fds */

START_TEST(regular_file_reads_to_eof)
{
    char path[] = "/tmp/aeh-test-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "a.b.", 4), 4);
    lseek(fd, 0, SEEK_SET);
    unlink(path);
    aeh_opts o = base_opts(fd);
    aeh *h = aeh_new(&o);
    aeh_read_frames(h, &upto, on_frame, "f");
    run_for(1);
    ck_assert_str_eq(F.got, "f:a|f:b|");
    ck_assert_int_eq(F.eofs, 1);
    aeh_destroy(h);
}
END_TEST

START_TEST(new_rejects_bad_arguments)
{
    aeh_opts o = { .loop = NULL, .fd = 0 };
    ck_assert_ptr_null(aeh_new(&o));
    o.loop = F.loop;
    o.fd = -1;
    ck_assert_ptr_null(aeh_new(&o));
}
END_TEST

static bool fd_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

/* The fd is the caller's until aeh_new succeeds: a failure leaves it open,
 * whether the handle got made and destroyed or not (the caller closes it:
 * closing it in aeh_new too closed it twice); a success hands it over. */
START_TEST(new_failure_leaves_the_fd_to_the_caller)
{
    aeh_destroy(F.h);             /* a fatal on_error below clears F.h */
    F.h = NULL;
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    aeh_opts o = base_opts(sv[0]);
    o.loop = NULL;
    ck_assert_ptr_null(aeh_new(&o));
    ck_assert(fd_open(sv[0]));
    /* TLS that cannot start (no context): the handle is made, told and destroyed */
    o = base_opts(sv[0]);
    o.tls = AEH_TLS_CONNECT;
    ck_assert_ptr_null(aeh_new(&o));
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(F.errors, 1);
    ck_assert_int_eq(F.last.op, AEH_OP_TLS);
    ck_assert(fd_open(sv[0]));
    /* TLS whose first flight fails (the peer is gone): on_error hears of
     * it as fatal, the handle is destroyed inside aeh_new */
    aeh_error e;
    aeh_tls_ctx *ctx = aeh_tls_ctx_new(&(aeh_tls_opts){ .insecure = true }, &e);
    ck_assert_msg(ctx != NULL, "%s", e.msg);
    close(sv[1]);
    o.tls_ctx = ctx;
    ck_assert_ptr_null(aeh_new(&o));
    ck_assert_int_eq(errno, EPROTO);
    ck_assert_int_eq(F.errors, 2);
    ck_assert(F.last_fatal);
    ck_assert(fd_open(sv[0]));
    /* a success owns it: destroy closes it */
    o = base_opts(sv[0]);
    aeh *h = aeh_new(&o);
    ck_assert_ptr_nonnull(h);
    aeh_destroy(h);
    ck_assert(!fd_open(sv[0]));
    aeh_tls_ctx_free(ctx);
}
END_TEST

/* ---------------------------------------------------------- edge cases */

/* Replaces the fixture's handle with one on a fresh socketpair, built from
 * `o` (loop and fd are filled in).  Returns the handle's fd. */
static int reopen(aeh_opts o)
{
    if (F.h)
        aeh_destroy(F.h);
    close(F.peer);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    F.peer = sv[1];
    aeh_opts b = base_opts(sv[0]);
    o.loop = b.loop;
    o.fd = b.fd;
    if (!o.on_error)
        o.on_error = b.on_error;
    if (!o.on_eof)
        o.on_eof = b.on_eof;
    F.h = aeh_new(&o);
    ck_assert_ptr_nonnull(F.h);
    return sv[0];
}

/* Queues n 'A's on a handle with a tiny send buffer, then lets part of
 * them go out so that the write queue no longer starts at its buffer's
 * front.  Returns the bytes the peer read so far. */
static size_t queue_and_flush_part(int fd, size_t n)
{
    int sz = 4096;
    ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz), 0);
    char *blob = malloc(n);
    memset(blob, 'A', n);
    ck_assert_int_eq(aeh_push_write(F.h, blob, n), 0);
    free(blob);
    fcntl(F.peer, F_SETFL, O_NONBLOCK);
    static char rb[8192];
    ssize_t got = read(F.peer, rb, sizeof rb);
    ck_assert_int_gt(got, 0);
    run_for(0.02);                /* the handle writes some more: head > 0 */
    ck_assert_uint_gt(aeh_wbuf_len(F.h), 0);
    ck_assert_uint_lt(aeh_wbuf_len(F.h), n - (size_t)got);
    return (size_t)got;
}

/* Reads until EOF; fails unless exactly `want` bytes, all 'A', arrived. */
static void peer_expect_all_a(size_t want, double secs)
{
    char *buf = malloc(want + 65536);
    size_t n = peer_drain(buf, want + 65536, secs);
    ck_assert_int_eq(read(F.peer, buf + n, 1), 0);    /* EOF, not a timeout */
    ck_assert_uint_eq(n, want);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += buf[i] != 'A';
    ck_assert_uint_eq(bad, 0);
    free(buf);
}

START_TEST(refused_frame_after_partial_flush_leaves_queue_intact)
{
    aeh_error e;
    aeh_codec *lre = aeh_codec_line_re("\n", NULL, 0, &e);
    ck_assert_ptr_nonnull(lre);
    enum { N = 200000 };
    size_t early = queue_and_flush_part(aeh_fd(F.h), N);
    size_t queued = aeh_wbuf_len(F.h);
    size_t fn = 300000;           /* big enough that the encoder grows the buffer */
    char *frame = malloc(fn);
    memset(frame, 'B', fn);
    frame[10] = '\n';             /* the encoder refuses a frame holding its marker */
    ck_assert_int_eq(aeh_push_frame(F.h, lre, frame, fn), -1);
    ck_assert_int_eq(F.errors, 1);
    ck_assert(!F.last_fatal);
    ck_assert_int_eq(F.last.op, AEH_OP_ENCODE);
    ck_assert_ptr_nonnull(F.h);
    ck_assert_uint_eq(aeh_wbuf_len(F.h), queued);
    aeh_push_shutdown(F.h);
    peer_expect_all_a(N - early, 10);
    free(frame);
    aeh_codec_free(lre);
}
END_TEST

START_TEST(frame_over_wbuf_max_after_partial_flush_lingers_only_earlier_bytes)
{
    aeh_error e;
    aeh_codec *line = aeh_codec_line("\n", 1, NULL, 0, &e);
    ck_assert_ptr_nonnull(line);
    int fd = reopen((aeh_opts){ .wbuf_max = 250000, .linger = 5 });
    enum { N = 200000 };
    size_t early = queue_and_flush_part(fd, N);
    size_t fn = 100000;
    char *frame = calloc(1, fn);
    memset(frame, 'B', fn);
    ck_assert_int_eq(aeh_push_frame(F.h, line, frame, fn), -1);
    ck_assert_int_eq(F.last.code, ENOSPC);
    ck_assert(F.last_fatal);
    ck_assert_ptr_null(F.h);      /* destroyed; the lingerer sends the queue */
    peer_expect_all_a(N - early, 10);
    free(frame);
    aeh_codec_free(line);
}
END_TEST

START_TEST(unshift_resets_scanned_request)
{
    aeh_error e;
    aeh_codec *line = aeh_codec_line(NULL, 0, NULL, 0, &e), *ch4 = aeh_codec_chunk(4, &e);
    ck_assert_ptr_nonnull(line);
    ck_assert_ptr_nonnull(ch4);
    aeh_push_read(F.h, line, on_frame, "line");
    aeh_push_read(F.h, line, on_frame, "line2");
    peer_send("abc");
    run_for(0.05);                /* "line" has scanned "abc" */
    aeh_unshift_read(F.h, ch4, on_frame, "chunk4");
    peer_send("de\n");
    run_for(0.05);
    peer_send("zz\n");
    run_for(0.05);
    ck_assert_str_eq(F.got, "chunk4:abcd|line:e|line2:zz|");
    ck_assert_int_eq(F.errors, 0);
    aeh_codec_free(line);
    aeh_codec_free(ch4);
}
END_TEST

START_TEST(oneshot_ahead_of_read_frames_resets_its_scan)
{
    aeh_error e;
    aeh_codec *line = aeh_codec_line("\n", 1, NULL, 0, &e), *ch4 = aeh_codec_chunk(4, &e);
    ck_assert_ptr_nonnull(line);
    ck_assert_ptr_nonnull(ch4);
    aeh_read_frames(F.h, line, on_frame, "frames");
    peer_send("abc");
    run_for(0.05);                /* the persistent request has scanned "abc" */
    aeh_push_read(F.h, ch4, on_frame, "chunk4");
    peer_send("de\n");
    run_for(0.05);
    peer_send("next\n");
    run_for(0.05);
    ck_assert_str_eq(F.got, "chunk4:abcd|frames:e|frames:next|");
    ck_assert_int_eq(F.errors, 0);
    aeh_codec_free(line);
    aeh_codec_free(ch4);
}
END_TEST

static void stop_after_frame(aeh *h, aeh_span f, void *arg)
{
    on_frame(h, f, arg);
    aeh_stop_read(h);
}

START_TEST(stop_read_in_callback_holds_buffered_frames)
{
    aeh_read_frames(F.h, &upto, stop_after_frame, "f");
    peer_send("a.b.c.");
    run_for(0.05);
    ck_assert_str_eq(F.got, "f:a|");
    run_for(0.05);                /* still held */
    ck_assert_str_eq(F.got, "f:a|");
    aeh_start_read(F.h);
    run_for(0.05);
    ck_assert_str_eq(F.got, "f:a|f:b|");
    aeh_start_read(F.h);
    run_for(0.05);
    ck_assert_str_eq(F.got, "f:a|f:b|f:c|");
    ck_assert_int_eq(F.errors, 0);
}
END_TEST

START_TEST(read_pushed_after_on_eof_is_epipe)
{
    aeh_read_frames(F.h, &upto, on_frame, "c");
    peer_send("hello.");
    ck_assert_int_eq(shutdown(F.peer, SHUT_WR), 0);
    run_for(1);
    ck_assert_str_eq(F.got, "c:hello|");
    ck_assert_int_eq(F.eofs, 1);
    aeh_read_frames(F.h, NULL, NULL, NULL);
    aeh_push_read(F.h, &upto, on_frame, "late");    /* can never be served */
    run_for(1);
    ck_assert_int_eq(F.errors, 1);
    ck_assert_int_eq(F.last.code, EPIPE);
    ck_assert(F.last_fatal);
    ck_assert_ptr_null(F.h);
    ck_assert_int_eq(F.eofs, 1);
}
END_TEST

static int drain_pushes;
static void drain_producer(aeh *h)
{
    F.drains++;
    if (drain_pushes < 5) {
        drain_pushes++;
        ck_assert_int_eq(aeh_push_write(h, "0123456789", 10), 0);
    }
}

START_TEST(on_drain_after_direct_writes)
{
    drain_pushes = 0;
    aeh_on_drain(F.h, drain_producer);            /* queue empty: owed at once */
    run_for(0.3);             /* a blocking loop: an owed on_drain must not wait for a wakeup */
    ck_assert_int_eq(drain_pushes, 5);
    ck_assert_int_ge(F.drains, 5);
    char buf[256];
    ck_assert_uint_eq(peer_drain(buf, sizeof buf, 0.1), 50);
    ck_assert_int_eq(F.errors, 0);
}
END_TEST

START_TEST(linger_no_close_carries_out_shutdown)
{
    int fd = reopen((aeh_opts){ .linger = 2, .no_close = true, .autocork = true });
    ck_assert_int_eq(aeh_push_write(F.h, "hello", 5), 0);
    aeh_push_shutdown(F.h);
    aeh_destroy(F.h);             /* the lingerer takes over the 5 bytes */
    F.h = NULL;
    char buf[16] = { 0 };
    ck_assert_uint_eq(peer_drain(buf, sizeof buf - 1, 1), 5);
    ck_assert_str_eq(buf, "hello");
    ck_assert_int_eq(read(F.peer, buf, sizeof buf), 0);   /* EOF */
    ck_assert_int_eq(fcntl(fd, F_GETFD), 0);             /* not closed */
    close(fd);
}
END_TEST

START_TEST(lowering_rbuf_max_below_buffered_is_enospc)
{
    aeh_push_read(F.h, &upto, on_frame, "l");
    peer_send("01234567890123456789");            /* 20 bytes, no frame yet */
    run_for(0.05);
    ck_assert_int_eq(F.errors, 0);
    aeh_set_rbuf_max(F.h, 10);
    peer_send(".");
    run_for(1);
    ck_assert_int_eq(F.errors, 1);
    ck_assert_int_eq(F.last.code, ENOSPC);
    ck_assert(F.last_fatal);
    ck_assert_str_eq(F.got, "");
}
END_TEST

static void on_read_leave(aeh *h) { (void)h; ev_break(F.loop, EVBREAK_ALL); }

START_TEST(push_read_on_malformed_buffer_fails_from_loop)
{
    aeh_error e;
    aeh_codec *ns = aeh_codec_netstring(&e);
    ck_assert_ptr_nonnull(ns);
    aeh_on_read(F.h, on_read_leave);
    peer_send("xx:garbage");
    run_for(1);                   /* buffered; on_read left the bytes */
    ck_assert_uint_eq(aeh_rbuf(F.h).n, 10);
    aeh_on_read(F.h, NULL);
    aeh_push_read(F.h, ns, on_frame, "ns");
    ck_assert_int_eq(F.errors, 0);                /* not inside the call */
    ck_assert_ptr_nonnull(F.h);
    ck_assert_uint_eq(aeh_wbuf_len(F.h), 0);      /* the handle is still alive */
    run_for(1);
    ck_assert_int_eq(F.errors, 1);
    ck_assert_int_eq(F.last.code, EBADMSG);
    ck_assert(F.last_fatal);
    ck_assert_ptr_null(F.h);
    ck_assert_str_eq(F.got, "");
    aeh_codec_free(ns);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("handle");
    TCase *tc = tcase_create("handle");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, queue_order_and_unshift);
    tcase_add_test(tc, unshift_inside_callback);
    tcase_add_test(tc, split_bytes_same_frames);
    tcase_add_test(tc, eof_with_pending_request_is_epipe);
    tcase_add_test(tc, eof_without_request_calls_on_eof);
    tcase_add_test(tc, truncated_frame_at_eof_is_ebadmsg_after_good_frames);
    tcase_add_test(tc, partial_frame_at_eof_is_truncated_by_the_handle);
    tcase_add_test(tc, decode_error_offset_is_stream_offset);
    tcase_add_test(tc, on_read_consumes_from_head);
    tcase_add_test(tc, destroy_inside_frame_callback);
    tcase_add_test(tc, read_frames_replaced_inside_callback);
    tcase_add_test(tc, stop_and_start_read);
    tcase_add_test(tc, rbuf_max_is_enospc);
    tcase_add_test(tc, write_frames_and_shutdown);
    tcase_add_test(tc, write_after_shutdown_fails);
    tcase_add_test(tc, wbuf_max_is_enospc);
    tcase_add_test(tc, autocork_many_small_frames_arrive_whole);
    tcase_add_test(tc, big_write_with_backpressure_and_drain);
    tcase_add_test(tc, linger_flushes_after_destroy);
    tcase_add_test(tc, rtimeout_only_while_reading);
    tcase_add_test(tc, activity_postpones_rtimeout);
    tcase_add_test(tc, wtimeout_only_with_queued_bytes);
    tcase_add_test(tc, timeout_without_callback_is_nonfatal_etimedout);
    tcase_add_test(tc, regular_file_reads_to_eof);
    tcase_add_test(tc, new_rejects_bad_arguments);
    tcase_add_test(tc, new_failure_leaves_the_fd_to_the_caller);
    tcase_add_test(tc, refused_frame_after_partial_flush_leaves_queue_intact);
    tcase_add_test(tc, frame_over_wbuf_max_after_partial_flush_lingers_only_earlier_bytes);
    tcase_add_test(tc, unshift_resets_scanned_request);
    tcase_add_test(tc, oneshot_ahead_of_read_frames_resets_its_scan);
    tcase_add_test(tc, stop_read_in_callback_holds_buffered_frames);
    tcase_add_test(tc, read_pushed_after_on_eof_is_epipe);
    tcase_add_test(tc, on_drain_after_direct_writes);
    tcase_add_test(tc, linger_no_close_carries_out_shutdown);
    tcase_add_test(tc, lowering_rbuf_max_below_buffered_is_enospc);
    tcase_add_test(tc, push_read_on_malformed_buffer_fails_from_loop);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(make_suite)
