/* SPDX-License-Identifier: MIT */
/* resp: a frame is one whole Redis value, RESP2 and RESP3, as its bytes.
 *   - Every type: simple strings '+', errors '-', integers ':', bulk strings
 *     '$' ("$-1" null), arrays '*' ("*-1" null), null '_', booleans '#',
 *     doubles ',', big numbers '(', bulk errors '!', verbatim strings '=',
 *     maps '%', sets '~', pushes '>', attributes '|', streamed strings "$?"
 *     (";N" chunks up to ";0") and streamed aggregates "*?", "%?", "~?"
 *     (up to "."), nested.
 *   - An attribute is part of the frame of the value it precedes: it is
 *     metadata about that value (RESP3), and a reader that took it alone
 *     would have to remember it for the next frame.  Inside an aggregate
 *     an attribute does not count as one of its elements.
 *   - Errors (EBADMSG) at the byte: an unknown type byte, a character that
 *     cannot be in its header (a length, an integer, a double, a boolean),
 *     a length or count out of range, "-1" or "?" where the type has none,
 *     CR not followed by LF, LF inside a simple string, a bulk string not
 *     followed by CRLF, a verbatim string without its "xxx:" format, "."
 *     outside a streamed aggregate (or after an attribute, or inside a map
 *     between a key and its value), nesting past max_depth (at the type
 *     byte of the aggregate that goes too deep).  The stream ending inside
 *     a value is the usual truncation.
 *   - max_frame: a bulk string or chunk whose end would pass it is ENOSPC
 *     at its length's first digit, before its body is buffered; an
 *     aggregate counting more elements than can fit (3 bytes at least
 *     each) likewise; any other byte past the limit is ENOSPC at that byte.
 * The frame is always a slice of the input.  Linear: a header line is
 * examined once (st->scan goes on where the last call stopped), a bulk
 * body not at all until its CRLF.  The open aggregates are a stack of
 * 64-bit words in st->out (one per level, at most max_depth).
 * The encoder writes a frame as it is once it is checked to be exactly one
 * value (AEH_CODEC_TRUSTED: not checked). */
#include "codec_int.h"

enum { RESP_DEFAULT_DEPTH = 512 };

typedef struct {
    size_t max_depth;
} resp_conf;

/* st->u[0]: the phase, and flags */
enum {
    PH_START = 0,                 /* a header line starts at st->scan */
    PH_LINE = 1,                  /* inside the header line starting at u[1] */
    PH_BODY = 2,                  /* a bulk body from u[2] to u[1], then CRLF */
    PH_MASK = 3,
    F_STREAM_STR = 4,             /* inside "$?": chunks ";N" come */
    F_ATTR = 8,                   /* an attribute waits for its value */
};

/* A stack level: the elements still due, or for a streamed aggregate a
 * flag (and, for a map, whether a key waits for its value in bit 0). */
#define LV_ATTR (UINT64_C(1) << 63)
#define LV_STREAM (UINT64_C(1) << 62)
#define LV_MAP (UINT64_C(1) << 61)
#define LV_COUNT (LV_MAP - 1)

/* Lengths and counts past this are refused even without max_frame. */
#define RESP_MAX_LEN (UINT64_C(1) << 53)

static size_t resp_depth(const aeh_dstate *st) { return aeh_buf_len(&st->out) / 8; }

static uint64_t resp_top(const aeh_dstate *st)
{
    uint64_t v;
    memcpy(&v, aeh_buf_data(&st->out) + aeh_buf_len(&st->out) - 8, 8);
    return v;
}

static void resp_set_top(aeh_dstate *st, uint64_t v)
{
    memcpy(aeh_buf_data(&st->out) + aeh_buf_len(&st->out) - 8, &v, 8);
}

/* A value ended: counts it in the levels it closes.  True when it was the
 * whole frame. */
static bool resp_value_done(aeh_dstate *st)
{
    st->u[0] &= ~(uint64_t)F_ATTR;
    while (resp_depth(st)) {
        uint64_t top = resp_top(st);
        if (top & LV_STREAM) {
            resp_set_top(st, top & LV_MAP ? top ^ 1 : top);
            return false;
        }
        if (--top & LV_COUNT) {
            resp_set_top(st, top);
            return false;
        }
        st->out.tail -= 8;
        if (top & LV_ATTR) {
            st->u[0] |= F_ATTR;   /* its value comes next, in the same level */
            return false;
        }
    }
    return true;
}

/* Which characters a header line of type t may hold (checked as they
 * arrive, so that garbage fails at once); the line's form is checked when
 * it is whole. */
