/* SPDX-License-Identifier: MIT */
/* The persistent reader in batches (aeh_read_batches): the same frames as
 * one by one however the input is split, for the library's codecs and the
 * tests' own; how many the callback takes; errors and truncation after the
 * frames before them; offsets; a frame in the decoder's scratch; more than
 * a batch; replacing, stopping and destroying from the callback.  And
 * aeh_push_frames, the batch's way out. */
#include <ev.h>
#include "handle_fixture.h"
#include "codec_int.h"           /* aeh__line_simd */

typedef struct {
    size_t calls, frames, max_n;  /* callbacks, frames taken, the largest batch */
    size_t take;                  /* frames taken per call (0: all) */
    bool stop, zero_once, destroy;
    const aeh_codec *switch_to;   /* after the first frame: aeh_read_frames with it */
    uint64_t offsets[16];
} batch_fx;

static batch_fx B;

static size_t on_batch(aeh *h, const aeh_span *f, size_t n, void *arg)
{
    B.calls++;
    if (n > B.max_n)
        B.max_n = n;
    if (B.zero_once) {
        B.zero_once = false;
        return 0;
    }
    size_t take = B.take && B.take < n ? B.take : n;
    for (size_t i = 0; i < take; i++) {
        if (B.frames < 16)
            B.offsets[B.frames] = aeh_batch_offset(h, i);
        B.frames++;
        on_frame(h, f[i], arg);
        if (!F.h)
            return i + 1;         /* destroyed by on_frame */
    }
    if (B.switch_to) {
        aeh_read_frames(h, B.switch_to, on_frame, "one");
        B.switch_to = NULL;
    }
    if (B.stop)
        aeh_stop_read(h);
    return take;
}

static void batch_setup(void)
{
    setup();
    memset(&B, 0, sizeof B);
}

/* Writes in to the peer cut at `cut`, letting the handle read between the
 * two writes, then closes; runs until EOF or an error. */
static void feed_split(const char *in, size_t len, size_t cut)
{
    ck_assert_int_eq(write(F.peer, in, cut), (ssize_t)cut);
    for (int i = 0; i < 3; i++)
        ev_run(F.loop, EVRUN_NOWAIT);
    if (F.h && cut < len)         /* not after a fatal error: the handle is gone */
        ck_assert_int_eq(write(F.peer, in + cut, len - cut), (ssize_t)(len - cut));
    peer_close();
    if (F.h)
        run_for(2);
}

/* Frames of codec c over in, cut at every byte, read in batches, joined as
 * on_frame does, against `want`; and the errors seen. */
static void every_split(const aeh_codec *c, const char *in, size_t len, const char *want,
                        int errors)
{
    for (size_t cut = 0; cut <= len; cut++) {
        teardown();
        batch_setup();
        aeh_read_batches(F.h, c, on_batch, "f");
        feed_split(in, len, cut);
        ck_assert_msg(!strcmp(F.got, want), "%s cut at %zu: got '%s', want '%s'", c->name, cut,
                      F.got, want);
        ck_assert_int_eq(F.errors, errors);
    }
}

START_TEST(same_frames_at_every_split)
{
    aeh_error e;
    every_split(&upto, "ab.cde..f.", 10, "f:ab|f:cde|f:|f:f|", 0);
    aeh_codec *line = aeh_codec_line(NULL, 0, NULL, 0, &e);
    every_split(line, "one\r\ntwo\n\nfour\n", 15, "f:one|f:two|f:|f:four|", 0);
    aeh_codec_free(line);
    aeh_codec *ns = aeh_codec_netstring(&e);
    every_split(ns, "3:abc,0:,5:hello,", 17, "f:abc|f:|f:hello|", 0);
    aeh_codec_free(ns);
    aeh_codec *pk = aeh_codec_packstring("n", &e);
    every_split(pk, "\0\2ab\0\0\0\1c", 9, "f:ab|f:|f:c|", 0);
    aeh_codec_free(pk);
    /* hex frames are made in the decoder's scratch: each stays itself */
    aeh_codec *hex = aeh_codec_hexlines(&e);
    every_split(hex, "6162\n63\n\n64\n", 12, "f:ab|f:c|f:|f:d|", 0);
    aeh_codec_free(hex);
    /* the frames before a malformed byte, then the error */
    every_split(&upto, "a.b.!", 5, "f:a|f:b|", 1);
    ck_assert_int_eq(F.last.offset, 4);
    ck_assert_int_eq(F.last.op, AEH_OP_DECODE);
}
END_TEST

