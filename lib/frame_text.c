/* SPDX-License-Identifier: MIT */
/* Text-safe framings: hexlines and base64lines (a frame is one line of hex
 * digits / RFC 4648 base64, "\r?\n" ended), and crlf (raw bytes whose "\n"
 * is written as "\r\n").
 *
 * The line decoders decode as the bytes arrive into st->out, so each input
 * byte is examined once, and the frame they return points into st->out.
 * Errors carry the offset of the offending character; an odd number of hex
 * digits or a base64 line whose length is not a multiple of 4 is reported
 * at the end of the line.  max_frame bounds the decoded frame: ENOSPC at the
 * character that completes the first byte past the limit.  An empty line is
 * an empty frame.  AEH_CODEC_PARTIAL_AT_EOF is honoured as for line.
 *
 * Base64 is strict RFC 4648 (§3.5 canonical): the standard alphabet,
 * padding required, the bits the padding leaves over must be zero, and
 * nothing after the padding: each frame has exactly one encoding. */
#include "codec_int.h"

/* Ends the line at `at` (its marker ends at `used`), or fails at `at` with
 * `incomplete` when the line stopped inside a group of digits. */
static int text_line_end(const aeh_codec *c, aeh_dstate *st, const char *incomplete,
                         size_t at, size_t used, aeh_span *frame, size_t *consumed,
                         aeh_error *err)
{
    if (incomplete)
        return codec_malformed(c, err, at, incomplete);
    /* An empty frame may have no memory behind it: no pointer arithmetic. */
    const uint8_t *p = st->out.base ? aeh_buf_data(&st->out) : NULL;
    return codec_frame(st, p, aeh_buf_len(&st->out), used, frame, consumed);
}

/* What an exhausted input means: more to come, the end of the last line,
 * or a truncated line. */
static int text_input_end(const aeh_codec *c, aeh_dstate *st, const char *incomplete, size_t len,
                          bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    st->scan = len;
    if (!eof || !len)
        return AEH_DEC_MORE;
    if (c->flags & AEH_CODEC_PARTIAL_AT_EOF)
        return text_line_end(c, st, incomplete, len, len, frame, consumed, err);
    return codec_truncated(c, err, len);
}

/* One character of a line's content: decodes it into st->out, or fails. */
typedef int text_char_fn(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t i,
                         aeh_error *err);

/* The line loop both decoders share; st->u[0] != 0 means "inside a group of
 * digits", which `incomplete` describes when a line ends there. */
static int text_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                       bool eof, aeh_span *frame, size_t *consumed, aeh_error *err,
                       text_char_fn *on_char, const char *incomplete)
{
    if (st->scan == 0)
        aeh_buf_clear(&st->out);
    for (size_t i = st->scan; i < len; i++) {
        if (buf[i] == '\n' || buf[i] == '\r') {
            int eol = codec_text_eol(buf, len, i, eof);
            if (eol < 0) {
                st->scan = i;
                return AEH_DEC_MORE;
            }
            if (eol > 0)
                return text_line_end(c, st, st->u[0] ? incomplete : NULL, i, i + (size_t)eol,
                                     frame, consumed, err);
            return codec_malformed(c, err, i, "'\\r' not followed by '\\n'");
        }
        if (on_char(c, st, buf, i, err) < 0)
            return AEH_DEC_ERROR;
    }
    return text_input_end(c, st, st->u[0] ? incomplete : NULL, len, eof, frame, consumed, err);
}

/* st->u[0]: 16 + the high nibble while a byte is half read, else 0. */
static int hex_char(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t i,
                    aeh_error *err)
{
    int d = textenc_hex_value((unsigned char)buf[i]);
    if (d < 0)
        return codec_malformed(c, err, i, "not a hex digit");
    if (!st->u[0]) {
        st->u[0] = 16u + (unsigned)d;
        return 0;
    }
    if (c->max_frame && aeh_buf_len(&st->out) >= c->max_frame)
        return codec_too_long(c, err, i);
    uint8_t byte = (uint8_t)((st->u[0] - 16) << 4 | (unsigned)d);
    st->u[0] = 0;
    return codec_put(c, &st->out, &byte, 1, err);
}

static int hex_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                      bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    return text_decode(c, st, buf, len, eof, frame, consumed, err, hex_char,
                       "odd number of hex digits");
}

static int hex_encode(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                      aeh_error *err)
{
    if (codec_check_encode_size(c, n, err) < 0)
        return -1;
    if (n > (SIZE_MAX - 1) / 2)
        return aeh_fail(err, EMSGSIZE, 0, "hexlines: frame too long");
    uint8_t *dst = aeh_buf_reserve(out, 2 * n + 1);
    if (!dst)
        return aeh_fail(err, ENOMEM, 0, "hexlines: out of memory");
    for (size_t i = 0; i < n; i++)
        textenc_hex_byte(dst + 2 * i, p[i]);
    dst[2 * n] = '\n';
    aeh_buf_commit(out, 2 * n + 1);
    return 0;
}

aeh_codec *aeh_codec_hexlines(aeh_error *err)
{
    return codec_alloc(AEH_CODEC_KIND_HEXLINES, "hexlines", hex_decode, hex_encode, 0, err);
}

/* ------------------------------------------------------------------ base64 */

enum { B64_NO_PAD, B64_ONE_PAD, B64_PADDED };

