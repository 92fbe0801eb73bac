/* SPDX-License-Identifier: MIT */
/* One libFuzzer source for every decoder, built once per codec with
 * -DFUZZ_TARGET='"name"' (see run.sh).  Input: byte 0 picks options
 * (bit 0 AEH_CODEC_PARTIAL_AT_EOF, bits 1-3 a max_frame), byte 1 a cut
 * point, the rest is the stream.  Checks, aborting on any failure:
 *   - the stream gives the same frames and error (code and offset) whole,
 *     cut in two, and in 1-byte reads (codec_harness.h's driver, the one
 *     the unit tests use, which drives decoders as lib/handle.c does);
 *   - each frame encodes, and the encoding decodes back to that frame
 *     (codecs whose encoder may refuse some frames, like line with a frame
 *     ending in '\r', are checked only when it accepts);
 *   - cbor: the frame limit is exact: each frame alone reads back as itself
 *     with max_frame set to its size, and is ENOSPC with one byte less;
 *   - the batch paths: decode_many's frames are the first frames of the
 *     whole stream, and encode_many writes them as encode does, one by one;
 *   - runs: decode_run's bytes are whole frames that encode back to them. */
#include <stdio.h>
#include <stdlib.h>
#include "codec_harness.h"

#ifndef FUZZ_TARGET
#error "build with -DFUZZ_TARGET='\"name\"'"
#endif

static aeh_codec *make_line(aeh_error *e) { return aeh_codec_line(NULL, 0, NULL, 0, e); }
static aeh_codec *make_line_crlf(aeh_error *e) { return aeh_codec_line("\r\n", 2, NULL, 0, e); }
static aeh_codec *make_line_nl(aeh_error *e) { return aeh_codec_line("\n", 1, NULL, 0, e); }
static aeh_codec *make_packstring_N(aeh_error *e) { return aeh_codec_packstring("N", e); }
static aeh_codec *make_packstring_w(aeh_error *e) { return aeh_codec_packstring("w", e); }
static aeh_codec *make_packstring_q(aeh_error *e) { return aeh_codec_packstring("q<", e); }
static aeh_codec *make_packstring_c(aeh_error *e) { return aeh_codec_packstring("c", e); }
static aeh_codec *make_varint(aeh_error *e) { return aeh_codec_packstring("varint", e); }
static aeh_codec *make_grpc(aeh_error *e) { return aeh_codec_packstring("grpc", e); }
static aeh_codec *make_chunk(aeh_error *e) { return aeh_codec_chunk(3, e); }
static aeh_codec *make_regex(aeh_error *e) { return aeh_codec_regex("\\n+", NULL, NULL, e); }
static aeh_codec *make_line_re(aeh_error *e) { return aeh_codec_line_re("\\r?\\n", NULL, 0, e); }
static aeh_codec *make_json(aeh_error *e) { return aeh_codec_json(0, e); }
static aeh_codec *make_len_pg(aeh_error *e) { return aeh_codec_len("pg", e); }
static aeh_codec *make_len_h2(aeh_error *e) { return aeh_codec_len("h2", e); }
static aeh_codec *make_len_adj(aeh_error *e) { return aeh_codec_len("u16le,adj=2", e); }
/* Decode only: a strip the encoder cannot undo (no encode). */
static aeh_codec *make_len_strip(aeh_error *e) { return aeh_codec_len("u8@1,strip=1", e); }
static aeh_codec *make_len_varint(aeh_error *e) { return aeh_codec_len("varint,adj=-1", e); }
static aeh_codec *make_len_mqtt(aeh_error *e) { return aeh_codec_len("mqtt", e); }
static aeh_codec *make_len_ber(aeh_error *e) { return aeh_codec_len("ber", e); }
static aeh_codec *make_len_rpc(aeh_error *e) { return aeh_codec_len("rpc", e); }
/* Switches: the encoder keeps the stream's state (first frame sent), so
 * these round-trip whole streams (switch_round_trip), not single frames. */
