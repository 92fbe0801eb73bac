/* SPDX-License-Identifier: MIT */
/* resp-json: records for the resp framing, both ways a person reads and
 * writes Redis.
 *   - Encoder: one RESP value (a resp frame, checked to be exactly one) as
 *     one JSON line.  Strings (simple, bulk, verbatim without its "xxx:"
 *     format, streamed joined) are JSON strings when valid UTF-8, else
 *     {"base64":"..."}; integers and doubles are numbers (inf, -inf and nan
 *     the strings "inf", "-inf", "nan"); big numbers are strings (a JSON
 *     reader would round them to a double); null ("_", "$-1", "*-1") is
 *     null; booleans are true and false; arrays and sets are arrays; a push
 *     is {"push":[...]}; a map is an object, a key that is not a string
 *     becoming the string of its JSON text (the integer key 1 is "1", an
 *     array key ["a"] is "[\"a\"]"); errors, simple and bulk, are
 *     {"error":"ERR ..."}; a value with an attribute is
 *     {"attribute":{...},"value":...}.
 *   - Decoder: a line ("\n" or "\r\n" ended) in redis-cli syntax is the
 *     command it means, a RESP array of bulk strings (aeh_resp_command);
 *     a blank line gives nothing.  An unterminated quote is EBADMSG at the
 *     quote.  max_frame bounds the line (ENOSPC at the byte past it) and
 *     the command (ENOSPC at the line's end).
 *     AEH_CODEC_PARTIAL_AT_EOF: a last line without its end is a line. */
#include <stdio.h>
#include "codec_int.h"

typedef struct {
    size_t max_depth;             /* aeh__resp_check's */
} resp_json_conf;

/* ------------------------------------------------------------------ encoder */

static int rj_put(const aeh_codec *c, aeh_buf *out, const char *s, aeh_error *err)
{
    return codec_put(c, out, s, strlen(s), err);
}

/* A RESP integer or double as a JSON number: no '+', no leading zeros. */
static int rj_number(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out, aeh_error *err)
{
    size_t i = 0;
    if (p[0] == '-' && codec_put(c, out, "-", 1, err) < 0)
        return -1;
    if (p[0] == '-' || p[0] == '+')
        i++;
    while (i + 1 < n && p[i] == '0' && p[i + 1] >= '0' && p[i + 1] <= '9')
        i++;
    return codec_put(c, out, p + i, n - i, err);
}

static size_t rj_value(const aeh_codec *c, const uint8_t *p, size_t i, aeh_buf *out,
                       aeh_error *err);

/* The CR ending the header line at p[i] (the value was checked: it has one). */
static size_t rj_eol(const uint8_t *p, size_t i)
{
    while (p[i] != '\r')
        i++;
    return i;
}

/* A map's key: as written when it came out a JSON string, else as the
 * string of its JSON text. */
static size_t rj_key(const aeh_codec *c, const uint8_t *p, size_t i, aeh_buf *out,
                     aeh_error *err)
{
    size_t start = aeh_buf_len(out);
    i = rj_value(c, p, i, out, err);
    if (!i || aeh_buf_data(out)[start] == '"')
        return i;
    size_t n = aeh_buf_len(out) - start;
    uint8_t *text = malloc(n);
    if (!text) {
        aeh_fail(err, ENOMEM, 0, "%s: out of memory", c->name);
        return 0;
    }
    memcpy(text, aeh_buf_data(out) + start, n);
    out->tail = out->head + start;
    int rc = aeh__json_put_text(c, text, n, out, err);
    free(text);
    return rc < 0 ? 0 : i;
}

/* The elements of an aggregate from p[i]: `count` of them, or up to "."
 * when count is -2; keys and values alternate for a map.  The index after
 * it, or 0 on error. */
static size_t rj_elements(const aeh_codec *c, const uint8_t *p, size_t i, int64_t count,
                          bool map, aeh_buf *out, aeh_error *err)
{
    if (rj_put(c, out, map ? "{" : "[", err) < 0)
        return 0;
    for (int64_t k = 0; count == -2 ? p[i] != '.' : k < count; k++) {
        if ((k && rj_put(c, out, ",", err) < 0) ||
            !(i = map ? rj_key(c, p, i, out, err) : rj_value(c, p, i, out, err)) ||
            (map && (rj_put(c, out, ":", err) < 0 || !(i = rj_value(c, p, i, out, err)))))
            return 0;
    }
    if (count == -2)
        i += 3;                   /* ".\r\n" */
    return rj_put(c, out, map ? "}" : "]", err) < 0 ? 0 : i;
}

/* The string of a bulk or streamed string whose header line ended at i.
 * *next: the index after it. */