static bool resp_line_char(uint8_t t, uint8_t ch)
{
    bool digit = ch >= '0' && ch <= '9';
    switch (t) {
    case '+': case '-':
        return ch != '\n';
    case ':': case '(':
        return digit || ch == '-' || ch == '+';
    case ',':
        return digit || (ch && strchr("+-.eEinfa", ch));
    case '#':
        return ch == 't' || ch == 'f';
    case '_': case '.':
        return false;
    default:                      /* lengths and counts */
        return digit || ch == '-' || ch == '?';
    }
}

/* [+-]?digits in p[from, to): 0, or the offset of the first bad byte. */
static size_t resp_bad_integer(const uint8_t *p, size_t from, size_t to, bool fit64)
{
    size_t i = from;
    bool neg = i < to && p[i] == '-';
    if (i < to && (p[i] == '-' || p[i] == '+'))
        i++;
    if (i == to)
        return to;
    uint64_t v = 0, limit = neg ? UINT64_C(1) << 63 : INT64_MAX;
    for (; i < to; i++) {
        if (p[i] < '0' || p[i] > '9')
            return i;
        unsigned d = (unsigned)(p[i] - '0');
        if (fit64 && v > (limit - d) / 10)
            return i;
        v = v * 10 + d;
    }
    return 0;
}

static size_t resp_digits(const uint8_t *p, size_t i, size_t to)
{
    while (i < to && p[i] >= '0' && p[i] <= '9')
        i++;
    return i;
}

/* RESP3's double: [+-]digits[.digits][(e|E)[+-]digits], inf, -inf, nan. */
static size_t resp_bad_double(const uint8_t *p, size_t from, size_t to)
{
    size_t i = from, n = to - from;
    if ((n == 3 && !memcmp(p + i, "inf", 3)) || (n == 4 && !memcmp(p + i, "-inf", 4)) ||
        (n == 4 && !memcmp(p + i, "+inf", 4)) || (n == 3 && !memcmp(p + i, "nan", 3)))
        return 0;
    if (i < to && (p[i] == '-' || p[i] == '+'))
        i++;
    size_t j = resp_digits(p, i, to);
    if (j == i)
        return i < to ? i : to;
    i = j;
    if (i < to && p[i] == '.') {
        j = resp_digits(p, ++i, to);
        if (j == i)
            return i < to ? i : to;
        i = j;
    }
    if (i < to && (p[i] == 'e' || p[i] == 'E')) {
        if (++i < to && (p[i] == '-' || p[i] == '+'))
            i++;
        j = resp_digits(p, i, to);
        if (j == i)
            return i < to ? i : to;
        i = j;
    }
    return i < to ? i : 0;
}

/* A length or count in p[from, to): its value, -1 for "-1", -2 for "?";
 * -3 with *bad set when it is none of these. */
static int64_t resp_length(const aeh_codec *c, const uint8_t *p, size_t from, size_t to,
                           size_t *bad)
{
    if (to - from == 2 && p[from] == '-' && p[from + 1] == '1')
        return -1;
    if (to - from == 1 && p[from] == '?')
        return -2;
    uint64_t v = 0;
    for (size_t i = from; i < to; i++) {
        if (p[i] < '0' || p[i] > '9') {
            *bad = i;
            return -3;
        }
        v = v * 10 + (unsigned)(p[i] - '0');
        if (v > RESP_MAX_LEN || (c->max_frame && v > c->max_frame)) {
            *bad = from;
            return -4;            /* too long: ENOSPC when a limit explains it */
        }
    }
    if (to == from) {
        *bad = to;
        return -3;
    }
    return (int64_t)v;
}

static int resp_bad(const aeh_codec *c, aeh_error *err, size_t at, const char *what)
{
    return codec_malformed(c, err, at, what);
}

/* The length field at p[from, to) of the header line of type t: its value,
 * or -1 for null / -2 for streamed where t has them; else fails. */
static int resp_header_length(const aeh_codec *c, uint8_t t, const uint8_t *p, size_t from,
                              size_t to, int64_t *out, aeh_error *err)
{
    size_t bad = 0;
    int64_t v = resp_length(c, p, from, to, &bad);
    if (v == -4)
        return c->max_frame ? codec_too_long(c, err, bad)
                            : resp_bad(c, err, bad, "length or count too large");
    if (v == -3)
        return resp_bad(c, err, bad, "bad length or count");
    if (v == -1 && t != '$' && t != '*')
        return resp_bad(c, err, from, "-1 (null) is only for '$' and '*'");
    if (v == -2 && !strchr("$*%~", t))
        return resp_bad(c, err, from, "'?' (streamed) is only for '$', '*', '%' and '~'");
    *out = v;
    return 0;
}