static aeh_codec *make_switch_pg(aeh_error *e) { return aeh_codec_parse("len:pg-startup>>len:pg", e); }
static aeh_codec *make_switch_line(aeh_error *e) { return aeh_codec_parse("line>>len:u8", e); }
/* A small depth, so that the depth limit is reached by short inputs. */
static aeh_codec *make_cbor(aeh_error *e) { return aeh_codec_cbor(8, e); }
static aeh_codec *make_resp(aeh_error *e) { return aeh_codec_resp(8, e); }
static aeh_codec *make_http(aeh_error *e) { return aeh_codec_http(0, e); }

static const struct {
    const char *name;
    aeh_codec *(*make)(aeh_error *);
    bool encoder_total;           /* every decoded frame must encode */
} targets[] = {
    { "line", make_line, false },
    { "line_crlf", make_line_crlf, false },
    { "line_nl", make_line_nl, true },
    { "netstring", aeh_codec_netstring, true },
    { "packstring_N", make_packstring_N, true },
    { "packstring_w", make_packstring_w, true },
    { "packstring_q", make_packstring_q, true },
    { "packstring_c", make_packstring_c, true },
    { "varint", make_varint, true },
    { "grpc", make_grpc, true },
    { "hex", aeh_codec_hexlines, true },
    { "base64", aeh_codec_base64lines, true },
    { "chunk", make_chunk, true },
    { "regex", make_regex, false },
    { "line_re", make_line_re, false },
    { "json", make_json, true },
    { "json_strings", aeh_codec_json_strings, true },
    { "cbor", make_cbor, true },
    { "len_pg", make_len_pg, true },
    { "len_h2", make_len_h2, true },
    { "len_adj", make_len_adj, true },
    { "len_strip", make_len_strip, false },
    { "len_varint", make_len_varint, true },
    { "len_mqtt", make_len_mqtt, true },
    { "len_ber", make_len_ber, true },
    { "len_rpc", make_len_rpc, true },
    { "switch_pg", make_switch_pg, true },
    { "switch_line", make_switch_line, false },
    { "resp", make_resp, true },
    /* decodes command lines into RESP arrays, which its encoder (RESP
     * values as JSON) must take */
    { "resp_json", aeh_codec_resp_json, true },
    { "smtp", aeh_codec_smtp, false },
    /* its encoder notes requests, which change how later responses read:
     * round trips go through a fresh codec, as the switch's do */
    { "http", make_http, true },
};

static const size_t max_frames[8] = { 0, 1, 2, 3, 5, 8, 16, 64 };

static aeh_codec *codec;
static aeh_codec *(*make_codec)(aeh_error *);
static bool encoder_total;

static void mismatch(const char *what, const harness_out *a, const harness_out *b)
{
    fprintf(stderr, "%s: %s\n  %s\n  %s\n", FUZZ_TARGET, what, harness_text(a),
            b ? harness_text(b) : "");
    abort();
}

static void setup(void)
{
    for (size_t k = 0; k < sizeof targets / sizeof targets[0]; k++) {
        if (strcmp(targets[k].name, FUZZ_TARGET) != 0)
            continue;
        aeh_error e;
        codec = targets[k].make(&e);
        if (!codec) {
            fprintf(stderr, "%s: %s\n", FUZZ_TARGET, e.msg);
            abort();
        }
        encoder_total = targets[k].encoder_total;
        make_codec = targets[k].make;
        return;
    }
    fprintf(stderr, "unknown fuzz target %s\n", FUZZ_TARGET);
    abort();
}

static void same_or_abort(const char *what, const harness_out *whole, harness_out *other)
{
    if (!harness_same(whole, other))
        mismatch(what, whole, other);
    harness_out_free(other);
}

/* resp: every value shows as exactly one JSON text (resp-json's encoder
 * walks what the decoder passed). */
