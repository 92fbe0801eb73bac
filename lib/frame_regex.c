/* SPDX-License-Identifier: MIT */
/* The two PCRE2 framings, both on rematch's streaming search.
 *
 * line (aeh_codec_line_re): a line ends at a match of the pattern; the
 * frame is the bytes before the match, the marker is dropped.  Unlike
 * AnyEvent, which matches whatever is buffered, a match more bytes could
 * change is held back, so "\n+" gives the same lines however the stream is
 * split.  max_frame bounds the line without its marker: ENOSPC at offset
 * max_frame once no match can start by then.  A marker whose partial match
 * keeps growing (a run of "\n" for "\n+") is bounded by the handle's
 * rbuf_max, not by max_frame: only the frame's length is a property of the
 * stream, so only it can be checked the same way at every split.  At EOF an
 * unterminated last line is a frame with AEH_CODEC_PARTIAL_AT_EOF, otherwise
 * EBADMSG "truncated".  The encoder appends the written marker (default
 * "\n") and refuses (EINVAL) a frame that would not read back: one in which
 * the pattern matches, or whose end forms a match with the marker ("a\r"
 * with "\r?\n"), or a marker the pattern does not match whole.
 *
 * regex (aeh_codec_regex): AnyEvent's regex read.  The frame is everything
 * up to and including the leftmost accept match.
 *   reject: the data is refused (EBADMSG at the reject match's start) when a
 *     reject match starts before the accept match, within max_frame.  Made
 *     split-independent: AnyEvent lets an accept match win whenever it is
 *     buffered, so "xa" with reject "x" passes or fails by how it arrived.
 *     The price: an accept match waits while a reject match that could
 *     start before it is still partial ("<.*>" over the line).
 *   skip: AnyEvent's optimisation, kept with its meaning: when the accept
 *     has no match in what is buffered, the bytes up to the end of the
 *     skip's leftmost complete match in what is buffered become part of the
 *     frame unseen: accept and reject then match against the input that
 *     follows them (so ^ anchors there, as in AnyEvent where the skipped
 *     bytes leave the buffer).  It is a promise that no accept or reject
 *     match begins in the skipped bytes; a skip that breaks it makes frames
 *     depend on how the data arrived, in AnyEvent and here.  Our searches
 *     already resume instead of rescanning, so skip mostly matters for
 *     anchored accept patterns.  Skipped bytes stay in the read buffer
 *     (the frame is a slice of it) and count toward rbuf_max.
 *   max_frame bounds the whole frame (ENOSPC at offset max_frame).  With
 *   AEH_CODEC_PARTIAL_AT_EOF, unmatched bytes at EOF are a last frame.
 *   The encoder writes the frame as is, which must already carry its
 *   terminator: it refuses (EINVAL) a frame whose accept match does not end
 *   exactly at its end, or that a reject match would refuse, since the
 *   peer's reader would cut or refuse it.
 *
 * A codec's matchers hold one match data block each: a codec serves one
 * search at a time (one handle's loop thread), see rematch_int.h. */
#include <stdlib.h>
#include "codec_int.h"
#include "rematch_int.h"

typedef struct re_codec {
    aeh_codec codec;
    rematch *accept;              /* line: the end marker */
    rematch *reject, *skip;       /* regex only; may be NULL */
    size_t weol_len;
    uint8_t weol[];               /* line: the marker written */
} re_codec;

/* aeh_dstate of the regex decoder; every offset is from the input's head.
 *   scan  accept: no match starts before it
 *   u[0]  reject: no match starts before it
 *   u[1]  reject: start + 1 of its match, 0 while none is known
 *   u[2]  base: end of the skipped bytes, where the subject starts
 *   u[3]  skip: no complete match starts before it
 * The line decoder uses scan only. */
enum { RJ_RESUME, RJ_FOUND, BASE, SK_RESUME };

static void re_destroy(aeh_codec *c)
{
    re_codec *rc = c->priv;
    aeh__rematch_free(rc->accept);
    aeh__rematch_free(rc->reject);
    aeh__rematch_free(rc->skip);
    free(rc);
}

