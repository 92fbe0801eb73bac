/* SPDX-License-Identifier: MIT */
/* Drives a decoder the way lib/handle.c does (a read buffer that grows by
 * reads and shrinks from the head, state kept across calls, the frames
 * delivered counted in st.frames, eof last) and
 * renders what came out as one comparable string:
 *     "<len>:<bytes>," per frame, then "E<code>@<stream offset>" on error.
 * A stream must give the same string whole, cut at every byte position and
 * fed in 1-byte reads: harness_check_splits() asserts exactly that. */
#ifndef CODEC_HARNESS_H
#define CODEC_HARNESS_H
#include <stdio.h>
#include "unit.h"

typedef struct {
    aeh_buf text;                 /* the rendering above, NUL-terminated */
    int frames;
    int error;                    /* 0 or the error code */
    uint64_t error_offset;        /* stream offset of the error */
    char msg[200];
    unsigned long calls;          /* decode calls, to catch quadratic drivers */
} harness_out;

static inline void harness_out_free(harness_out *o) { aeh_buf_free(&o->text); }

static inline void harness_render(harness_out *o, const char *s, size_t n)
{
    aeh_buf_append(&o->text, s, n);
}

/* Feeds in[0,len) in reads that end at cuts[0] < cuts[1] < ... < len, then
 * at len, then EOF.  Returns the rendering in *o (caller frees). */
static inline void harness_decode_cuts(const aeh_codec *c, const uint8_t *in, size_t len,
                                       const size_t *cuts, size_t ncuts, harness_out *o)
{
    memset(o, 0, sizeof *o);
    aeh_dstate st;
    memset(&st, 0, sizeof st);
    size_t head = 0, avail = 0;   /* in[head, avail) is the read buffer */
    bool eof = false;
    for (size_t k = 0; k <= ncuts + 1 && !o->error; k++) {
        if (k < ncuts)
            avail = cuts[k];
        else if (k == ncuts)
            avail = len;
        else
            eof = true;
        for (;;) {
            aeh_span f = { 0 };
            size_t consumed = 0;
            aeh_error e;
            memset(&e, 0, sizeof e);
            o->calls++;
            int rc = c->decode(c, &st, in + head, avail - head, eof, &f, &consumed, &e);
            if (rc == AEH_DEC_ERROR) {
                o->error = e.code;
                o->error_offset = head + e.offset;
                snprintf(o->msg, sizeof o->msg, "%s", e.msg);
                break;
            }
            if (rc == AEH_DEC_MORE) {
                if (consumed) {
                    head += consumed;
                    continue;
                }
                if (eof && avail > head) {  /* the handle's truncation rule */
                    o->error = EBADMSG;
                    o->error_offset = head;
                    snprintf(o->msg, sizeof o->msg, "truncated");
                }
                break;
            }
            char num[32];
            int m = snprintf(num, sizeof num, "%zu:", f.n);
            harness_render(o, num, (size_t)m);
            harness_render(o, (const char *)f.p, f.n);
            harness_render(o, ",", 1);
            o->frames++;
            st.frames++;          /* the driver's count, as the handle keeps it */
            head += consumed;
            if (eof && consumed == 0 && f.n == 0)
                break;            /* a decoder may not loop forever on EOF */
        }
    }
    if (o->error) {
        char tail[64];
        int m = snprintf(tail, sizeof tail, "E%d@%llu", o->error,
                         (unsigned long long)o->error_offset);
        harness_render(o, tail, (size_t)m);
    }
    aeh_buf_free(&st.out);
    harness_render(o, "", 1);
}

static inline void harness_decode(const aeh_codec *c, const void *in, size_t len, harness_out *o)
{
    harness_decode_cuts(c, in, len, NULL, 0, o);
}

static inline const char *harness_text(const harness_out *o)
{
    return (const char *)aeh_buf_data(&o->text);
}

/* Whether two renderings are the same, bytes after a NUL included (frames
 * may hold NULs: netstring, json-strings' \u0000, ...). */
static inline bool harness_same(const harness_out *a, const harness_out *b)
{
    return aeh_buf_len(&a->text) == aeh_buf_len(&b->text) &&
           memcmp(aeh_buf_data(&a->text), aeh_buf_data(&b->text), aeh_buf_len(&a->text)) == 0;
}

/* Whole, every 2-way cut, 1-byte reads: the same rendering.  Returns the
 * whole-stream rendering (caller frees). */
