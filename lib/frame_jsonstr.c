/* SPDX-License-Identifier: MIT */
/* json-strings: each frame is one JSON value, so that arbitrary bytes can
 * travel as JSON Lines (aecat's --records json over a non-JSON framing).
 *   - Encoder: a frame that is valid UTF-8 (strict: no overlongs, no
 *     surrogates, nothing past U+10FFFF) is written as a JSON string,
 *     "..." + "\n", escaping only '"', '\\', the controls (\b \f \n \r \t,
 *     the others \u00XX) and DEL (\u007f), so that a terminal shows the
 *     line as it is and non-ASCII text stays readable.  Any other frame is
 *     written as {"base64":"..."} + "\n" (RFC 4648, padded).  Lossless:
 *     never a replacement character.  max_frame bounds the frame (EMSGSIZE).
 *   - Decoder: JSON texts separated by whitespace (JSON Lines, but also
 *     pretty-printed), split and validated by the json codec's splitter
 *     (frame_json.c).  A string is the frame, unescaped (\uXXXX to UTF-8,
 *     surrogate pairs combined).  An object with exactly one member
 *     "base64" whose value is strict base64 (frame_text.c's decoder:
 *     padding required, nothing else inside) is the frame, decoded.  The
 *     member name and the base64 characters may be written with JSON
 *     escapes ("\/" is common): JSON-equal texts give the same frame.
 *     Any other text is EBADMSG at its first byte; a text that does not
 *     start with '"' or '{' is refused at that byte at once.  Bad base64 is
 *     EBADMSG at the offending character.
 *   - max_frame bounds the decoded frame: ENOSPC at the byte of the text
 *     that completes the first frame byte past the limit (the last byte of
 *     an escape, the base64 character).  The text itself is held until it
 *     is complete, so the splitter is given a limit on its length too (see
 *     jsonstr_text_limit): a longer text is ENOSPC at the byte passing it.
 * Linear: the splitter examines each byte once however the input is split;
 * only when it returns a whole text is that text converted, once.  The
 * state is the splitter's own (st->u, st->scan, st->out); st->out, free
 * again once a text is whole, then holds the frame. */
#include <string.h>
#include "codec_int.h"

static const char jsonstr_base64_key[] = "base64";

static int jsonstr_not_a_record(const aeh_codec *c, aeh_error *err)
{
    return codec_malformed(c, err, 0, "expected a JSON string or {\"base64\": ...}");
}

/* The splitter holds a whole text before it is converted, so it needs a
 * bound on the text, not the frame: the longest text that encodes a
 * max_frame-byte frame without padding whitespace.  A string spends at most
 * 6 characters (\u00XX) per byte, plus its quotes: 6m + 2.  The base64 form
 * has at most (4m + 8) / 3 characters, each at most 6 when escaped, plus
 * the envelope {"":""} and the key, 6 characters escaped each: at most
 * 8m + 59.  8m + 64 covers both; 0 (no limit) if it does not fit. */
static size_t jsonstr_text_limit(size_t max_frame)
{
    if (!max_frame || max_frame > (SIZE_MAX - 64) / 8)
        return 0;
    return 8 * max_frame + 64;
}

static size_t jsonstr_skip_ws(const uint8_t *t, size_t i)
{
    while (codec_json_ws(t[i]))
        i++;
    return i;
}

/* Four hex digits the splitter has validated. */
static uint32_t jsonstr_hex4(const uint8_t *p)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++)
        v = v << 4 | (uint32_t)textenc_hex_value(p[k]);
    return v;
}