static re_codec *re_alloc(aeh_codec_kind kind, const char *name, aeh_decode_fn *decode,
                          aeh_encode_fn *encode, size_t weol_len, aeh_error *err)
{
    re_codec *rc = calloc(1, sizeof *rc + weol_len);
    if (!rc) {
        aeh_fail(err, ENOMEM, 0, "%s: out of memory", name);
        return NULL;
    }
    rc->codec = (aeh_codec){ .name = name, .decode = decode, .encode = encode,
                             .destroy = re_destroy, .priv = rc, .kind = kind };
    return rc;
}

/* A matcher's error is at an offset into the subject, which starts at base. */
static int re_error(aeh_error *err, size_t base)
{
    err->offset += base;
    return AEH_DEC_ERROR;
}

/* ------------------------------------------------------------------ line */

static int line_re_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                          bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    re_codec *rc = c->priv;
    size_t max = c->max_frame, start, end;
    int r = aeh__rematch_find(rc->accept, buf, len, &st->scan, eof, &start, &end, err);
    if (r == REMATCH_ERROR)
        return AEH_DEC_ERROR;
    if (r == REMATCH_FOUND) {
        if (max && start > max)
            return codec_too_long(c, err, max);
        return codec_frame(st, buf, start, end, frame, consumed);
    }
    if (max && st->scan > max)
        return codec_too_long(c, err, max);
    if (!eof || !len)
        return AEH_DEC_MORE;
    if (c->flags & AEH_CODEC_PARTIAL_AT_EOF)
        return codec_frame(st, buf, len, len, frame, consumed);
    return codec_truncated(c, err, len);
}

/* The encoders read a written frame back with the decoder's own search; when
 * that search fails (a match limit), its error becomes the encoder's.  It is
 * copied first: formatting err->msg into err->msg overlaps. */
static int cannot_check(aeh_error *err, const char *codec)
{
    aeh_error search = *err;
    return aeh_fail(err, EINVAL, 0, "%s: cannot check the frame: %s", codec, search.msg);
}

static int line_re_encode(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                          aeh_error *err)
{
    re_codec *rc = c->priv;
    if (codec_check_encode_size(c, n, err) < 0)
        return -1;
    size_t mark = aeh_buf_len(out);   /* appending may compact: keep lengths */
    if (codec_put(c, out, p, n, err) < 0 || codec_put(c, out, rc->weol, rc->weol_len, err) < 0)
        return -1;
    /* Read it back exactly as the decoder will: the written line is the
     * subject, and its first match must be the marker we wrote. */
    size_t start, end, total = n + rc->weol_len;
    int r = aeh__rematch_search(rc->accept, aeh_buf_data(out) + mark, total, 0, &start, &end, err);
    if (r == REMATCH_FOUND && start == n && end == total)
        return 0;
    out->tail = out->head + mark;
    if (r == REMATCH_ERROR)
        return cannot_check(err, "line");
    if (r == REMATCH_FOUND && start < n)
        return aeh_fail(err, EINVAL, start,
                        "line: the end-of-line pattern matches inside the frame at byte %zu",
                        start);
    return aeh_fail(err, EINVAL, n,
                    "line: the end-of-line pattern does not match the written marker whole");
}

aeh_codec *aeh_codec_line_re(const char *re, const void *weol, size_t weol_len,
                             aeh_error *err)
{
    if (!re) {
        aeh_fail(err, EINVAL, 0, "line: no end-of-line pattern");
        return NULL;
    }
    if (!weol) {
        weol = "\n";
        weol_len = 1;
    } else if (!weol_len) {
        aeh_fail(err, EINVAL, 0, "line: empty end-of-line marker to write");
        return NULL;
    }
    re_codec *rc = re_alloc(AEH_CODEC_KIND_LINE, "line", line_re_decode, line_re_encode, weol_len, err);
    if (!rc)
        return NULL;
    rc->weol_len = weol_len;
    memcpy(rc->weol, weol, weol_len);
    rc->accept = aeh__rematch_new("line", re, strlen(re), 0, err);
    if (!rc->accept) {
        re_destroy(&rc->codec);
        return NULL;
    }
    return &rc->codec;
}

