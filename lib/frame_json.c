/* SPDX-License-Identifier: MIT */
/* json: a resumable, validating splitter for JSON texts (RFC 8259, strict)
 * written back to back or separated by whitespace.
 *   - A frame is one text: an object or array up to its closing bracket, a
 *     string up to its closing quote, a literal up to its last letter, a
 *     number up to the first byte that cannot continue it (or EOF).
 *   - Whitespace between texts is consumed, never part of a frame; after a
 *     scalar text (string, number, literal) it is required (RFC 7159's
 *     streaming convention: "1 2" is two texts, "truefalse" is an error).
 *   - Validates UTF-8 (no overlongs, surrogates or code points past
 *     U+10FFFF), escapes (a \u surrogate escape must be a high one followed
 *     at once by a low one), numbers (no leading zeros, "1.", ".5", "+1",
 *     NaN), no raw controls in strings, exact literals, nesting up to
 *     max_depth.  Every error is EBADMSG at the offending byte.
 *   - A text longer than max_frame is ENOSPC at the byte that passes it.
 * Linear: the state (below) lets each call resume at st->scan, so each
 * byte is examined once however the input is split (plus the one byte
 * after a top-level number, which ends it and starts what follows).
 * State: u[0] the machine's state, u[1] the depth, u[2] per-state data
 * (codec_utf8_step's state, \u digits, literal position), u[3] flags;
 * st->out is the stack of open brackets, one byte a level (max_depth is
 * caller-chosen, so u[] alone could not hold it). */
#include <stdio.h>
#include <string.h>
#include "codec_int.h"

enum {
    J_IDLE, J_VALUE, J_ARR_FIRST, J_OBJ_FIRST, J_OBJ_KEY, J_COLON, J_AFTER,
    J_STR, J_ESC, J_HEX, J_LOW_BSL, J_LOW_U, J_UTF8,
    J_MINUS, J_ZERO, J_INT, J_DOT, J_FRAC, J_E, J_ESIGN, J_EXP, J_LIT,
};

enum {
    F_KEY = 1,                    /* the string is an object key */
    F_LOW = 2,                    /* the next \u must be a low surrogate */
    F_AFTER_SCALAR = 4,           /* idle right after a scalar text: whitespace must come */
};

static const char *const json_lits[3] = { "true", "false", "null" };

/* States where a number may end (after a digit). */
static inline bool json_num_end(unsigned s)
{
    return s == J_ZERO || s == J_INT || s == J_FRAC || s == J_EXP;
}

/* Plain string bytes: printable ASCII other than '"' and '\\'. */
static inline bool json_plain(uint8_t ch)
{
    return ch >= 0x20 && ch < 0x80 && ch != '"' && ch != '\\';
}

#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define JSON_SWAR 1
/* Word-at-a-time tests: each sets the high bit of its lowest matching
 * byte exactly (borrows only run upwards; higher flags may be false). */
enum { JSON_WORD = 8 };
static const uint64_t SWAR_ONES = 0x0101010101010101u, SWAR_HIGHS = 0x8080808080808080u;

static inline uint64_t swar_eq(uint64_t x, uint8_t c)    /* bytes == c */
{
    uint64_t y = x ^ (SWAR_ONES * c);
    return (y - SWAR_ONES) & ~y;
}

static inline uint64_t swar_below(uint64_t x, uint8_t c) /* bytes < c (c <= 0x80) */
{
    return (x - SWAR_ONES * c) & ~x;
}
#endif

/* The end of the run of plain string bytes at p[j, end): eight bytes at a
 * time where the byte order allows (a string's bytes are most of a typical
 * text, and a byte loop was a third of the splitter's time).  Each test
 * below flags its lowest matching byte exactly (borrows only run upwards),
 * so the lowest flag of all is the first byte that is not plain. */
static inline size_t json_plain_run(const uint8_t *p, size_t j, size_t end)
{
#ifdef JSON_SWAR
    while (end - j >= JSON_WORD) {
        uint64_t x;
        memcpy(&x, p + j, JSON_WORD);
        /* a control byte, a byte >= 0x80, '"' or '\\' */
        uint64_t m = (swar_below(x, 0x20) | x | swar_eq(x, '"') | swar_eq(x, '\\')) & SWAR_HIGHS;
        if (m)
            return j + (size_t)(__builtin_ctzll(m) >> 3);
        j += JSON_WORD;
    }
#endif
    while (j < end && json_plain(p[j]))
        j++;
    return j;
}