static int rj_bulk(const aeh_codec *c, const uint8_t *p, size_t i, long long len, size_t skip,
                   aeh_buf *out, size_t *next, aeh_error *err)
{
    if (len >= 0) {
        *next = i + (size_t)len + 2;
        return aeh__json_put_text(c, p + i + skip, (size_t)len - skip, out, err);
    }
    aeh_buf joined = { 0 };
    int rc = 0;
    for (;;) {
        size_t eol = rj_eol(p, i);
        size_t n = (size_t)strtoull((const char *)p + i + 1, NULL, 10);
        i = eol + 2;
        if (!n)
            break;
        if (codec_put(c, &joined, p + i, n, err) < 0) {
            rc = -1;
            break;
        }
        i += n + 2;
    }
    *next = i;
    if (!rc)
        rc = aeh__json_put_text(c, aeh_buf_data(&joined) ? aeh_buf_data(&joined) : p, aeh_buf_len(&joined), out, err);
    aeh_buf_free(&joined);
    return rc;
}

/* The value at p[i] (already checked to be well formed) as JSON: the index
 * after it, or 0 on error. */
static size_t rj_value(const aeh_codec *c, const uint8_t *p, size_t i, aeh_buf *out,
                       aeh_error *err)
{
    uint8_t t = p[i];
    const uint8_t *text = p + i + 1;
    size_t eol = rj_eol(p, i);
    size_t n = eol - i - 1, next = eol + 2;
    bool counted = text[0] != '?';
    long long len = counted ? strtoll((const char *)text, NULL, 10) : -2;
    int rc = 0;
    switch (t) {
    case '+':
        rc = aeh__json_put_text(c, text, n, out, err);
        break;
    case '-': case '!':
        rc = rj_put(c, out, "{\"error\":", err);
        if (!rc)
            rc = t == '-' ? aeh__json_put_text(c, text, n, out, err)
                          : rj_bulk(c, p, next, len, 0, out, &next, err);
        if (!rc)
            rc = rj_put(c, out, "}", err);
        break;
    case ':':
        rc = rj_number(c, text, n, out, err);
        break;
    case ',':
        if (text[n - 1] == 'f' || text[n - 1] == 'n') /* inf, nan */
            rc = rj_put(c, out, text[0] == '-' ? "\"-inf\"" : text[n - 1] == 'f' ? "\"inf\"" : "\"nan\"", err);
        else
            rc = rj_number(c, text, n, out, err);
        break;
    case '(':
        rc = aeh__json_put_text(c, text, n, out, err);
        break;
    case '#':
        rc = rj_put(c, out, text[0] == 't' ? "true" : "false", err);
        break;
    case '_':
        rc = rj_put(c, out, "null", err);
        break;
    case '$': case '=':
        if (len == -1)
            rc = rj_put(c, out, "null", err);
        else
            rc = rj_bulk(c, p, next, len, t == '=' ? 4 : 0, out, &next, err);
        break;
    case '*': case '~':
        if (len == -1)
            return rj_put(c, out, "null", err) < 0 ? 0 : next;
        return rj_elements(c, p, next, len, false, out, err);
    case '%':
        return rj_elements(c, p, next, len, true, out, err);
    case '>':
        if (rj_put(c, out, "{\"push\":", err) < 0 ||
            !(next = rj_elements(c, p, next, len, false, out, err)))
            return 0;
        return rj_put(c, out, "}", err) < 0 ? 0 : next;
    case '|':
        if (rj_put(c, out, "{\"attribute\":", err) < 0 ||
            !(next = rj_elements(c, p, next, len, true, out, err)) ||
            rj_put(c, out, ",\"value\":", err) < 0 || !(next = rj_value(c, p, next, out, err)))
            return 0;
        return rj_put(c, out, "}", err) < 0 ? 0 : next;
    }
    return rc < 0 ? 0 : next;
}

static int rj_encode(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                     aeh_error *err)
{
    if (codec_check_encode_size(c, n, err) < 0 || aeh__resp_check(c, p, n, err) < 0)
        return -1;
    size_t start = aeh_buf_len(out);
    if (!rj_value(c, p, 0, out, err)) {
        out->tail = out->head + start;
        return -1;
    }
    return codec_put(c, out, "\n", 1, err);
}

/* ------------------------------------------------------------------ decoder */

static bool rj_blank(uint8_t ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}

/* One word of a redis-cli line from s[*i] (blanks skipped) into word: 1, 0
 * when the line has no more, -1 with err. */