START_TEST(one_call_for_what_is_buffered)
{
    aeh_read_batches(F.h, &upto, on_batch, "f");
    peer_send("a.bb.ccc.dddd.");
    peer_close();
    run_for(1);
    ck_assert_str_eq(F.got, "f:a|f:bb|f:ccc|f:dddd|");
    ck_assert_uint_eq(B.calls, 1);
    ck_assert_uint_eq(B.offsets[0], 0);
    ck_assert_uint_eq(B.offsets[1], 2);
    ck_assert_uint_eq(B.offsets[2], 5);
    ck_assert_uint_eq(B.offsets[3], 9);
    ck_assert_int_eq(F.eofs, 1);
}
END_TEST

START_TEST(more_frames_than_a_batch)
{
    aeh_read_batches(F.h, &two, on_batch, "");
    char in[4400];
    for (size_t i = 0; i < sizeof in; i += 2)
        in[i] = 'x', in[i + 1] = 'y';
    ck_assert_int_eq(write(F.peer, in, sizeof in), (ssize_t)sizeof in);
    peer_close();
    run_for(1);
    ck_assert_uint_eq(B.frames, 2200);
    ck_assert_uint_le(B.max_n, 256);
    ck_assert_uint_ge(B.calls, 3);
    ck_assert_int_eq(F.eofs, 1);
}
END_TEST

/* Taking one and stopping holds the rest, offsets counting on. */
START_TEST(taking_fewer_holds_the_rest)
{
    B.take = 1;
    B.stop = true;
    aeh_read_batches(F.h, &upto, on_batch, "f");
    peer_send("a.b.c.");
    run_for(0.05);
    ck_assert_str_eq(F.got, "f:a|");
    aeh_start_read(F.h);
    run_for(0.05);
    ck_assert_str_eq(F.got, "f:a|f:b|");
    aeh_start_read(F.h);
    run_for(0.05);
    ck_assert_str_eq(F.got, "f:a|f:b|f:c|");
    ck_assert_uint_eq(B.offsets[2], 4);
    ck_assert_int_eq(F.errors, 0);
}
END_TEST

/* Taking none waits for more bytes, then the same frames come again. */
START_TEST(taking_none_waits_for_more)
{
    B.zero_once = true;
    aeh_read_batches(F.h, &upto, on_batch, "f");
    peer_send("a.b.");
    run_for(0.05);
    ck_assert_str_eq(F.got, "");
    peer_send("c.");
    run_for(0.05);
    ck_assert_str_eq(F.got, "f:a|f:b|f:c|");
    ck_assert_uint_eq(B.calls, 2);
}
END_TEST

/* A reader set in the callback decodes the frames left after those taken. */
START_TEST(reader_replaced_in_the_callback)
{
    B.take = 1;
    B.switch_to = &two;
    aeh_read_batches(F.h, &upto, on_batch, "f");
    peer_send("ab.cdef");
    run_for(0.05);
    ck_assert_str_eq(F.got, "f:ab|one:cd|one:ef|");
}
END_TEST

/* Replaced after taking every frame, at EOF with a partial frame left (the
 * first call took none, so the frames and the EOF meet in one call): the
 * new reader reports it, the old one being freed by then. */
