/* SPDX-License-Identifier: MIT */
/* netstring: "<decimal length>:<payload>," (D. J. Bernstein).  Unlike
 * AnyEvent, which accepts any number of digits and leading zeros, this
 * decoder:
 *   - refuses a length over max_frame (ENOSPC) at the digit that takes it
 *     over, without waiting for the payload; with no limit, at the digit
 *     that would take it past what a size_t can hold;
 *   - refuses leading zeros ("0:," is the only length starting with '0'),
 *     so each payload has exactly one encoding;
 *   - reports a non-digit, a missing ':' or a missing ',' as EBADMSG at the
 *     offset of the offending byte.
 * The digits are parsed once: the state keeps the value and the position. */
#include <stdio.h>
#include <string.h>
#include "codec_int.h"

enum { NS_DIGITS, NS_PAYLOAD };

/* The length of a netstring whose digits and ':' are all in buf, when it is
 * plainly fine (1 to 15 digits, no leading zero, within limit): no
 * overflow check per digit is needed below 10^15.  false sends everything
 * else through ns_decode's careful loop, which says what is wrong where. */
static inline bool plain_length(const uint8_t *buf, size_t len, size_t limit, size_t *colon,
                                size_t *value)
{
    size_t i = 0, v = 0;
    while (i < len && i < 15 && (unsigned)(buf[i] - '0') <= 9)
        v = v * 10 + (size_t)(buf[i++] - '0');
    if (i == 0 || i == len || buf[i] != ':' || (buf[0] == '0' && i > 1) || v > limit)
        return false;
    *colon = i;
    *value = v;
    return true;
}

/* st->u[0]: length parsed so far; u[1]: phase; u[2]: payload offset.  The
 * state is written only when more input is needed: a frame read whole
 * (the common case, and the batch loop's) never stores it. */
CODEC_PER_FRAME int ns_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                              bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    /* Room for the digits, ':' and ',' around the payload. */
    const size_t limit = c->max_frame ? c->max_frame : SIZE_MAX - 32;
    size_t start, n;
    if (st->u[1] == NS_DIGITS && st->scan == 0 && plain_length(buf, len, limit, &start, &n)) {
        start++;                  /* past the ':' */
    } else if (st->u[1] == NS_DIGITS) {
        size_t value = (size_t)st->u[0];
        size_t i = st->scan;
        for (; i < len; i++) {
            uint8_t ch = buf[i];
            if (ch >= '0' && ch <= '9') {
                if (i > 0 && buf[0] == '0')
                    return codec_malformed(c, err, i, "leading zero in length");
                size_t next;
                if (__builtin_mul_overflow(value, 10, &next) ||
                    __builtin_add_overflow(next, (size_t)(ch - '0'), &next) || next > limit) {
                    if (c->max_frame)
                        return codec_too_long(c, err, i);
                    return aeh_fail(err, ENOSPC, i, "netstring: length does not fit in memory");
                }
                value = next;
            } else if (ch == ':' && i > 0) {
                break;
            } else {
                return codec_malformed(c, err, i, i ? "expected a digit or ':' in length"
                                                    : "expected a length digit");
            }
        }
        if (i == len) {
            st->u[0] = value;
            st->scan = i;
            return eof && len ? codec_truncated(c, err, len) : AEH_DEC_MORE;
        }
        start = i + 1;
        n = value;
    } else {
        start = (size_t)st->u[2];
        n = (size_t)st->u[0];
    }
    size_t end = start + n;       /* offset of the ',' */
    if (len <= end) {
        if (eof)
            return codec_truncated(c, err, len);
        st->u[0] = n;
        st->u[1] = NS_PAYLOAD;
        st->u[2] = start;
        st->scan = start;
        return AEH_DEC_MORE;
    }
    if (buf[end] != ',')
        return codec_malformed(c, err, end, "expected ',' after payload");
    return codec_frame(st, buf + start, n, end + 1, frame, consumed);
}

CODEC_PER_FRAME int ns_encode(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                     aeh_error *err)
{
    if (codec_check_encode_size(c, n, err) < 0)
        return -1;
    /* one reservation and hand-made digits: this runs once per frame */
    char digits[24];
    size_t nd = 0;
    size_t v = n;
    do {
        digits[sizeof digits - ++nd] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    uint8_t *w = codec_room(out, nd + n + 2);
    if (!w)
        return aeh_fail(err, ENOMEM, 0, "%s: out of memory", c->name);
    memcpy(w, digits + sizeof digits - nd, nd);
    w[nd] = ':';
    if (n)
        memcpy(w + nd + 1, p, n);
    w[nd + 1 + n] = ',';
    out->tail += nd + n + 2;      /* within the room codec_room gave */
    return 0;
}

/* Whole plain netstrings back to back (plain_length, then the payload and
 * its ','); anything else is left to ns_decode, which says what is wrong. */
static size_t ns_decode_many(const aeh_codec *c, const aeh_dstate *st, const uint8_t *buf,
                             size_t len, aeh_span *frames, size_t *used, size_t max)
{
    if (st->scan || st->u[0] || st->u[1] != NS_DIGITS)
        return 0;                 /* inside a frame: ns_decode resumes it */
    const size_t limit = c->max_frame ? c->max_frame : SIZE_MAX - 32;
    size_t k = 0, off = 0, colon, n;
    while (k < max && plain_length(buf + off, len - off, limit, &colon, &n) &&
           n < len - off - colon - 1 && buf[off + colon + 1 + n] == ',') {
        frames[k] = (aeh_span){ buf + off + colon + 1, n };
        used[k++] = colon + 2 + n;
        off += colon + 2 + n;
    }
    return k;
}

static size_t ns_encode_many(const aeh_codec *c, const aeh_span *frames, size_t n,
                             aeh_buf *out, aeh_error *err)
{
    size_t k = 0;
    while (k < n && ns_encode(c, frames[k].p, frames[k].n, out, err) == 0)
        k++;                      /* ns_encode appends nothing when it refuses */
    return k;
}

aeh_codec *aeh_codec_netstring(aeh_error *err)
{
    aeh_codec *c = codec_alloc(AEH_CODEC_KIND_NETSTRING, "netstring", ns_decode, ns_encode, 0, err);
    if (c) {
        c->decode_many = ns_decode_many;
        c->encode_many = ns_encode_many;
    }
    return c;
}