/* ------------------------------------------------------------------ regex */

enum { RJ_CLEAR, RJ_HIT, RJ_PENDING };

/* Is there a reject match starting before `horizon` (absolute)?  Searches
 * only as far as needed and remembers a match found past the horizon, since
 * a later accept match may start after it. */
static int reject_status(re_codec *rc, aeh_dstate *st, const uint8_t *buf, size_t len,
                         bool eof, size_t horizon, size_t *at, aeh_error *err)
{
    if (!rc->reject)
        return RJ_CLEAR;
    size_t base = st->u[BASE];
    if (!st->u[RJ_FOUND] && st->u[RJ_RESUME] < horizon) {
        size_t resume = st->u[RJ_RESUME] - base, start, end;
        int r = aeh__rematch_find(rc->reject, buf + base, len - base, &resume, eof, &start, &end, err);
        if (r == REMATCH_ERROR)
            return re_error(err, base);
        st->u[RJ_RESUME] = base + resume;
        if (r == REMATCH_FOUND)
            st->u[RJ_FOUND] = base + start + 1;
    }
    if (st->u[RJ_FOUND]) {
        *at = st->u[RJ_FOUND] - 1;
        return *at < horizon ? RJ_HIT : RJ_CLEAR;
    }
    return st->u[RJ_RESUME] >= horizon ? RJ_CLEAR : RJ_PENDING;
}

/* The accept has no match in what is buffered: let skip move the subject's
 * start.  True when it did. */
static int skip_ahead(re_codec *rc, aeh_dstate *st, const uint8_t *buf, size_t len,
                      aeh_error *err)
{
    size_t base = st->u[BASE];
    size_t resume = st->u[SK_RESUME] - base, start, end;
    int r = aeh__rematch_find_soft(rc->skip, buf + base, len - base, &resume, &start, &end, err);
    if (r == REMATCH_ERROR)
        return re_error(err, base);
    if (r != REMATCH_FOUND || end == 0) {
        st->u[SK_RESUME] = base + resume;
        return 0;
    }
    /* As AnyEvent re-matches the shortened buffer from its start. */
    base += end;
    st->u[BASE] = st->u[SK_RESUME] = st->u[RJ_RESUME] = st->scan = base;
    st->u[RJ_FOUND] = 0;
    return 1;
}

static int regex_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                        bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    re_codec *rc = c->priv;
    size_t max = c->max_frame;
    if (!len)
        return AEH_DEC_MORE;      /* nothing buffered, nothing pending (buf may be NULL) */
    for (;;) {
        size_t base = st->u[BASE];
        size_t resume = st->scan - base, start = 0, end = 0;
        int r = aeh__rematch_find(rc->accept, buf + base, len - base, &resume, eof, &start, &end, err);
        if (r == REMATCH_ERROR)
            return re_error(err, base);
        st->scan = base + resume;
        bool found = r == REMATCH_FOUND;
        /* A reject match starting before the accept match refuses the data;
         * past max_frame the frame is too long whatever comes, so a reject
         * there need not be waited for. */
        size_t horizon = found ? base + start : st->scan;
        if (max && horizon > max)
            horizon = max + 1;
        size_t rat = 0;
        int rj = reject_status(rc, st, buf, len, eof, horizon, &rat, err);
        if (rj == AEH_DEC_ERROR)
            return AEH_DEC_ERROR;
        if (rj == RJ_HIT) {
            codec_malformed(c, err, rat, "data matches the reject pattern");
            err->reason = AEH_REASON_REJECTED;   /* what dialogs tell from other EBADMSGs */
            return AEH_DEC_ERROR;
        }
        if (found) {
            if (rj == RJ_PENDING)
                return AEH_DEC_MORE;
            if (max && base + end > max)
                return codec_too_long(c, err, max);
            return codec_frame(st, buf, base + end, base + end, frame, consumed);
        }
        /* Every accept match ends past st->scan. */
        if (max && st->scan > max && rj == RJ_CLEAR)
            return codec_too_long(c, err, max);
        /* A partial match still growing with more than max_frame bytes
         * buffered ("x*+y" over endless x's): a frame must end by max_frame,
         * and one that did would have been found, unless PARTIAL_HARD held
         * back a complete match for a longer one (a pattern such as
         * "x|x*+y"), which is then refused too.  Without this the buffer
         * grew without bound. */
        if (max && len > max && rj == RJ_CLEAR)
            return codec_too_long(c, err, max);
        if (!eof && rc->skip) {
            int s = skip_ahead(rc, st, buf, len, err);
            if (s < 0)
                return AEH_DEC_ERROR;
            if (s)
                continue;
        }
        if (!eof || !len)
            return AEH_DEC_MORE;
        if (c->flags & AEH_CODEC_PARTIAL_AT_EOF)
            return codec_frame(st, buf, len, len, frame, consumed);
        return codec_truncated(c, err, len);
    }
}