START_TEST(reader_replaced_at_a_truncated_end)
{
    B.zero_once = true;
    B.switch_to = &lax;
    aeh_read_batches(F.h, &lax, on_batch, "f");
    peer_send("cde");
    peer_close();
    run_for(1);
    ck_assert_str_eq(F.got, "f:cd|");
    ck_assert_uint_eq(B.calls, 2);
    ck_assert_int_eq(F.errors, 1);
    ck_assert_int_eq(F.last.reason, AEH_REASON_TRUNCATED);
    ck_assert_int_eq(F.last.offset, 2);
}
END_TEST

START_TEST(truncated_end_after_the_frames)
{
    aeh_read_batches(F.h, &lax, on_batch, "f");
    peer_send("abcde");
    peer_close();
    run_for(1);
    ck_assert_str_eq(F.got, "f:ab|f:cd|");
    ck_assert_int_eq(F.errors, 1);
    ck_assert_int_eq(F.last.reason, AEH_REASON_TRUNCATED);
    ck_assert_int_eq(F.last.offset, 4);
}
END_TEST

START_TEST(destroyed_in_the_callback)
{
    F.destroy_in_cb = true;
    aeh_read_batches(F.h, &upto, on_batch, "f");
    peer_send("a.b.c.");
    run_for(0.05);
    ck_assert_str_eq(F.got, "f:a|");
    ck_assert_ptr_null(F.h);
}
END_TEST

/* aeh_push_frames: the frames before a refused one go out, the refusal is
 * raised as aeh_push_frame raises it, and the handle stays usable. */
START_TEST(push_frames_stops_at_a_refused_frame)
{
    aeh_error e;
    aeh_codec *line = aeh_codec_line("\n", 1, NULL, 0, &e);
    aeh_span f[] = { { (const uint8_t *)"a", 1 }, { (const uint8_t *)"bb", 2 },
                     { (const uint8_t *)"c\nd", 3 }, { (const uint8_t *)"e", 1 } };
    ck_assert_int_eq(aeh_push_frames(F.h, line, f, 4), 2);
    ck_assert_int_eq(F.errors, 1);
    ck_assert(!F.last_fatal);
    ck_assert_int_eq(F.last.op, AEH_OP_ENCODE);
    ck_assert_int_eq(F.last.code, EINVAL);
    ck_assert_int_eq(aeh_push_frames(F.h, line, f + 3, 1), 1);
    ck_assert_int_eq(aeh_push_frames(F.h, line, f, 0), 0);
    char got[64] = { 0 };
    ck_assert_uint_eq(peer_drain(got, sizeof got - 1, 0.1), 7);
    ck_assert_str_eq(got, "a\nbb\ne\n");
    aeh_codec_free(line);
    /* a codec that can only read: refused, not a crash */
    const aeh_codec read_only = { .name = "read-only", .decode = upto_decode };
    ck_assert_int_eq(aeh_push_frames(F.h, &read_only, f, 1), 0);
    ck_assert_int_eq(F.errors, 2);
    ck_assert(!F.last_fatal);
    ck_assert_int_eq(F.last.op, AEH_OP_ENCODE);
    ck_assert_int_eq(aeh_push_frame(F.h, &read_only, "x", 1), -1);
}
END_TEST

/* decode_many gives what decode gives, frame for frame, and stops before
 * anything it does not take (an over-long line, a leading zero, a bad
 * terminator, a negative length), where decode then reports the error. */
static void decode_many_is_decode(const aeh_codec *c, const char *in, size_t len, size_t want,
                                  int then)
{
    aeh_dstate st = { 0 }, one = { 0 };
    aeh_span f[16];
    size_t used[16], off = 0;
    const uint8_t *buf = (const uint8_t *)in;
    size_t k = c->decode_many(c, &st, buf, len, f, used, 16);
    ck_assert_msg(k == want, "%s: %zu frames, want %zu", c->name, k, want);
    aeh_error e;
    for (size_t i = 0; i < k; i++) {
        aeh_span g;
        size_t u = 0;
        ck_assert_int_eq(c->decode(c, &one, buf + off, len - off, false, &g, &u, &e), AEH_DEC_FRAME);
        ck_assert(g.p == f[i].p && g.n == f[i].n && u == used[i]);
        off += u;
    }
    aeh_span g;
    size_t u = 0;
    ck_assert_int_eq(c->decode(c, &one, buf + off, len - off, false, &g, &u, &e), then);
    ck_assert_uint_eq(c->decode_many(c, &st, buf, len, f, used, 2), want < 2 ? want : 2);
}