/* st->u[0]: characters of the current quad; u[1]: their bits; u[2]: padding
 * state (B64_*: one '=' seen at position 2, or the padded quad complete).
 * Shared with json-strings (codec_int.h), whose characters may come from
 * JSON escapes: hence the character and its neighbour's offset as
 * arguments rather than a position in a buffer. */
int aeh__codec_base64_char(const aeh_codec *c, aeh_dstate *st, uint8_t ch, size_t i, size_t prev,
                           aeh_error *err)
{
    uint64_t pos = st->u[0], acc = st->u[1];
    if (st->u[2] == B64_PADDED)
        return codec_malformed(c, err, i, "data after '=' padding");
    if (ch == '=') {
        if (pos < 2)
            return codec_malformed(c, err, i, "misplaced '=' padding");
        if (pos == 2) {
            if (acc & 0xf)
                return codec_malformed(c, err, prev, "non-zero bits before '=' padding");
            st->u[0] = 3;
            st->u[2] = B64_ONE_PAD;
            return 0;
        }
        uint8_t bytes[2];
        size_t nb;
        if (st->u[2] == B64_ONE_PAD) {
            bytes[0] = (uint8_t)(acc >> 4);
            nb = 1;
        } else {
            if (acc & 0x3)
                return codec_malformed(c, err, prev, "non-zero bits before '=' padding");
            bytes[0] = (uint8_t)(acc >> 10);
            bytes[1] = (uint8_t)(acc >> 2);
            nb = 2;
        }
        st->u[0] = st->u[1] = 0;
        st->u[2] = B64_PADDED;
        return codec_put(c, &st->out, bytes, nb, err);
    }
    if (st->u[2] == B64_ONE_PAD)
        return codec_malformed(c, err, i, "expected '=' after '='");
    int d = textenc_base64_value(ch);
    if (d < 0)
        return codec_malformed(c, err, i, "not a base64 character");
    /* The character at position pos >= 1 completes decoded byte pos - 1. */
    if (pos >= 1 && c->max_frame && aeh_buf_len(&st->out) + pos > c->max_frame)
        return codec_too_long(c, err, i);
    acc = acc << 6 | (unsigned)d;
    if (++pos < 4) {
        st->u[0] = pos;
        st->u[1] = acc;
        return 0;
    }
    uint8_t bytes[3] = { (uint8_t)(acc >> 16), (uint8_t)(acc >> 8), (uint8_t)acc };
    st->u[0] = st->u[1] = 0;
    return codec_put(c, &st->out, bytes, 3, err);
}

/* A line's characters are contiguous: the one before i is at i - 1. */
static int b64_char(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t i,
                    aeh_error *err)
{
    return aeh__codec_base64_char(c, st, buf[i], i, i - 1, err);
}

static int b64_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                      bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    return text_decode(c, st, buf, len, eof, frame, consumed, err, b64_char,
                       "line length is not a multiple of 4");
}

static int b64_encode(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                      aeh_error *err)
{
    if (codec_check_encode_size(c, n, err) < 0)
        return -1;
    if (n > (SIZE_MAX - 4) / 4 * 3)
        return aeh_fail(err, EMSGSIZE, 0, "base64lines: frame too long");
    size_t quads = (n + 2) / 3;
    uint8_t *dst = aeh_buf_reserve(out, 4 * quads + 1);
    if (!dst)
        return aeh_fail(err, ENOMEM, 0, "base64lines: out of memory");
    size_t o = aeh__base64_encode(dst, p, n);
    dst[o++] = '\n';
    aeh_buf_commit(out, o);
    return 0;
}

aeh_codec *aeh_codec_base64lines(aeh_error *err)
{
    return codec_alloc(AEH_CODEC_KIND_BASE64LINES, "base64lines", b64_decode, b64_encode, 0, err);
}

/* ------------------------------------------------------------------ crlf */

/* Whether the last byte written ended in '\r', so that a frame starting
 * with "\n" completes that "\r\n" instead of doubling it.  The encoder gets
 * a const codec, but priv is its own memory and may change: this one bit of
 * output state is why a crlf codec serves one output stream only. */
typedef struct {
    bool last_was_cr;
} crlf_state;

static int crlf_encode(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                       aeh_error *err)
{
    crlf_state *s = c->priv;
    if (codec_check_encode_size(c, n, err) < 0)
        return -1;
    size_t start = 0;
    const uint8_t *nl;
    while (start < n && (nl = memchr(p + start, '\n', n - start))) {
        size_t at = (size_t)(nl - p);
        bool has_cr = at ? p[at - 1] == '\r' : s->last_was_cr;
        if (!has_cr) {
            if (codec_put(c, out, p + start, at - start, err) < 0 ||
                codec_put(c, out, "\r", 1, err) < 0)
                return -1;
            start = at;       /* the '\n' goes out with the next piece */
        }
        if (codec_put(c, out, p + start, at + 1 - start, err) < 0)
            return -1;
        start = at + 1;
    }
    if (codec_put(c, out, p + start, n - start, err) < 0)
        return -1;
    if (n)
        s->last_was_cr = p[n - 1] == '\r';
    return 0;
}

aeh_codec *aeh_codec_crlf(aeh_error *err)
{
    return codec_alloc(AEH_CODEC_KIND_CRLF, "crlf", aeh__codec_raw_decode, crlf_encode, sizeof(crlf_state), err);
}