static int json_text(aeh_dstate *st, const uint8_t *buf, size_t n, aeh_span *frame,
                     size_t *consumed)
{
    aeh_buf_clear(&st->out);
    return codec_frame(st, buf, n, n, frame, consumed);
}

/* A scalar text (string, literal) ends at its last byte, but the next text
 * may not touch it: "truefalse" and "\"a\"\"b\"" are not two texts.  Numbers
 * check the byte after them themselves. */
static int json_scalar_text(aeh_dstate *st, const uint8_t *buf, size_t n, aeh_span *frame,
                            size_t *consumed)
{
    int rc = json_text(st, buf, n, frame, consumed);
    st->u[3] = F_AFTER_SCALAR;
    return rc;
}

/* Scans one text that starts at buf[0] (J_VALUE) or resumes at st->scan. */
static int json_scan(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                     bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    const codec_json_conf *conf = c->priv;
    unsigned state = (unsigned)st->u[0];
    const size_t limit = c->max_frame ? c->max_frame : SIZE_MAX;
    size_t depth = (size_t)st->u[1];
    uint64_t aux = st->u[2];
    unsigned flags = (unsigned)st->u[3];
    size_t i = st->scan;
    for (; i < len; i++) {
        uint8_t ch = buf[i];
        /* A top-level number's accepting states check themselves: the byte
         * that ends the number is not part of the text. */
        if (i >= limit && !(depth == 0 && json_num_end(state)))
            return codec_too_long(c, err, i);
again:
        switch (state) {
        case J_VALUE:
        case J_ARR_FIRST:
            if (codec_json_ws(ch))
                break;
            if (ch == ']' && state == J_ARR_FIRST)
                goto close;
            switch (ch) {
            case '{':
            case '[':
                if (depth >= conf->max_depth)
                    return aeh_fail(err, EBADMSG, i, "json: depth %zu over limit", depth + 1);
                if (aeh_buf_append(&st->out, &ch, 1) < 0)
                    return aeh_fail(err, ENOMEM, i, "json: out of memory");
                depth++;
                state = ch == '{' ? J_OBJ_FIRST : J_ARR_FIRST;
                break;
            case '"':
                flags = 0;
                state = J_STR;
                break;
            case '-':
                state = J_MINUS;
                break;
            case '0':
                state = J_ZERO;
                break;
            case 't':
            case 'f':
            case 'n':
                aux = (ch == 't' ? 0 : ch == 'f' ? 1 : 2) | 1u << 8;
                state = J_LIT;
                break;
            default:
                if (ch >= '1' && ch <= '9') {
                    state = J_INT;
                    break;
                }
                return codec_malformed(c, err, i, "expected a value");
            }
            break;
        case J_OBJ_FIRST:
        case J_OBJ_KEY:
            if (codec_json_ws(ch))
                break;
            if (ch == '}' && state == J_OBJ_FIRST)
                goto close;
            if (ch != '"')
                return codec_malformed(c, err, i, state == J_OBJ_FIRST
                                       ? "expected a string key or '}'" : "expected a string key");
            flags = F_KEY;
            state = J_STR;
            break;
        case J_COLON:
            if (codec_json_ws(ch))
                break;
            if (ch != ':')
                return codec_malformed(c, err, i, "expected ':'");
            state = J_VALUE;
            break;
        case J_AFTER: {
            if (codec_json_ws(ch))
                break;
            uint8_t top = st->out.base[st->out.tail - 1];
            if (ch == ',') {
                state = top == '{' ? J_OBJ_KEY : J_VALUE;
                break;
            }
            if (ch == ']' || ch == '}')
                goto close;
            return codec_malformed(c, err, i, top == '{' ? "expected ',' or '}'"
                                                         : "expected ',' or ']'");
        }
        close: {
            uint8_t top = st->out.base[st->out.tail - 1];
            if (ch != (top == '{' ? '}' : ']'))
                return codec_malformed(c, err, i, "mismatched bracket");
            st->out.tail--;
            if (--depth == 0)
                return json_text(st, buf, i + 1, frame, consumed);
            state = J_AFTER;
            break;
        }
        case J_STR:
            if (json_plain(ch)) {
                size_t end = len < limit ? len : limit;
                i = json_plain_run(buf, i + 1, end) - 1;
                break;
            }
            if (ch == '"') {
                if (flags & F_KEY) {
                    state = J_COLON;
                    break;
                }
                goto value_done;
            }
            if (ch == '\\') {
                state = J_ESC;
                break;
            }
            if (ch < 0x20)
                return codec_malformed(c, err, i, "control character in string");
            /* ch >= 0x80 here: a UTF-8 lead byte, or an error */
            /* fall through */
        case J_UTF8: {
            uint32_t u8 = state == J_UTF8 ? (uint32_t)aux : 0;
            if (!codec_utf8_step(&u8, ch))
                return codec_malformed(c, err, i, "invalid UTF-8 in string");
            aux = u8;
            state = u8 ? J_UTF8 : J_STR;
            break;
        }
        case J_ESC:
            switch (ch) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                state = J_STR;
                break;
            case 'u':
                aux = 0;
                state = J_HEX;
                break;
            default:
                return codec_malformed(c, err, i, "invalid escape in string");
            }
            break;
        case J_HEX: {
            int d = textenc_hex_value(ch);
            if (d < 0)
                return codec_malformed(c, err, i, "invalid \\u escape");
            unsigned k = (aux & 0xff) + 1;
            unsigned v = (unsigned)(aux >> 8) << 4 | (unsigned)d;
            /* surrogates are decided by the first two digits */
            if (flags & F_LOW) {
                if ((k == 1 && v != 0xD) || (k == 2 && v < 0xDC))
                    return codec_malformed(c, err, i, "high surrogate escape without a low one");
            } else if (k == 2 && v >= 0xDC && v <= 0xDF) {
                return codec_malformed(c, err, i, "low surrogate escape without a high one");
            }
            if (k < 4) {
                aux = k | (uint64_t)v << 8;
                break;
            }
            if (flags & F_LOW) {
                flags &= ~(unsigned)F_LOW;
                state = J_STR;
            } else {
                state = v >= 0xD800 && v <= 0xDBFF ? J_LOW_BSL : J_STR;
            }
            break;
        }
        case J_LOW_BSL:
        case J_LOW_U:
            if (ch != (state == J_LOW_BSL ? '\\' : 'u'))
                return codec_malformed(c, err, i, "high surrogate escape without a low one");
            if (state == J_LOW_BSL) {
                state = J_LOW_U;
            } else {
                flags |= F_LOW;
                aux = 0;
                state = J_HEX;
            }
            break;
        case J_MINUS:
            if (ch == '0')
                state = J_ZERO;
            else if (ch >= '1' && ch <= '9')
                state = J_INT;
            else
                return codec_malformed(c, err, i, "expected a digit after '-'");
            break;
        case J_DOT:
            if (ch < '0' || ch > '9')
                return codec_malformed(c, err, i, "expected a digit after '.'");
            state = J_FRAC;
            break;
        case J_E:
            if (ch == '+' || ch == '-') {
                state = J_ESIGN;
                break;
            }
            /* fall through */
        case J_ESIGN:
            if (ch < '0' || ch > '9')
                return codec_malformed(c, err, i, "expected a digit in exponent");
            state = J_EXP;
            break;
        case J_ZERO:
        case J_INT:
        case J_FRAC:
        case J_EXP: {
            unsigned next;
            if (ch >= '0' && ch <= '9') {
                if (state == J_ZERO)
                    return codec_malformed(c, err, i, "leading zero");
                next = state;
            } else if (ch == '.' && (state == J_ZERO || state == J_INT)) {
                next = J_DOT;
            } else if ((ch == 'e' || ch == 'E') && state != J_EXP) {
                next = J_E;
            } else {              /* the number ended before this byte */
                if (depth == 0 && !codec_json_ws(ch))
                    return codec_malformed(c, err, i, "texts after a scalar must be separated by whitespace");
                if (depth == 0)
                    return json_text(st, buf, i, frame, consumed);
                state = J_AFTER;
                goto again;
            }
            if (i >= limit)
                return codec_too_long(c, err, i);
            state = next;
            break;
        }
        case J_LIT: {
            unsigned id = aux & 0xff, k = (unsigned)(aux >> 8);
            if (ch != (uint8_t)json_lits[id][k])
                return codec_malformed(c, err, i, "invalid literal");
            if (json_lits[id][++k]) {
                aux = id | k << 8;
                break;
            }
            goto value_done;
        }
        value_done:
            if (depth == 0)
                return json_scalar_text(st, buf, i + 1, frame, consumed);
            state = J_AFTER;
            break;
        default:
            return aeh_fail(err, EBADMSG, i, "json: internal state %u", state);
        }
    }
    if (eof) {
        if (depth == 0 && json_num_end(state))
            return json_text(st, buf, len, frame, consumed);
        return codec_truncated(c, err, len);
    }
    st->scan = len;
    st->u[0] = state;
    st->u[1] = depth;
    st->u[2] = aux;
    st->u[3] = flags;
    return AEH_DEC_MORE;
}