/* An aggregate of t with n elements (n > 0, or streamed) opens a level. */
static int resp_open(const aeh_codec *c, aeh_dstate *st, uint8_t t, int64_t n, size_t at,
                     size_t next, aeh_error *err)
{
    const resp_conf *conf = c->priv;
    if (resp_depth(st) >= conf->max_depth)
        return aeh_fail(err, EBADMSG, at, "%s: nesting deeper than %zu", c->name,
                        conf->max_depth);
    uint64_t level;
    if (n == -2) {
        level = LV_STREAM | (t == '%' ? LV_MAP : 0);
    } else {
        uint64_t elems = (uint64_t)n * (t == '%' || t == '|' ? 2 : 1);
        if (c->max_frame && (elems > c->max_frame / 3 || next + 3 * elems > c->max_frame))
            return codec_too_long(c, err, at + 1);
        level = elems | (t == '|' ? LV_ATTR : 0);
    }
    return codec_put(c, &st->out, &level, 8, err);
}

/* What a bulk body of n bytes after a header ending at `next` sets up (u[3]:
 * its type, for the check at its end). */
static int resp_body(const aeh_codec *c, aeh_dstate *st, uint8_t type, int64_t n, size_t at,
                     size_t next, aeh_error *err)
{
    if (c->max_frame && next + (uint64_t)n + 2 > c->max_frame)
        return codec_too_long(c, err, at + 1);
    st->u[0] = (st->u[0] & ~(uint64_t)PH_MASK) | PH_BODY;
    st->u[1] = next + (uint64_t)n;
    st->u[2] = next;
    st->u[3] = type;
    st->scan = next + (size_t)n;
    return 0;
}

/* The header line buf[ls, cr) is whole (its CRLF ends at next): 1 when the
 * frame ended, 0 when more values follow, -1 on error. */
static int resp_line(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t ls,
                     size_t cr, size_t next, aeh_error *err)
{
    uint8_t t = buf[ls];
    size_t from = ls + 1, bad = 0;
    int64_t n = 0;
    st->u[0] &= ~(uint64_t)PH_MASK;
    st->scan = next;
    switch (t) {
    case ':': case '(':
        bad = resp_bad_integer(buf, from, cr, t == ':');
        if (bad)
            return resp_bad(c, err, bad, t == ':' ? "bad integer" : "bad big number");
        break;
    case ',':
        bad = resp_bad_double(buf, from, cr);
        if (bad)
            return resp_bad(c, err, bad, "bad double");
        break;
    case '#':
        if (cr - from != 1)
            return resp_bad(c, err, cr == from ? cr : from + 1, "a boolean is #t or #f");
        break;
    case '.': {
        uint64_t top = resp_depth(st) ? resp_top(st) : 0;
        if (!(top & LV_STREAM) || (st->u[0] & F_ATTR))
            return resp_bad(c, err, ls, "'.' outside a streamed aggregate or after an attribute");
        if (top & 1)
            return resp_bad(c, err, ls, "'.' between a map's key and its value");
        st->out.tail -= 8;
        break;
    }
    case ';':
        if (resp_header_length(c, t, buf, from, cr, &n, err) < 0)
            return -1;
        if (n < 0)
            return resp_bad(c, err, from, "bad chunk length");
        if (n == 0) {
            st->u[0] &= ~(uint64_t)F_STREAM_STR;
            break;
        }
        return resp_body(c, st, t, n, ls, next, err);
    case '$': case '!': case '=':
        if (resp_header_length(c, t, buf, from, cr, &n, err) < 0)
            return -1;
        if (n == -2) {
            st->u[0] |= F_STREAM_STR;
            return 0;
        }
        if (n >= 0)
            return resp_body(c, st, t, n, ls, next, err);
        break;
    case '*': case '%': case '~': case '>': case '|':
        if (resp_header_length(c, t, buf, from, cr, &n, err) < 0)
            return -1;
        if (n == -2 || n > 0)
            return resp_open(c, st, t, n, ls, next, err);
        if (t == '|') {
            st->u[0] |= F_ATTR;
            return 0;
        }
        break;
    default:                      /* '+', '-', '_': the characters were checked */
        break;
    }
    return resp_value_done(st);
}

/* The body ended at u[1] with its CRLF there. */
static int resp_body_end(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, uint8_t type,
                         aeh_error *err)
{
    size_t end = (size_t)st->u[1], start = (size_t)st->u[2];
    if (buf[end] != '\r')
        return resp_bad(c, err, end, "bulk string not followed by CRLF");
    if (buf[end + 1] != '\n')
        return resp_bad(c, err, end + 1, "bulk string not followed by CRLF");
    if (type == '=' && (end - start < 4 || buf[start + 3] != ':'))
        return resp_bad(c, err, end - start < 4 ? end : start + 3,
                        "verbatim string without its 'xxx:' format");
    st->u[0] &= ~(uint64_t)PH_MASK;
    st->scan = end + 2;
    if (st->u[0] & F_STREAM_STR)
        return 0;                 /* a chunk: the string goes on */
    return resp_value_done(st);
}