static void resp_as_json(const uint8_t *p, size_t n)
{
    static aeh_codec *as_json, *json;
    aeh_error e;
    if (!as_json && (!(as_json = aeh_codec_resp_json(&e)) || !(json = aeh_codec_json(0, &e))))
        abort();
    aeh_buf out = { 0 };
    if (as_json->encode(as_json, p, n, &out, &e) < 0) {
        fprintf(stderr, "resp: resp-json refused a %zu-byte value: %s\n", n, e.msg);
        abort();
    }
    harness_out o;
    harness_decode(json, aeh_buf_data(&out), aeh_buf_len(&out), &o);
    if (o.frames != 1 || o.error) {
        fprintf(stderr, "resp: %.*s is not one JSON text: %s\n", (int)aeh_buf_len(&out),
                (const char *)aeh_buf_data(&out), harness_text(&o));
        abort();
    }
    harness_out_free(&o);
    aeh_buf_free(&out);
}

/* Encodes one frame and checks that it reads back as itself. */
static void round_trip(const uint8_t *p, size_t n)
{
    aeh_buf wire = { 0 }, want = { 0 };
    aeh_error e;
    if (!codec->encode)
        return;                   /* a decode-only codec (len with some strips) */
    if (codec->encode(codec, p, n, &wire, &e) < 0) {
        if (encoder_total) {
            fprintf(stderr, "%s: encoder refused a decoded frame of %zu bytes: %s\n",
                    FUZZ_TARGET, n, e.msg);
            abort();
        }
        aeh_buf_free(&wire);
        return;
    }
    if (strcmp(FUZZ_TARGET, "resp_json") == 0) {
        aeh_buf_free(&wire);
        return;                   /* JSON out, command lines in: no way back */
    }
    if (strcmp(FUZZ_TARGET, "resp") == 0)
        resp_as_json(p, n);
    if (strcmp(FUZZ_TARGET, "json") == 0) {
        /* json writes texts compact: the encoding (minus its "\n") must read
         * back as itself, and be no longer than the frame it came from */
        if (aeh_buf_len(&wire) < 1 || aeh_buf_len(&wire) - 1 > n)
            abort();
        p = aeh_buf_data(&wire);
        n = aeh_buf_len(&wire) - 1;
    }
    char num[32];
    int m = snprintf(num, sizeof num, "%zu:", n);
    aeh_buf_append(&want, num, (size_t)m);
    aeh_buf_append(&want, p, n);
    aeh_buf_append(&want, ",", 1);
    aeh_buf_append(&want, "", 1);
    harness_out got;
    harness_decode(codec, aeh_buf_data(&wire), aeh_buf_len(&wire), &got);
    if (aeh_buf_len(&got.text) != aeh_buf_len(&want) ||
        memcmp(aeh_buf_data(&got.text), aeh_buf_data(&want), aeh_buf_len(&want)) != 0) {
        fprintf(stderr, "%s: round trip of a %zu-byte frame gave %s\n", FUZZ_TARGET, n,
                harness_text(&got));
        abort();
    }
    harness_out_free(&got);
    aeh_buf_free(&wire);
    aeh_buf_free(&want);
}

/* cbor's max_frame counts the bytes an item still owes, so it can fail
 * before the limit is passed: it must never fail a frame that fits. */
static void cbor_exact_limit(const uint8_t *p, size_t n)
{
    size_t saved = codec->max_frame;
    harness_out o;
    codec->max_frame = n;
    harness_decode(codec, p, n, &o);
    char num[32];
    int m = snprintf(num, sizeof num, "%zu:", (size_t)n);
    if (o.frames != 1 || o.error || aeh_buf_len(&o.text) != (size_t)m + n + 2 ||
        memcmp(harness_text(&o), num, (size_t)m) != 0 ||
        memcmp(harness_text(&o) + m, p, n) != 0) {
        fprintf(stderr, "%s: a %zu-byte frame with max_frame %zu gave %s\n", FUZZ_TARGET, n, n,
                harness_text(&o));
        abort();
    }
    harness_out_free(&o);
    if (n > 1) {
        codec->max_frame = n - 1;
        harness_decode(codec, p, n, &o);
        if (o.frames != 0 || o.error != ENOSPC) {
            fprintf(stderr, "%s: a %zu-byte frame with max_frame %zu gave %s\n", FUZZ_TARGET,
                    n, n - 1, harness_text(&o));
            abort();
        }
        harness_out_free(&o);
    }
    codec->max_frame = saved;
}

