/* SPDX-License-Identifier: MIT */
/* The C half of the JSON differential test (tests/fuzz/json_diff.py drives
 * it; tests/json_diff.bats and `make fuzz-diff` run that).  It judges each
 * input with lib/frame_json.c's decoder, so that a strict reference parser
 * (tests/fuzz/json_oracle.py) can judge the same input and any disagreement
 * shows up as a bug in one of them.
 *
 * Input on stdin: records, each a 4-byte little-endian length and that many
 * bytes.  Output on stdout: one line per record, in order:
 *     accept
 *     reject <frames> <error code>@<offset> <decoder message>
 * "accept" iff the decoder, fed the whole record with eof set, gives exactly
 * one frame, no error, and consumes only JSON whitespace around it: the
 * record is one JSON text (RFC 8259), which is what the oracle decides.
 *
 * Each record is also decoded the way lib/handle.c reads a stream (bytes
 * appended to an aeh_buf, decode called on the unconsumed bytes with the
 * state kept across calls, `consumed` bytes dropped from the head, EOF last):
 * once in 2 or 3 reads cut at points derived from the record's index (so a
 * failure reproduces from the same input stream), once in 1-byte reads.
 * Both must give the same frames (offsets and lengths) and the same error
 * (code and offset) as the whole record: a difference is a resumability bug
 * that the verdict alone could hide, so the driver prints the record and
 * aborts.  It aborts too when the decoder breaks its calling convention
 * (consumes more than it was given, a frame outside the consumed bytes, a
 * frame that consumes nothing, bytes other than whitespace between frames).
 *
 * Options:
 *   --first-index K   index of the first record (cut points depend on it;
 *                     json_diff.py sets it when it runs a long test in batches)
 *   --break-split     test switch: the split reads forget st->scan between
 *                     reads, as a handle with that bug would; the
 *                     resumability check must then abort (json_diff.bats). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aeh.h"

/* What one decoding of a record gave: its frames as (stream offset, length)
 * pairs, then an error or none. */
typedef struct {
    size_t *frames;               /* 2 * nframes: offset, length */
    size_t nframes, cap;
    int error;                    /* 0 or the error code */
    uint64_t error_offset;        /* stream offset of the error */
    char msg[200];
} outcome;

static bool break_split;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    exit(2);
}

static void outcome_add_frame(outcome *o, size_t off, size_t n)
{
    if (o->nframes == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 4;
        o->frames = realloc(o->frames, 2 * o->cap * sizeof *o->frames);
        if (!o->frames)
            die("json_diff: %s\n", "out of memory");
    }
    o->frames[2 * o->nframes] = off;
    o->frames[2 * o->nframes + 1] = n;
    o->nframes++;
}

static void dump_record(FILE *f, uint64_t index, const uint8_t *in, size_t len)
{
    fprintf(f, "json_diff: record %" PRIu64 " (%zu bytes, hex): ", index, len);
    for (size_t k = 0; k < len; k++)
        fprintf(f, "%02x", in[k]);
    fputc('\n', f);
}

/* Reports a broken invariant with the record that broke it and aborts: a
 * core dump and a non-zero exit that json_diff.py cannot mistake for a
 * verdict. */
static void fail_record(uint64_t index, const uint8_t *in, size_t len, const char *what,
                        const outcome *a, const outcome *b)
{
    fflush(stdout);
    fprintf(stderr, "json_diff: FAILED: %s\n", what);
    dump_record(stderr, index, in, len);
    const outcome *os[2] = { a, b };
    for (int k = 0; k < 2; k++) {
        if (!os[k])
            continue;
        fprintf(stderr, "json_diff:   %s: %zu frames", k ? "split" : "whole", os[k]->nframes);
        for (size_t j = 0; j < os[k]->nframes && j < 8; j++)
            fprintf(stderr, " [%zu,+%zu)", os[k]->frames[2 * j], os[k]->frames[2 * j + 1]);
        if (os[k]->error)
            fprintf(stderr, ", error %d@%" PRIu64 " %s", os[k]->error, os[k]->error_offset,
                    os[k]->msg);
        fputc('\n', stderr);
    }
    abort();
}