/* Not static: json-strings checks each text's first byte after it. */
size_t aeh__codec_json_between(aeh_dstate *st, const uint8_t *buf, size_t len)
{
    if (st->u[0] != J_IDLE)
        return 0;
    size_t j = 0;
    while (j < len && codec_json_ws(buf[j]))
        j++;
    if (j)
        st->u[3] = 0;
    return j;
}

/* Whitespace between texts is consumed in the same call as the text after
 * it: one call per text, not two, when texts are separated by newlines.
 * Not static: json-strings (frame_jsonstr.c) splits its input with it. */
int aeh__codec_json_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                           bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    if (st->u[0] != J_IDLE)
        return json_scan(c, st, buf, len, eof, frame, consumed, err);
    if ((st->u[3] & F_AFTER_SCALAR) && len && !codec_json_ws(buf[0]))
        return codec_malformed(c, err, 0, "texts after a scalar must be separated by whitespace");
    size_t j = aeh__codec_json_between(st, buf, len);
    if (j == len) {
        *consumed = j;
        return AEH_DEC_MORE;
    }
    aeh_buf_clear(&st->out);
    st->scan = 0;
    st->u[0] = J_VALUE;
    st->u[1] = st->u[2] = st->u[3] = 0;
    size_t used = 0;
    int rc = json_scan(c, st, buf + j, len - j, eof, frame, &used, err);
    if (rc == AEH_DEC_ERROR)
        err->offset += j;
    else
        *consumed = used + j;
    return rc;
}