/* encode_many writes what encode writes, and stops at the frame it refuses. */
static void encode_many_is_encode(const aeh_codec *c, const aeh_span *f, size_t n, size_t want)
{
    aeh_buf many = { 0 }, one = { 0 };
    aeh_error e;
    ck_assert_uint_eq(c->encode_many(c, f, n, &many, &e), want);
    for (size_t i = 0; i < want; i++)
        ck_assert_int_eq(c->encode(c, f[i].p, f[i].n, &one, &e), 0);
    if (want < n)
        ck_assert_int_eq(c->encode(c, f[want].p, f[want].n, &one, &e), -1);
    ck_assert_uint_eq(aeh_buf_len(&many), aeh_buf_len(&one));
    ck_assert(!aeh_buf_len(&one) || !memcmp(aeh_buf_data(&many), aeh_buf_data(&one), aeh_buf_len(&one)));
    aeh_buf_free(&many);
    aeh_buf_free(&one);
}

START_TEST(codec_batch_paths_agree_with_one_frame_calls)
{
    aeh_error e;
    aeh_codec *line = aeh_codec_line(NULL, 0, NULL, 0, &e);
    decode_many_is_decode(line, "a\nbb\r\n\nccc", 11, 3, AEH_DEC_MORE);
    line->max_frame = 2;
    decode_many_is_decode(line, "ab\nabc\nx\n", 9, 1, AEH_DEC_ERROR);
    aeh_span lf[] = { { (const uint8_t *)"ab", 2 }, { (const uint8_t *)"", 0 },
                      { (const uint8_t *)"a\r", 2 }, { (const uint8_t *)"z", 1 } };
    encode_many_is_encode(line, lf, 4, 2);            /* a '\r' the reader would strip */
    aeh_codec *nl = aeh_codec_line("\n", 1, NULL, 0, &e);
    aeh_span nf[] = { { (const uint8_t *)"ab", 2 }, { (const uint8_t *)"c\nd", 3 } };
    encode_many_is_encode(nl, nf, 2, 1);
    ck_assert(aeh_codec_trust(nl, line));           /* read up to \n, written with \n */
    encode_many_is_encode(nl, nf, 1, 1);
    aeh_codec *crlf = aeh_codec_line("\r\n", 2, NULL, 0, &e);
    ck_assert(!aeh_codec_trust(crlf, line));
    ck_assert(!aeh_codec_trust(line, crlf));
    aeh_codec *ns = aeh_codec_netstring(&e);
    decode_many_is_decode(ns, "1:a,0:,3:abc,01:a,", 18, 3, AEH_DEC_ERROR);
    decode_many_is_decode(ns, "2:ab;", 5, 0, AEH_DEC_ERROR);
    decode_many_is_decode(ns, "2:ab,3:a", 8, 1, AEH_DEC_MORE);
    ns->max_frame = 3;
    decode_many_is_decode(ns, "3:abc,4:abcd,", 13, 1, AEH_DEC_ERROR);
    aeh_span sf[] = { { (const uint8_t *)"abc", 3 }, { (const uint8_t *)"", 0 },
                      { (const uint8_t *)"abcd", 4 } };
    encode_many_is_encode(ns, sf, 3, 2);
    aeh_codec *pk = aeh_codec_packstring("n!", &e);
    decode_many_is_decode(pk, "\0\2ab\0\0\xff\xff", 8, 2, AEH_DEC_ERROR);
    aeh_codec *c8 = aeh_codec_packstring("C", &e);
    char big[300];
    memset(big, 'x', sizeof big);
    aeh_span cf[] = { { (const uint8_t *)"ab", 2 }, { (const uint8_t *)big, 255 },
                      { (const uint8_t *)big, 256 } };
    encode_many_is_encode(c8, cf, 3, 2);
    aeh_codec *w = aeh_codec_packstring("w", &e);
    encode_many_is_encode(w, cf, 3, 3);
    decode_many_is_decode(w, "\x80\x01a", 3, 0, AEH_DEC_ERROR);
    aeh_codec *codecs[] = { line, nl, crlf, ns, pk, c8, w };
    for (size_t i = 0; i < sizeof codecs / sizeof *codecs; i++)
        aeh_codec_free(codecs[i]);
}
END_TEST