static inline void harness_check_splits(const aeh_codec *c, const void *in_, size_t len,
                                        harness_out *whole)
{
    const uint8_t *in = in_;
    harness_decode(c, in, len, whole);
    for (size_t k = 1; k < len; k++) {
        harness_out o;
        harness_decode_cuts(c, in, len, &k, 1, &o);
        ck_assert_msg(harness_same(&o, whole),
                      "%s: cut at %zu gives\n  %s\nwhole gives\n  %s", c->name, k,
                      harness_text(&o), harness_text(whole));
        harness_out_free(&o);
    }
    if (len > 1) {
        size_t *cuts = malloc(len * sizeof *cuts);
        for (size_t k = 0; k < len - 1; k++)
            cuts[k] = k + 1;
        harness_out o;
        harness_decode_cuts(c, in, len, cuts, len - 1, &o);
        free(cuts);
        ck_assert_msg(harness_same(&o, whole),
                      "%s: 1-byte reads give\n  %s\nwhole gives\n  %s", c->name,
                      harness_text(&o), harness_text(whole));
        harness_out_free(&o);
    }
}

/* Asserts that `in` decodes (at every split) to `expect`. */
#define HARNESS_EXPECT(codec, in, inlen, expect)                                  \
    do {                                                                          \
        harness_out ho_;                                                          \
        harness_check_splits((codec), (in), (inlen), &ho_);                        \
        ck_assert_msg(strcmp(harness_text(&ho_), (expect)) == 0,                  \
                      "%s: got\n  %s\nexpected\n  %s", (codec)->name,             \
                      harness_text(&ho_), (expect));                              \
        harness_out_free(&ho_);                                                   \
    } while (0)

/* HARNESS_EXPECT for an expected rendering of `n` bytes that may hold NULs
 * (the rendering's own terminating NUL not counted). */
#define HARNESS_EXPECT_N(codec, in, inlen, expect, n)                             \
    do {                                                                          \
        harness_out ho_;                                                          \
        harness_check_splits((codec), (in), (inlen), &ho_);                        \
        ck_assert_msg(aeh_buf_len(&ho_.text) == (n) + 1 &&                        \
                      memcmp(harness_text(&ho_), (expect), (n)) == 0,             \
                      "%s: got\n  %s\nexpected\n  %s", (codec)->name,             \
                      harness_text(&ho_), (expect));                              \
        harness_out_free(&ho_);                                                   \
    } while (0)

/* The expected rendering of frames followed by an error: harness_err(
 * "3:abc,", EBADMSG, 6) is "3:abc,E74@6".  Eight rotating buffers, so a
 * few can appear in one expression. */
static inline const char *harness_err(const char *frames, int code, uint64_t offset)
{
    static char ring[8][4096];
    static unsigned next;
    char *s = ring[next++ % 8];
    snprintf(s, sizeof ring[0], "%sE%d@%llu", frames, code, (unsigned long long)offset);
    return s;
}

/* Encodes each of frames[0, n) (NUL-terminated strings) into one stream,
 * asserting that the encoder accepts them, and checks that the stream
 * decodes back to exactly those frames at every split. */
static inline void harness_roundtrip(const aeh_codec *c, const char *const *frames, size_t n)
{
    aeh_buf wire = { 0 }, expect = { 0 };
    for (size_t k = 0; k < n; k++) {
        aeh_error e;
        size_t len = strlen(frames[k]);
        ck_assert_msg(c->encode(c, (const uint8_t *)frames[k], len, &wire, &e) == 0,
                      "%s: encoding frame %zu failed: %s", c->name, k, e.msg);
        char num[32];
        int m = snprintf(num, sizeof num, "%zu:", len);
        aeh_buf_append(&expect, num, (size_t)m);
        aeh_buf_append(&expect, frames[k], len);
        aeh_buf_append(&expect, ",", 1);
    }
    aeh_buf_append(&expect, "", 1);
    HARNESS_EXPECT(c, aeh_buf_data(&wire), aeh_buf_len(&wire),
                   (const char *)aeh_buf_data(&expect));
    aeh_buf_free(&wire);
    aeh_buf_free(&expect);
}

/* Encodes one frame; returns the encoder's result, the bytes in *out. */
static inline int harness_encode(const aeh_codec *c, const void *p, size_t n, aeh_buf *out,
                                 aeh_error *e)
{
    aeh_buf_clear(out);
    memset(e, 0, sizeof *e);
    return c->encode(c, p, n, out, e);
}

/* Whether out holds exactly the NUL-terminated string s. */
static inline bool harness_buf_is(const aeh_buf *out, const char *s, size_t n)
{
    return aeh_buf_len(out) == n && (n == 0 || memcmp(aeh_buf_data(out), s, n) == 0);
}

#endif