#define JSON_SLACK 8          /* json_copy_run may write this far past the text (a word) */

/* Copies p[k, n) to w + *m up to the first byte that matters: in a string
 * '"' or '\\', outside one whitespace or '"' (the only bytes <= 0x20 a
 * valid text has outside strings are whitespace).  Returns its index, or
 * n.  Eight bytes at a time where the byte order allows: stores whole
 * words (w has JSON_SLACK bytes to spare) and keeps the part before the
 * match; the lowest flag is exact, as in json_plain_run. */
static inline size_t json_copy_run(const uint8_t *p, size_t k, size_t n, uint8_t *w,
                                   size_t *m, bool in_string)
{
    size_t o = *m;
#ifdef JSON_SWAR
    while (n - k >= JSON_WORD) {
        uint64_t x;
        memcpy(&x, p + k, JSON_WORD);
        memcpy(w + o, &x, JSON_WORD);
        uint64_t f = swar_eq(x, '"') | (in_string ? swar_eq(x, '\\') : swar_below(x, 0x21));
        f &= SWAR_HIGHS;
        if (f) {
            size_t z = (size_t)(__builtin_ctzll(f) >> 3);
            *m = o + z;
            return k + z;
        }
        k += JSON_WORD;
        o += JSON_WORD;
    }
#endif
    for (; k < n; k++) {
        uint8_t ch = p[k];
        if (ch == '"' || (in_string ? ch == '\\' : ch <= 0x20))
            break;
        w[o++] = ch;
    }
    *m = o;
    return k;
}