/* The default reader, "\n" and ';' as markers. */
static void line_codecs(aeh_codec *c[3])
{
    aeh_error e;
    c[0] = aeh_codec_line(NULL, 0, NULL, 0, &e);
    c[1] = aeh_codec_line("\n", 1, NULL, 0, &e);
    c[2] = aeh_codec_line(";", 1, NULL, 0, &e);
}

/* Random lines in buf[0, cap), each ended by marker: lengths below
 * maxlen, 1 byte in cr_in a lone '\r' and 1 line in cr_end ended by
 * '\r' and the marker (0: none).  Returns the length. */
static size_t random_lines(uint8_t *buf, size_t cap, uint8_t marker, unsigned *seed,
                           size_t maxlen, int cr_in, int cr_end)
{
    size_t len = 0;
    while (len < cap) {
        size_t n = (size_t)rand_r(seed) % maxlen;
        for (size_t i = 0; i < n && len < cap; i++)
            buf[len++] = cr_in && rand_r(seed) % cr_in == 0 ? '\r' : (uint8_t)('a' + i % 26);
        if (len < cap && cr_end && rand_r(seed) % cr_end == 0)
            buf[len++] = '\r';
        if (len < cap)
            buf[len++] = marker;
    }
    return len;
}

/* decode_many's scan 64 bytes at a time gives decode's frames, for lines
 * of every length across the blocks, "\r\n" and a lone '\r' among them,
 * and a limit; it stops where decode would fail. */
START_TEST(line_decode_many_matches_decode_on_random_text)
{
    aeh_error e;
    aeh_codec *codecs[3];
    line_codecs(codecs);
    static uint8_t buf[9000];
    static aeh_span f[2048];
    static size_t used[2048];
    unsigned seed = 7;
    for (int round = 0; round < 300; round++) {
        aeh_codec *c = codecs[round % 3];
        c->max_frame = round % 4 == 3 ? 100 : 0;
        uint8_t marker = round % 3 == 2 ? ';' : '\n';
        size_t len = random_lines(buf, 1000 + (size_t)(rand_r(&seed) % 8000), marker, &seed,
                                  round % 2 ? 140 : 20, 16, 3);
        aeh_dstate st = { 0 }, one = { 0 };
        size_t k = c->decode_many(c, &st, buf, len, f, used, 2048), off = 0, i = 0;
        for (;; i++) {
            aeh_span g;
            size_t u = 0;
            int rc = c->decode(c, &one, buf + off, len - off, false, &g, &u, &e);
            if (rc != AEH_DEC_FRAME || i == 2048)
                break;
            ck_assert_msg(i < k, "round %d: decode_many stopped at %zu of more", round, k);
            ck_assert(g.p == f[i].p && g.n == f[i].n && u == used[i]);
            off += u;
        }
        ck_assert_msg(i == k, "round %d: decode_many gave %zu, decode %zu", round, k, i);
    }
    for (size_t i = 0; i < sizeof codecs / sizeof *codecs; i++)
        aeh_codec_free(codecs[i]);
}
END_TEST

/* decode_run spans the lines decode gives that end in the marker alone
 * and are within the limit, as many as there are before the first that
 * does not (the limit at 64 or more; under it, it may stop sooner). */