/* A switch or http: the frames encoded in order by a fresh codec (the first by
 * A) read back as those frames. */
static void switch_round_trip(const harness_out *o)
{
    aeh_error e;
    aeh_codec *fresh = make_codec(&e);
    aeh_buf wire = { 0 }, want = { 0 };
    const char *s = (const char *)aeh_buf_data(&o->text);
    size_t i = 0;
    bool refused = false;
    fresh->max_frame = codec->max_frame;
    fresh->flags = codec->flags;
    for (int k = 0; k < o->frames && !refused; k++) {
        size_t n = 0, start = i;
        while (s[i] != ':')
            n = n * 10 + (size_t)(s[i++] - '0');
        i++;
        refused = fresh->encode(fresh, (const uint8_t *)s + i, n, &wire, &e) < 0;
        if (refused && encoder_total) {
            fprintf(stderr, "%s: encoder refused frame %d: %s\n", FUZZ_TARGET, k, e.msg);
            abort();
        }
        if (!refused)
            aeh_buf_append(&want, s + start, i - start + n + 1);
        i += n + 1;
    }
    aeh_buf_append(&want, "", 1);
    harness_out got;
    static const uint8_t nothing[1];
    harness_decode(fresh, aeh_buf_len(&wire) ? aeh_buf_data(&wire) : nothing, aeh_buf_len(&wire),
                   &got);
    if (aeh_buf_len(&got.text) != aeh_buf_len(&want) ||
        memcmp(aeh_buf_data(&got.text), aeh_buf_data(&want), aeh_buf_len(&want)) != 0) {
        fprintf(stderr, "%s: stream round trip gave %s\n", FUZZ_TARGET, harness_text(&got));
        abort();
    }
    harness_out_free(&got);
    aeh_buf_free(&wire);
    aeh_buf_free(&want);
    aeh_codec_free(fresh);
}

/* Walks the rendering "<len>:<bytes>," ... and round-trips each frame. */
static void round_trip_frames(const harness_out *o)
{
    const char *s = (const char *)aeh_buf_data(&o->text);
    size_t total = aeh_buf_len(&o->text) - 1, i = 0;
    if (codec->kind == AEH_CODEC_KIND_SWITCH || codec->kind == AEH_CODEC_KIND_HTTP) {
        switch_round_trip(o);
        return;
    }
    for (int k = 0; k < o->frames; k++) {
        size_t n = 0;
        while (i < total && s[i] != ':')
            n = n * 10 + (size_t)(s[i++] - '0');
        i++;
        round_trip((const uint8_t *)s + i, n);
        if (strcmp(FUZZ_TARGET, "cbor") == 0)
            cbor_exact_limit((const uint8_t *)s + i, n);
        i += n + 1;
    }
}

/* decode_many (on the whole input, fresh state) gives a prefix of what the
 * decoder gives; encode_many writes those frames as a loop of encode does,
 * and stops where it stops. */