/* Decodes in[0, len) in reads ending at cuts[0] < cuts[1] < ... < len, then
 * EOF; ncuts == 0 with eof_at_once is the whole record in one call with
 * eof set (what "fed the whole input with eof=true" means).  The buffer is
 * a real aeh_buf, so the decoder sees its input move and must keep no
 * pointers into it, only offsets relative to the head. */
static void decode(const aeh_codec *c, uint64_t index, const uint8_t *in, size_t len,
                   const size_t *cuts, size_t ncuts, bool eof_at_once, outcome *o)
{
    aeh_buf rbuf = { 0 };
    aeh_dstate st;
    memset(&st, 0, sizeof st);
    o->nframes = 0;
    o->error = 0;
    o->error_offset = 0;
    o->msg[0] = 0;
    size_t base = 0, fed = 0;     /* stream offset of rbuf's head; bytes appended */
    bool eof = false;
    for (size_t k = 0; !eof && !o->error; k++) {
        eof = k == ncuts + 1 || (eof_at_once && k == ncuts);
        size_t upto = k < ncuts ? cuts[k] : len;
        if (upto > fed) {
            if (aeh_buf_append(&rbuf, in + fed, upto - fed) < 0)
                die("json_diff: %s\n", "out of memory");
            fed = upto;
        }
        if (break_split && k > 0 && !eof)
            st.scan = 0;
        for (;;) {
            size_t avail = aeh_buf_len(&rbuf), consumed = 0;
            const uint8_t *data = aeh_buf_data(&rbuf);
            aeh_span f = { 0 };
            aeh_error e;
            memset(&e, 0, sizeof e);
            int rc = c->decode(c, &st, data, avail, eof, &f, &consumed, &e);
            if (consumed > avail)
                fail_record(index, in, len, "decoder consumed more than it was given", NULL, NULL);
            if (rc == AEH_DEC_ERROR) {
                o->error = e.code ? e.code : -1;
                o->error_offset = base + e.offset;
                snprintf(o->msg, sizeof o->msg, "%s", e.msg);
                break;
            }
            if (rc == AEH_DEC_MORE) {
                /* Only whitespace may be consumed outside a frame. */
                for (size_t j = 0; j < consumed; j++)
                    if (!(data[j] == ' ' || data[j] == '\t' || data[j] == '\n' || data[j] == '\r'))
                        fail_record(index, in, len, "decoder skipped a byte other than whitespace",
                                    NULL, NULL);
                base += consumed;
                aeh_buf_consume(&rbuf, consumed);
                if (consumed)
                    continue;
                if (eof && avail) {   /* the handle's rule: EOF with bytes left */
                    o->error = EBADMSG;
                    o->error_offset = base;
                    snprintf(o->msg, sizeof o->msg, "truncated: %zu bytes left at EOF", avail);
                }
                break;
            }
            if (rc != AEH_DEC_FRAME)
                fail_record(index, in, len, "decoder returned an unknown code", NULL, NULL);
            if (!consumed || !f.p || f.p < data || f.n > consumed ||
                (size_t)(f.p - data) > consumed - f.n)
                fail_record(index, in, len, "frame not inside the bytes it consumed (or empty)",
                            NULL, NULL);
            size_t at = (size_t)(f.p - data);
            for (size_t j = 0; j < consumed; j++)
                if ((j < at || j >= at + f.n) &&
                    !(data[j] == ' ' || data[j] == '\t' || data[j] == '\n' || data[j] == '\r'))
                    fail_record(index, in, len, "frame consumed a byte other than whitespace "
                                "around it", NULL, NULL);
            outcome_add_frame(o, base + at, f.n);
            base += consumed;
            aeh_buf_consume(&rbuf, consumed);
        }
    }
    aeh_buf_free(&st.out);
    aeh_buf_free(&rbuf);
}

static bool same_outcome(const outcome *a, const outcome *b)
{
    return a->nframes == b->nframes && a->error == b->error &&
           a->error_offset == b->error_offset &&
           (a->nframes == 0 || memcmp(a->frames, b->frames, 2 * a->nframes * sizeof *a->frames) == 0);
}