/* Whether p[0, n) has a whitespace byte anywhere, strings included. */
static inline bool json_has_ws(const uint8_t *p, size_t n)
{
    size_t k = 0;
#ifdef JSON_SWAR
    uint64_t any = 0;
    for (; n - k >= JSON_WORD; k += JSON_WORD) {
        uint64_t x;
        memcpy(&x, p + k, JSON_WORD);
        any |= swar_eq(x, ' ') | swar_eq(x, '\t') | swar_eq(x, '\n') | swar_eq(x, '\r');
    }
    if (any & SWAR_HIGHS)
        return true;
#endif
    for (; k < n; k++)
        if (codec_json_ws(p[k]))
            return true;
    return false;
}

/* Writes the text p[0, n), known to be valid, without its insignificant
 * whitespace; returns the compact length.  w has room for n + JSON_SLACK
 * bytes.  Bounded by n even if a trusted text was not valid. */
static size_t json_compact(const uint8_t *p, size_t n, uint8_t *w)
{
    size_t m = 0, k = 0;
    bool in_string = false;
    if (!json_has_ws(p, n)) {     /* machine-written JSON mostly: one copy */
        memcpy(w, p, n);
        return n;
    }
    for (;;) {
        k = json_copy_run(p, k, n, w, &m, in_string);
        if (k >= n)
            return m;
        uint8_t ch = p[k++];
        if (ch == '"') {
            w[m++] = ch;
            in_string = !in_string;
        } else if (in_string) {   /* a backslash and the byte it escapes */
            w[m++] = ch;
            if (k < n)
                w[m++] = p[k++];
        }                         /* else whitespace: dropped */
    }
}

/* Checks that p[0, n) is exactly one text (whitespace around it allowed)
 * with the decoder; sets *text to it. */
static int json_validate(const aeh_codec *c, const uint8_t *p, size_t n, aeh_span *text,
                         aeh_error *err)
{
    aeh_codec v = *c;
    v.max_frame = 0;              /* the limit applies to the compact text */
    aeh_dstate st;
    memset(&st, 0, sizeof st);
    size_t head = 0;
    int rc;
    for (;;) {
        size_t used = 0;
        aeh_error e;
        rc = aeh__codec_json_decode(&v, &st, p + head, n - head, true, text, &used, &e);
        if (rc == AEH_DEC_ERROR) {
            aeh_buf_free(&st.out);
            if (e.code == ENOMEM)
                return aeh_fail(err, ENOMEM, 0, "json: out of memory");
            return aeh_fail(err, EINVAL, head + e.offset, "%s", e.msg);
        }
        head += used;
        if (rc == AEH_DEC_FRAME || !used)
            break;
    }
    aeh_buf_free(&st.out);
    if (rc != AEH_DEC_FRAME)
        return aeh_fail(err, EINVAL, n, "json: no JSON text");
    for (size_t k = head; k < n; k++)
        if (!codec_json_ws(p[k]))
            return aeh_fail(err, EINVAL, k, "json: data after the JSON text");
    return 0;
}

/* Writes one text compact, followed by "\n".  It is validated first unless
 * it comes from a json decoder (AEH_CODEC_TRUSTED): the decoder's rules
 * are the encoder's, and checking twice halved wire -> JSON Lines speed. */
static int json_encode(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                       aeh_error *err)
{
    aeh_span text = { p, n };
    if (!(c->flags & AEH_CODEC_TRUSTED) && json_validate(c, p, n, &text, err) < 0)
        return -1;
    uint8_t *w = aeh_buf_reserve(out, text.n + JSON_SLACK + 1);
    if (!w)
        return aeh_fail(err, ENOMEM, 0, "json: out of memory");
    size_t m = json_compact(text.p, text.n, w);
    if (c->max_frame && m > c->max_frame)
        return aeh_fail(err, EMSGSIZE, 0, "json: text of %zu bytes is over the %zu-byte limit",
                        m, c->max_frame);
    w[m++] = '\n';
    aeh_buf_commit(out, m);
    return 0;
}

aeh_codec *aeh_codec_json(unsigned max_depth, aeh_error *err)
{
    aeh_codec *c = codec_alloc(AEH_CODEC_KIND_JSON, "json", aeh__codec_json_decode, json_encode, sizeof(codec_json_conf),
                               err);
    if (c)
        ((codec_json_conf *)c->priv)->max_depth = max_depth ? max_depth : 512;
    return c;
}