START_TEST(line_decode_run_spans_the_lines_written_back_as_they_are)
{
    aeh_error e;
    aeh_codec *codecs[3];
    line_codecs(codecs);
    static uint8_t buf[9000];
    unsigned seed = 11;
    for (int round = 0; round < 1800; round++) {
        if (round % 600 == 0)     /* SSE2, AVX2, AVX-512: each where the processor has it */
            aeh__line_simd(round / 600 + 1);
        aeh_codec *c = codecs[round % 3];
        size_t limits[] = { 0, 100, 64, 10 };
        c->max_frame = limits[round / 3 % 4];
        uint8_t marker = round % 3 == 2 ? ';' : '\n';
        bool crs = rand_r(&seed) % 4;  /* none: no '\r' at all, long runs */
        size_t len = random_lines(buf, 100 + (size_t)(rand_r(&seed) % 8900), marker, &seed,
                                  round % 2 ? 150 : 30, crs ? 40 : 0, crs ? 200 : 0);
        aeh_dstate st = { 0 }, one = { 0 };
        uint64_t frames = 99;
        size_t run = c->decode_run(c, &st, buf, len, &frames), off = 0, k = 0;
        for (;; k++) {
            aeh_span g;
            size_t u = 0;
            int rc = c->decode(c, &one, buf + off, len - off, false, &g, &u, &e);
            bool whole = rc == AEH_DEC_FRAME && u == g.n + 1 && g.p == buf + off;
            if (off == run) {
                ck_assert_msg(k == frames, "round %d: %zu lines in the run, it says %llu", round, k,
                              (unsigned long long)frames);
                ck_assert_msg(!whole || c->max_frame == 10, "round %d: the run stops at %zu before "
                              "a line written back as it is", round, run);
                break;
            }
            ck_assert_msg(whole && off + u <= run, "round %d: the run (%zu bytes) holds the frame at "
                          "%zu that is not written back as it is", round, run, off);
            off += u;
        }
    }
    aeh__line_simd(3);
    for (size_t i = 0; i < sizeof codecs / sizeof *codecs; i++)
        aeh_codec_free(codecs[i]);
}
END_TEST

/* aeh_push_batch echoes a batch back: what aeh_push_frames would write,
 * whether the bytes go as they were read (lines that end in the marker
 * alone) or are encoded (a "\r\n" stripped, an unterminated last line,
 * a frame over the encoder's limit refused, another marker written). */
static size_t echo_batch(aeh *h, const aeh_span *f, size_t n, void *arg)
{
    long queued = aeh_push_batch(h, arg, h, f, n);
    return queued < 0 ? n : (size_t)queued + ((size_t)queued < n);   /* past a refused one */
}

static size_t echo_batch_counted(aeh *h, const aeh_span *f, size_t n, void *arg)
{
    size_t took = echo_batch(h, f, n, arg);
    B.frames += took;
    return took;
}

/* aeh_read_runs: a run is echoed as it is */
static void echo_run(aeh *h, const uint8_t *p, size_t len, uint64_t frames, void *arg)
{
    (void)arg;
    B.calls++;
    B.frames += frames;
    aeh_push_write(h, p, len);
}

/* in, cut at every byte, echoed by a reader of batches or (runs) of runs
 * and batches; frames: how many the reader counts, whichever way they came */
static void echo_every_split(aeh_codec *dec, aeh_codec *enc, const char *in, const char *want,
                             int errors, bool runs, size_t frames)
{
    size_t len = strlen(in);
    for (size_t cut = 0; cut <= len; cut++) {
        teardown();
        batch_setup();
        if (runs)
            aeh_read_runs(F.h, dec, echo_run, echo_batch_counted, enc);
        else
            aeh_read_batches(F.h, dec, echo_batch_counted, enc);
        ck_assert_int_eq(write(F.peer, in, cut), (ssize_t)cut);
        for (int i = 0; i < 3; i++)
            ev_run(F.loop, EVRUN_NOWAIT);
        if (F.h && cut < len)     /* not after a fatal error: the handle is gone */
            ck_assert_int_eq(write(F.peer, in + cut, len - cut), (ssize_t)(len - cut));
        shutdown(F.peer, SHUT_WR);
        char got[256] = { 0 };
        peer_drain(got, sizeof got - 1, 0.2);
        ck_assert_msg(!strcmp(got, want), "cut at %zu: got '%s', want '%s'", cut, got, want);
        ck_assert_int_eq(F.errors, errors);
        ck_assert_uint_eq(B.frames, frames);
    }
}