static int regex_encode(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                        aeh_error *err)
{
    re_codec *rc = c->priv;
    if (codec_check_encode_size(c, n, err) < 0)
        return -1;
    size_t start, end, rstart, rend;
    int r = aeh__rematch_search(rc->accept, p, n, 0, &start, &end, err);
    if (r == REMATCH_ERROR)
        return cannot_check(err, "regex");
    if (r != REMATCH_FOUND || end != n)
        return aeh_fail(err, EINVAL, r == REMATCH_FOUND ? end : n,
                        "regex: the frame does not end with its first accept match");
    if (rc->reject) {
        r = aeh__rematch_search(rc->reject, p, n, 0, &rstart, &rend, err);
        if (r == REMATCH_ERROR)
            return cannot_check(err, "regex");
        if (r == REMATCH_FOUND && rstart < start)
            return aeh_fail(err, EINVAL, rstart,
                            "regex: the frame matches the reject pattern at byte %zu", rstart);
    }
    return codec_put(c, out, p, n, err);
}

aeh_codec *aeh_codec_regex(const char *accept, const char *reject, const char *skip,
                           aeh_error *err)
{
    return aeh__codec_regex_new(accept, reject, skip, 0, err);
}

aeh_codec *aeh__codec_regex_new(const char *accept, const char *reject, const char *skip,
                                unsigned flags, aeh_error *err)
{
    if (!accept) {
        aeh_fail(err, EINVAL, 0, "regex: no accept pattern");
        return NULL;
    }
    re_codec *rc = re_alloc(AEH_CODEC_KIND_REGEX, "regex", regex_decode, regex_encode, 0, err);
    if (!rc)
        return NULL;
    rc->accept = aeh__rematch_new("regex", accept, strlen(accept), flags, err);
    if (rc->accept && reject)
        rc->reject = aeh__rematch_new("regex reject", reject, strlen(reject), flags, err);
    if (rc->accept && (!reject || rc->reject) && skip)
        rc->skip = aeh__rematch_new("regex skip", skip, strlen(skip), flags | REMATCH_SOFT, err);
    if (!rc->accept || (reject && !rc->reject) || (skip && !rc->skip)) {
        re_destroy(&rc->codec);
        return NULL;
    }
    return &rc->codec;
}

int aeh__codec_regex_set_limits(aeh_codec *c, uint32_t match_limit, uint32_t depth_limit,
                               uint32_t heap_limit_kib, aeh_error *err)
{
    if (!c || (c->decode != regex_decode && c->decode != line_re_decode))
        return aeh_fail(err, EINVAL, 0, "not a regex codec");
    re_codec *rc = c->priv;
    rematch *all[] = { rc->accept, rc->reject, rc->skip };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (all[i])
            aeh__rematch_set_limits(all[i], match_limit, depth_limit, heap_limit_kib);
    return 0;
}