static void batch_paths_agree(const uint8_t *in, size_t len, const harness_out *whole)
{
    if (!codec->decode_many)
        return;
    aeh_dstate st = { 0 };
    aeh_span f[64];
    size_t used[64], off = 0;
    size_t k = codec->decode_many(codec, &st, in, len, f, used, 64);
    aeh_buf mine = { 0 };
    for (size_t i = 0; i < k; i++) {
        char num[32];
        int m = snprintf(num, sizeof num, "%zu:", f[i].n);
        aeh_buf_append(&mine, num, (size_t)m);
        aeh_buf_append(&mine, f[i].p, f[i].n);
        aeh_buf_append(&mine, ",", 1);
        if (!used[i] || f[i].p < in + off || f[i].p + f[i].n > in + off + used[i])
            mismatch("decode_many: a frame outside the bytes it used", whole, NULL);
        off += used[i];
    }
    if (off > len || (int)k > whole->frames || aeh_buf_len(&mine) > aeh_buf_len(&whole->text) ||
        (k && memcmp(aeh_buf_data(&mine), aeh_buf_data(&whole->text), aeh_buf_len(&mine))))
        mismatch("decode_many differs from decode", whole, NULL);
    aeh_buf many = { 0 }, one = { 0 };
    aeh_error e;
    if (!codec->encode_many) {
        aeh_buf_free(&mine);
        return;
    }
    size_t q = codec->encode_many(codec, f, k, &many, &e), j = 0;
    while (j < k && codec->encode(codec, f[j].p, f[j].n, &one, &e) == 0)
        j++;
    if (q != j || aeh_buf_len(&many) != aeh_buf_len(&one) ||
        (j && memcmp(aeh_buf_data(&many), aeh_buf_data(&one), aeh_buf_len(&one))))
        mismatch("encode_many differs from encode", whole, NULL);
    aeh_buf_free(&mine);
    aeh_buf_free(&many);
    aeh_buf_free(&one);
}

/* decode_run (fresh state) spans whole frames that decode gives, as many
 * as it says, and the encoder writes each back as exactly its bytes. */
static void run_agrees(const uint8_t *in, size_t len, const harness_out *whole)
{
    if (!codec->decode_run)
        return;
    aeh_dstate st = { 0 }, one = { 0 };
    uint64_t frames = 0;
    size_t run = codec->decode_run(codec, &st, in, len, &frames), off = 0;
    aeh_buf back = { 0 };
    aeh_error e;
    for (uint64_t i = 0; i < frames; i++) {
        aeh_span f;
        size_t used = 0;
        if (off >= run || codec->decode(codec, &one, in + off, run - off, false, &f, &used, &e) != AEH_DEC_FRAME ||
            codec->encode(codec, f.p, f.n, &back, &e) < 0)
            mismatch("decode_run: not that many whole frames that encode", whole, NULL);
        off += used;
    }
    if (off != run || aeh_buf_len(&back) != run || (run && memcmp(aeh_buf_data(&back), in, run)))
        mismatch("decode_run: its bytes are not the frames' encoding", whole, NULL);
    aeh_buf_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!codec)
        setup();
    if (size < 2)
        return 0;
    codec->flags = data[0] & 1 ? AEH_CODEC_PARTIAL_AT_EOF : 0;
    codec->max_frame = max_frames[data[0] >> 1 & 7];
    const uint8_t *in = data + 2;
    size_t len = size - 2;

    harness_out whole, other;
    harness_decode(codec, in, len, &whole);
    size_t cut = len ? data[1] % len : 0;
    harness_decode_cuts(codec, in, len, &cut, cut ? 1 : 0, &other);
    same_or_abort("cut in two differs from whole", &whole, &other);
    if (len > 1 && len <= 512) {
        size_t cuts[512];
        for (size_t k = 0; k < len - 1; k++)
            cuts[k] = k + 1;
        harness_decode_cuts(codec, in, len, cuts, len - 1, &other);
        same_or_abort("1-byte reads differ from whole", &whole, &other);
    }
    if (whole.calls > 4 * (len + 2) + 8)
        mismatch("too many decode calls", &whole, NULL);
    round_trip_frames(&whole);
    batch_paths_agree(in, len, &whole);
    run_agrees(in, len, &whole);
    harness_out_free(&whole);
    return 0;
}