START_TEST(push_batch_writes_what_push_frames_writes)
{
    aeh_error e;
    aeh_codec *crlf = aeh_codec_line(NULL, 0, NULL, 0, &e), *nl = aeh_codec_line("\n", 1, NULL, 0, &e);
    aeh_codec *semi = aeh_codec_line("\n", 1, ";", 1, &e);
    crlf->flags |= AEH_CODEC_PARTIAL_AT_EOF;
    ck_assert(aeh_codec_trust(nl, crlf));
    for (int runs = 0; runs < 2; runs++) {
        echo_every_split(crlf, nl, "a\nbb\nccc\n\n", "a\nbb\nccc\n\n", 0, runs, 4);
        echo_every_split(crlf, nl, "a\nbb\r\nccc\n\r\nd", "a\nbb\nccc\n\nd\n", 0, runs, 5);
        echo_every_split(nl, nl, "a\r\nb\n", "a\r\nb\n", 0, runs, 2);
    }
    echo_every_split(nl, semi, "a\nbb\n", "a;bb;", 0, false, 2);
    ck_assert(aeh_codec_verbatim(nl, crlf) && aeh_codec_verbatim(nl, nl));
    ck_assert(!aeh_codec_verbatim(semi, nl) && !aeh_codec_verbatim(crlf, nl));
    /* a run of 4,000 lines at once: read as runs, not one frame of it decoded */
    teardown();
    batch_setup();
    aeh_read_runs(F.h, nl, echo_run, echo_batch_counted, nl);
    static char many[4000 * 3 + 1];
    for (size_t i = 0; i < 4000; i++)
        memcpy(many + 3 * i, "ab\n", 3);
    ck_assert_int_eq(write(F.peer, many, 12000), 12000);
    shutdown(F.peer, SHUT_WR);
    static char back[12001];
    ck_assert_uint_eq(peer_drain(back, 12000, 0.5), 12000);
    ck_assert(!memcmp(back, many, 12000));
    ck_assert_uint_eq(B.frames, 4000);
    ck_assert_uint_le(B.calls, 3);
    nl->max_frame = 2;
    ck_assert(!aeh_codec_verbatim(nl, crlf));       /* crlf has no limit: nl's could refuse */
    crlf->max_frame = 2;
    ck_assert(aeh_codec_verbatim(nl, crlf));
    echo_every_split(crlf, nl, "ab\nabc\n", "ab\n", 1, false, 1);
    echo_every_split(crlf, nl, "ab\nabc\n", "ab\n", 1, true, 1);
    aeh_codec_free(crlf);
    aeh_codec_free(nl);
    aeh_codec_free(semi);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("batch");
    TCase *tc = tcase_create("batch");
    tcase_add_checked_fixture(tc, batch_setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, same_frames_at_every_split);
    tcase_add_test(tc, one_call_for_what_is_buffered);
    tcase_add_test(tc, more_frames_than_a_batch);
    tcase_add_test(tc, taking_fewer_holds_the_rest);
    tcase_add_test(tc, taking_none_waits_for_more);
    tcase_add_test(tc, reader_replaced_in_the_callback);
    tcase_add_test(tc, truncated_end_after_the_frames);
    tcase_add_test(tc, reader_replaced_at_a_truncated_end);
    tcase_add_test(tc, destroyed_in_the_callback);
    tcase_add_test(tc, push_frames_stops_at_a_refused_frame);
    tcase_add_test(tc, codec_batch_paths_agree_with_one_frame_calls);
    tcase_add_test(tc, line_decode_many_matches_decode_on_random_text);
    tcase_add_test(tc, push_batch_writes_what_push_frames_writes);
    tcase_add_test(tc, line_decode_run_spans_the_lines_written_back_as_they_are);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(make_suite)