static int rj_word(const uint8_t *s, size_t n, size_t *i, aeh_buf *word, aeh_error *err)
{
    static const char from[] = "nrtba", to[] = "\n\r\t\b\a";
    size_t k = *i;
    while (k < n && rj_blank(s[k]))
        k++;
    if (k == n)
        return 0;
    uint8_t quote = 0;
    size_t opened = 0;
    for (; k < n; k++) {
        uint8_t ch = s[k];
        if (!quote && rj_blank(ch))
            break;
        if (!quote && (ch == '"' || ch == '\'')) {
            quote = ch;
            opened = k;
            continue;
        }
        if (quote && ch == quote) {
            if (k + 1 < n && !rj_blank(s[k + 1]))
                return aeh_fail(err, EBADMSG, k + 1, "a closing quote must be followed by a blank");
            quote = 0;
            continue;
        }
        if (quote == '"' && ch == '\\' && k + 1 < n) {
            int hi = k + 3 < n && s[k + 1] == 'x' ? textenc_hex_value(s[k + 2]) : -1;
            int lo = hi >= 0 ? textenc_hex_value(s[k + 3]) : -1;
            const char *named = s[k + 1] ? strchr(from, s[k + 1]) : NULL;
            if (lo >= 0) {
                ch = (uint8_t)(hi << 4 | lo);
                k += 3;
            } else {
                ch = named ? (uint8_t)to[named - from] : s[k + 1];
                k++;
            }
        } else if (quote == '\'' && ch == '\\' && k + 1 < n && s[k + 1] == '\'') {
            ch = '\'';
            k++;
        }
        if (aeh_buf_append(word, &ch, 1) < 0)
            return aeh_fail(err, ENOMEM, 0, "out of memory");
    }
    if (quote)
        return aeh_fail(err, EBADMSG, opened, "unterminated quote");
    *i = k;
    return 1;
}

long aeh_resp_command(const void *line, size_t n, aeh_buf *out, aeh_error *err)
{
    const uint8_t *s = line;
    aeh_buf body = { 0 }, word = { 0 };
    long words = 0;
    int rc;
    size_t i = 0;
    while ((rc = rj_word(s, n, &i, &word, err)) > 0) {
        words++;
        if (aeh_buf_printf(&body, "$%zu\r\n", aeh_buf_len(&word)) < 0 ||
            aeh_buf_append(&body, aeh_buf_data(&word), aeh_buf_len(&word)) < 0 ||
            aeh_buf_append(&body, "\r\n", 2) < 0) {
            rc = aeh_fail(err, ENOMEM, 0, "out of memory");
            break;
        }
        aeh_buf_clear(&word);
    }
    if (!rc && words &&
        (aeh_buf_printf(out, "*%ld\r\n", words) < 0 ||
         aeh_buf_append(out, aeh_buf_data(&body), aeh_buf_len(&body)) < 0))
        rc = aeh_fail(err, ENOMEM, 0, "out of memory");
    aeh_buf_free(&body);
    aeh_buf_free(&word);
    return rc < 0 ? -1 : words;
}

static int rj_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                     bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    size_t i = st->scan;
    const uint8_t *nl = i < len ? memchr(buf + i, '\n', len - i) : NULL;
    size_t end = nl ? (size_t)(nl - buf) : len;
    if (c->max_frame && end > c->max_frame)
        return codec_too_long(c, err, c->max_frame);
    if (!nl) {
        st->scan = len;
        if (!eof || !len)
            return AEH_DEC_MORE;
        if (!(c->flags & AEH_CODEC_PARTIAL_AT_EOF))
            return codec_truncated(c, err, len);
    }
    aeh_buf_clear(&st->out);
    long words = aeh_resp_command(buf, end, &st->out, err);
    if (words < 0) {
        char what[sizeof err->msg];
        snprintf(what, sizeof what, "%s", err->msg);
        return aeh_fail(err, err->code, err->offset, "%s: %s in a command line", c->name, what);
    }
    if (c->max_frame && aeh_buf_len(&st->out) > c->max_frame)
        return aeh_fail(err, ENOSPC, end, "%s: the command of this line is %zu bytes, over the %zu-byte limit",
                        c->name, aeh_buf_len(&st->out), c->max_frame);
    size_t used = nl ? end + 1 : len;
    if (!words) {                 /* a blank line: nothing to send */
        st->scan = 0;
        *consumed = used;
        return AEH_DEC_MORE;
    }
    return codec_frame(st, aeh_buf_data(&st->out), aeh_buf_len(&st->out), used, frame, consumed);
}

aeh_codec *aeh_codec_resp_json(aeh_error *err)
{
    aeh_codec *c = codec_alloc(AEH_CODEC_KIND_RESP_JSON, "resp-json", rj_decode, rj_encode,
                               sizeof(resp_json_conf), err);
    if (c)
        ((resp_json_conf *)c->priv)->max_depth = 512;
    return c;
}