/* splitmix64: cut points from the record index alone, so that a run is
 * reproducible from its input stream. */
static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* 1 or 2 distinct cuts in [1, len), ascending; none when len < 2. */
static size_t pick_cuts(uint64_t index, size_t len, size_t cuts[2])
{
    if (len < 2)
        return 0;
    uint64_t s = index ^ 0x6a736f6e64696666u;   /* "jsondiff" */
    size_t n = len > 2 && (mix(&s) & 1) ? 2 : 1;
    cuts[0] = 1 + (size_t)(mix(&s) % (len - 1));
    if (n == 2) {
        do
            cuts[1] = 1 + (size_t)(mix(&s) % (len - 1));
        while (cuts[1] == cuts[0]);
        if (cuts[1] < cuts[0]) {
            size_t t = cuts[0];
            cuts[0] = cuts[1];
            cuts[1] = t;
        }
    }
    return n;
}

static bool read_exact(void *p, size_t n, bool eof_ok)
{
    size_t got = fread(p, 1, n, stdin);
    if (got == n)
        return true;
    if (ferror(stdin))
        die("json_diff: reading stdin: %s\n", strerror(errno));
    if (got == 0 && eof_ok)
        return false;
    die("json_diff: %s\n", "truncated record on stdin");
    return false;
}

int main(int argc, char **argv)
{
    uint64_t index = 0;
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "--break-split") == 0)
            break_split = true;
        else if (strcmp(argv[k], "--first-index") == 0 && k + 1 < argc)
            index = strtoull(argv[++k], NULL, 10);
        else
            die("%s", "usage: json_diff [--first-index K] [--break-split] <records\n"
                "  (each record: a 4-byte little-endian length, then the bytes)\n");
    }
    aeh_error e;
    aeh_codec *c = aeh_codec_json(0, &e);   /* 0: the default depth, 512 */
    if (!c)
        die("json_diff: %s\n", e.msg);
    size_t cap = 64;              /* never 0: no arithmetic on a null pointer */
    uint8_t *in = malloc(cap);
    size_t *cuts = malloc(cap * sizeof *cuts);
    if (!in || !cuts)
        die("json_diff: %s\n", "out of memory");
    outcome whole = { 0 }, split = { 0 };
    for (;; index++) {
        uint8_t hdr[4];
        if (!read_exact(hdr, 4, true))
            break;
        size_t len = (size_t)hdr[0] | (size_t)hdr[1] << 8 | (size_t)hdr[2] << 16 |
                     (size_t)hdr[3] << 24;
        if (len > cap) {
            cap = len;
            in = realloc(in, cap);
            cuts = realloc(cuts, cap * sizeof *cuts);
            if (!in || !cuts)
                die("json_diff: %s\n", "out of memory");
        }
        if (len)
            read_exact(in, len, false);
        decode(c, index, in, len, NULL, 0, true, &whole);
        size_t ncuts = pick_cuts(index, len, cuts);
        decode(c, index, in, len, cuts, ncuts, false, &split);
        if (!same_outcome(&whole, &split))
            fail_record(index, in, len, "2-3 reads differ from the whole record", &whole, &split);
        /* 1-byte reads: every cut at once; linear, as decoders resume */
        for (size_t j = 0; j + 1 < len; j++)
            cuts[j] = j + 1;
        decode(c, index, in, len, cuts, len ? len - 1 : 0, false, &split);
        if (!same_outcome(&whole, &split))
            fail_record(index, in, len, "1-byte reads differ from the whole record", &whole, &split);
        if (whole.nframes == 1 && !whole.error)
            puts("accept");
        else
            printf("reject %zu %d@%" PRIu64 " %s\n", whole.nframes, whole.error,
                   whole.error_offset, whole.error ? whole.msg : "(no error)");
    }
    if (fflush(stdout) != 0 || ferror(stdout))
        die("json_diff: writing stdout: %s\n", strerror(errno));
    free(in);
    free(cuts);
    free(whole.frames);
    free(split.frames);
    aeh_codec_free(c);
    return 0;
}