/* The type byte ch at i may start what comes next. */
static int resp_type(const aeh_codec *c, const aeh_dstate *st, uint8_t ch, size_t i,
                     aeh_error *err)
{
    if (st->u[0] & F_STREAM_STR) {
        if (ch != ';')
            return resp_bad(c, err, i, "expected ';' (a chunk of a streamed string)");
        return 0;
    }
    if (ch && strchr("+-:$*_#,(!=%~|>.", ch))
        return 0;
    if (ch >= 0x21 && ch < 0x7f)
        return aeh_fail(err, EBADMSG, i, "%s: unknown type byte '%c'", c->name, ch);
    return aeh_fail(err, EBADMSG, i, "%s: unknown type byte 0x%02x", c->name, ch);
}

static int resp_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                       bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    if (st->scan == 0 && st->u[0] == 0)
        aeh_buf_clear(&st->out);
    size_t i = st->scan;
    for (;;) {
        unsigned phase = (unsigned)(st->u[0] & PH_MASK);
        if (phase == PH_BODY) {
            if (len < st->u[1] + 2)
                break;
            int rc = resp_body_end(c, st, buf, (uint8_t)st->u[3], err);
            if (rc < 0)
                return AEH_DEC_ERROR;
            i = st->scan;
            if (rc > 0)
                return codec_frame(st, buf, i, i, frame, consumed);
            continue;
        }
        if (i >= len)
            break;
        if (c->max_frame && i >= c->max_frame)
            return codec_too_long(c, err, i);
        if (phase == PH_START) {
            if (resp_type(c, st, buf[i], i, err) < 0)
                return AEH_DEC_ERROR;
            st->u[0] |= PH_LINE;
            st->u[1] = i++;
            continue;
        }
        size_t ls = (size_t)st->u[1];
        uint8_t t = buf[ls], ch = buf[i];
        if (ch != '\r') {
            if (ch == '\n')
                return resp_bad(c, err, i, "LF without CR");
            if (!resp_line_char(t, ch))
                return aeh_fail(err, EBADMSG, i, "%s: byte 0x%02x cannot be in a '%c' header",
                                c->name, ch, t);
            if (t != '+' && t != '-' && t != '(' && t != ',' && i - ls > 21)
                return resp_bad(c, err, i, "header too long");
            i++;
            continue;
        }
        if (c->max_frame && i + 1 >= c->max_frame)
            return codec_too_long(c, err, i + 1);   /* its LF cannot fit */
        if (i + 1 >= len)
            break;
        if (buf[i + 1] != '\n')
            return resp_bad(c, err, i + 1, "CR not followed by LF");
        int rc = resp_line(c, st, buf, ls, i, i + 2, err);
        if (rc < 0)
            return AEH_DEC_ERROR;
        i = st->scan;
        if (rc > 0)
            return codec_frame(st, buf, i, i, frame, consumed);
    }
    if ((st->u[0] & PH_MASK) != PH_BODY)
        st->scan = i;
    if (eof && len)
        return codec_truncated(c, err, len);
    return AEH_DEC_MORE;
}

static int resp_encode(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                       aeh_error *err)
{
    if (codec_check_encode_size(c, n, err) < 0)
        return -1;
    if (!(c->flags & AEH_CODEC_TRUSTED) && aeh__resp_check(c, p, n, err) < 0)
        return -1;
    return codec_put(c, out, p, n, err);
}

int aeh__resp_check(const aeh_codec *c, const uint8_t *p, size_t n, aeh_error *err)
{
    aeh_dstate st;
    memset(&st, 0, sizeof st);
    aeh_span f;
    size_t used = 0;
    aeh_error e;
    int rc = n ? resp_decode(c, &st, p, n, true, &f, &used, &e) : AEH_DEC_MORE;
    aeh_buf_free(&st.out);
    if (rc == AEH_DEC_FRAME && used == n)
        return 0;
    if (rc == AEH_DEC_FRAME)
        return aeh_fail(err, EINVAL, used, "%s: more than one RESP value (the first ends at byte %zu)",
                        c->name, used);
    if (rc == AEH_DEC_MORE)
        return aeh_fail(err, EINVAL, 0, "%s: empty, not a RESP value", c->name);
    return aeh_fail(err, EINVAL, e.offset, "%s: not a RESP value: %s at byte %zu", c->name,
                    e.msg, e.offset);
}

aeh_codec *aeh_codec_resp(unsigned max_depth, aeh_error *err)
{
    aeh_codec *c = codec_alloc(AEH_CODEC_KIND_RESP, "resp", resp_decode, resp_encode,
                               sizeof(resp_conf), err);
    if (c)
        ((resp_conf *)c->priv)->max_depth = max_depth ? max_depth : RESP_DEFAULT_DEPTH;
    return c;
}