/* A Unicode scalar value as UTF-8 in u8; returns its length. */
static size_t jsonstr_utf8(uint32_t cp, uint8_t u8[4])
{
    if (cp < 0x80) {
        u8[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        u8[0] = (uint8_t)(0xC0 | cp >> 6);
        u8[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        u8[0] = (uint8_t)(0xE0 | cp >> 12);
        u8[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        u8[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    u8[0] = (uint8_t)(0xF0 | cp >> 18);
    u8[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
    u8[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    u8[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* The escape at t[i] == '\\' of a string the splitter has validated, as
 * UTF-8 in u8[0, *k); returns the offset after it.  Validated means: a
 * known escape, and a high surrogate \u followed at once by a low one. */
static size_t jsonstr_unescape(const uint8_t *t, size_t i, uint8_t u8[4], size_t *k)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (t[i + 1] != 'u') {
        u8[0] = (uint8_t)to[strchr(from, t[i + 1]) - from];
        *k = 1;
        return i + 2;
    }
    uint32_t cp = jsonstr_hex4(t + i + 2);
    if (cp < 0xD800 || cp > 0xDBFF) {
        *k = jsonstr_utf8(cp, u8);
        return i + 6;
    }
    cp = 0x10000 + ((cp - 0xD800) << 10) + (jsonstr_hex4(t + i + 8) - 0xDC00);
    *k = jsonstr_utf8(cp, u8);
    return i + 12;
}

/* One character of a validated string at t[i] (not its closing quote): a
 * byte as it is, or an escape unescaped.  Returns the offset after it. */
static size_t jsonstr_char(const uint8_t *t, size_t i, uint8_t u8[4], size_t *k)
{
    if (t[i] == '\\')
        return jsonstr_unescape(t, i, u8, k);
    u8[0] = t[i];
    *k = 1;
    return i + 1;
}

/* The closing quote of the validated string whose content starts at t[i].
 * Skipping the byte after each '\\' is enough: the rest of an escape is hex
 * digits, never '"' or '\\'. */
static size_t jsonstr_end(const uint8_t *t, size_t i)
{
    while (t[i] != '"')
        i += t[i] == '\\' ? 2 : 1;
    return i;
}

/* The frame of the string text t[0, n) (quotes included) into st->out.
 * Unescaping never lengthens (an escape of 2, 6 or 12 characters gives 1,
 * at most 3 or 4 bytes), so n - 2 bytes are reserved once; runs between
 * escapes are copied whole. */
static int jsonstr_string(const aeh_codec *c, aeh_dstate *st, const uint8_t *t, size_t n,
                          aeh_error *err)
{
    const size_t end = n - 1, max = c->max_frame ? c->max_frame : SIZE_MAX;
    if (end == 1)
        return 0;                 /* "": no memory needed (nor reserved) */
    uint8_t *w = aeh_buf_reserve(&st->out, end - 1);
    if (!w)
        return aeh_fail(err, ENOMEM, 0, "%s: out of memory", c->name);
    size_t m = 0;
    for (size_t i = 1; i < end;) {
        const uint8_t *bs = memchr(t + i, '\\', end - i);
        size_t run = (bs ? (size_t)(bs - t) : end) - i;
        if (run > max - m)
            return codec_too_long(c, err, i + (max - m));
        memcpy(w + m, t + i, run);
        m += run;
        i += run;
        if (!bs)
            break;
        uint8_t u8[4];
        size_t k;
        size_t next = jsonstr_unescape(t, i, u8, &k);
        if (k > max - m)
            return codec_too_long(c, err, next - 1);
        memcpy(w + m, u8, k);
        m += k;
        i = next;
    }
    aeh_buf_commit(&st->out, m);
    return 0;
}

/* The frame of the object text at t into st->out: the shape first (one
 * member, named "base64", a string value), so that a text which is not a
 * record is reported as such rather than by its base64, then the value
 * through the base64 decoder, which keeps its state in st->u[0..2]: the
 * splitter, idle after an object, has zeroed them and needs them zero. */
static int jsonstr_object(const aeh_codec *c, aeh_dstate *st, const uint8_t *t, aeh_error *err)
{
    /* The splitter has validated the text, so this walk needs no bounds:
     * every step lands on what the grammar puts there, up to the '}'. */
    uint8_t u8[4];
    size_t k, i = jsonstr_skip_ws(t, 1), matched = 0;
    if (t[i] != '"')
        return jsonstr_not_a_record(c, err);          /* {} */
    for (i++; t[i] != '"';) {
        i = jsonstr_char(t, i, u8, &k);
        for (size_t j = 0; j < k; j++, matched++)
            if (matched >= sizeof jsonstr_base64_key - 1 ||
                u8[j] != (uint8_t)jsonstr_base64_key[matched])
                return jsonstr_not_a_record(c, err);
    }
    if (matched != sizeof jsonstr_base64_key - 1)
        return jsonstr_not_a_record(c, err);
    i = jsonstr_skip_ws(t, jsonstr_skip_ws(t, i + 1) + 1);    /* past the ':' */
    if (t[i] != '"')
        return jsonstr_not_a_record(c, err);
    const size_t start = i + 1, quote = jsonstr_end(t, start);
    if (t[jsonstr_skip_ws(t, quote + 1)] != '}')
        return jsonstr_not_a_record(c, err);          /* a second member */
    int rc = 0;
    for (size_t at = start, prev = start; at < quote && rc == 0; prev = at, at = i) {
        i = jsonstr_char(t, at, u8, &k);
        rc = k == 1 ? aeh__codec_base64_char(c, st, u8[0], at, prev, err)
                    : codec_malformed(c, err, at, "not a base64 character");
    }
    if (rc == 0 && st->u[0])
        rc = codec_malformed(c, err, quote, "base64 length is not a multiple of 4");
    st->u[0] = st->u[1] = st->u[2] = 0;
    return rc;
}

static int jsonstr_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                          bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    /* Between texts the whitespace is consumed first, so that buf[0] is a
     * text's first byte: only a string or an object can be a record, so
     * anything else is refused now rather than once it has all arrived
     * (and offsets below are the text's). */
    size_t ws = aeh__codec_json_between(st, buf, len);
    if (ws) {
        *consumed = ws;
        return AEH_DEC_MORE;
    }
    if (st->scan == 0 && len && buf[0] != '"' && buf[0] != '{')
        return jsonstr_not_a_record(c, err);
    aeh_codec split = *c;         /* same name and depth, the text's limit */
    split.max_frame = jsonstr_text_limit(c->max_frame);
    int rc = aeh__codec_json_decode(&split, st, buf, len, eof, frame, consumed, err);
    if (rc == AEH_DEC_ERROR && err->code == ENOSPC)
        return aeh_fail(err, ENOSPC, err->offset,
                        "%s: JSON text longer than %zu bytes, more than a frame of %zu bytes needs",
                        c->name, split.max_frame, c->max_frame);
    if (rc != AEH_DEC_FRAME)
        return rc;
    /* A whole text at buf[0], consumed; the splitter cleared st->out. */
    const uint8_t *t = frame->p;
    rc = t[0] == '"' ? jsonstr_string(c, st, t, frame->n, err)
                     : jsonstr_object(c, st, t, err);
    if (rc < 0)
        return AEH_DEC_ERROR;
    *frame = (aeh_span){ aeh_buf_data(&st->out), aeh_buf_len(&st->out) };
    return AEH_DEC_FRAME;
}

/* How a byte is written inside a string: 0 as it is, else the letter after
 * the backslash ('u' for \u00XX). */
static char jsonstr_escape_of(uint8_t ch)
{
    switch (ch) {
    case '"': return '"';
    case '\\': return '\\';
    case '\b': return 'b';
    case '\f': return 'f';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    default: return ch < 0x20 || ch == 0x7F ? 'u' : 0;
    }
}

/* Writes p[0, n) as a JSON string if it is valid UTF-8: 0 written, 1 not
 * UTF-8 (out unchanged), -1 ENOMEM.  The UTF-8 check is the splitter's
 * own, run on the string as written: what is written is then exactly what
 * the decoder accepts. */
static int jsonstr_put_string(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                              aeh_error *err)
{
    size_t len = 2;
    for (size_t i = 0; i < n; i++) {
        char e = jsonstr_escape_of(p[i]);
        len += !e ? 1 : e == 'u' ? 6 : 2;
    }
    uint8_t *w = aeh_buf_reserve(out, len + 1);
    if (!w)
        return aeh_fail(err, ENOMEM, 0, "%s: out of memory", c->name);
    size_t m = 0;
    w[m++] = '"';
    for (size_t i = 0; i < n; i++) {
        char e = jsonstr_escape_of(p[i]);
        if (!e) {
            w[m++] = p[i];
            continue;
        }
        w[m++] = '\\';
        w[m++] = (uint8_t)e;
        if (e == 'u') {
            memcpy(w + m, "00", 2);
            textenc_hex_byte(w + m + 2, p[i]);
            m += 4;
        }
    }
    w[m++] = '"';
    aeh_codec split = *c;
    split.max_frame = 0;
    split.priv = &(codec_json_conf){ .max_depth = 1 };
    aeh_dstate st;
    memset(&st, 0, sizeof st);
    aeh_span f;
    size_t used = 0;
    aeh_error e;
    int rc = aeh__codec_json_decode(&split, &st, w, m, true, &f, &used, &e);
    aeh_buf_free(&st.out);
    if (rc != AEH_DEC_FRAME)
        return 1;                 /* not committed: out is as it was */
    aeh_buf_commit(out, m);
    return 0;
}

int aeh__json_put_text(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                       aeh_error *err)
{
    static const char head[] = "{\"base64\":\"", tail[] = "\"}";
    if (n > (SIZE_MAX - 3) / 6)   /* the longest string form: 6 per byte */
        return aeh_fail(err, EMSGSIZE, 0, "%s: frame too long", c->name);
    int rc = jsonstr_put_string(c, p, n, out, err);
    if (rc <= 0)
        return rc;
    size_t len = sizeof head - 1 + (n + 2) / 3 * 4 + sizeof tail - 1;
    uint8_t *w = aeh_buf_reserve(out, len);
    if (!w)
        return aeh_fail(err, ENOMEM, 0, "%s: out of memory", c->name);
    memcpy(w, head, sizeof head - 1);
    size_t m = sizeof head - 1;
    m += aeh__base64_encode(w + m, p, n);
    memcpy(w + m, tail, sizeof tail - 1);
    aeh_buf_commit(out, m + sizeof tail - 1);
    return 0;
}

static int jsonstr_encode(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                          aeh_error *err)
{
    if (codec_check_encode_size(c, n, err) < 0 || aeh__json_put_text(c, p, n, out, err) < 0)
        return -1;
    return codec_put(c, out, "\n", 1, err);
}

aeh_codec *aeh_codec_json_strings(aeh_error *err)
{
    /* The splitter's depth limit as json's default rather than 1, so that
     * a valid object nesting arrays or objects is reported as "not a
     * record" at its start, not as too deep at some inner bracket. */
    aeh_codec *c = codec_alloc(AEH_CODEC_KIND_JSON_STRINGS, "json-strings", jsonstr_decode, jsonstr_encode,
                               sizeof(codec_json_conf), err);
    if (c)
        ((codec_json_conf *)c->priv)->max_depth = 512;
    return c;
}
