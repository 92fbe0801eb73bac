/* SPDX-License-Identifier: MIT */
/* http: a frame is one whole HTTP/1.1 message (RFC 9112), head and body,
 * as its bytes: the messages written one after the other are the stream as
 * it came.  Requests and responses are told apart by the start line
 * ("HTTP/" starts a status line).
 *   - The body (§6.3): a chunked Transfer-Encoding (chunk extensions and
 *     trailer fields kept in the frame), else Content-Length, else none for
 *     a request and everything up to EOF for a response.  Responses to
 *     HEAD, 1xx, 204, 304 and 2xx to CONNECT have none.
 *   - The method a response answers comes from the connection's record of
 *     the requests sent (http_conn below), which the encoder keeps.
 *   - Errors (EBADMSG) at the byte: a malformed start line or field line,
 *     obs-fold (a field line starting with a space), a bare CR, a line of
 *     more than AEH_HTTP_LINE_MAX bytes (at the first byte past it), a bad
 *     or too large chunk size, Content-Length that is not a number or has
 *     two different values, Content-Length together with Transfer-Encoding
 *     (request smuggling: with AEH_HTTP_LENIENT, RFC 9112's recovery
 *     instead: Transfer-Encoding wins and Content-Length is ignored), a
 *     request whose Transfer-Encoding does not end in chunked.  A frame
 *     past max_frame is ENOSPC at the first body byte when its length is
 *     known there (at the chunk's first byte for chunked), else at the byte
 *     past the limit: no body is buffered beyond it.
 *   - Empty lines before a start line are skipped (§2.2).
 * State: st->scan the next byte to examine; u[0] the phase, u[1] where the
 * current line starts, u[2] the end of the body (length) or of the chunk's
 * data. */
#include "codec_int.h"

/* What a request's method means for the response's body. */
enum { METHOD_OTHER, METHOD_HEAD, METHOD_CONNECT, METHOD_LOOKUP };

/* The requests of one connection, shared by the codecs that read and
 * write it: the encoder notes each request it writes (one byte each), the
 * decoder finds the request a response answers.  The decoder stays pure:
 * response number j answers request j, where j is the frame's number in
 * the stream (st->frames, kept by the driver) minus the 1xx responses
 * before it, which the decoder notes by frame number (idempotently, since
 * a frame may be decoded again). */
typedef struct http_conn {
    unsigned refs;
    aeh_buf methods;              /* METHOD_* per request written */
    aeh_buf interim;              /* uint64_t frame numbers of 1xx responses, ascending */
} http_conn;

typedef struct {
    unsigned flags;               /* AEH_HTTP_* */
    http_conn *conn;
} http_conf;

enum { PH_HEAD, PH_LENGTH, PH_CHUNK_SIZE, PH_CHUNK_END, PH_TRAILER, PH_CLOSE };

/* Larger than any sane chunk, small enough that offsets never overflow. */
#define HTTP_LENGTH_MAX ((uint64_t)1 << 60)

static bool http_tchar(uint8_t ch)
{
    return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static bool http_ows(uint8_t ch) { return ch == ' ' || ch == '\t'; }

static int http_hex(uint8_t ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch |= 0x20;
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static bool http_name_is(const uint8_t *p, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp((const char *)p, name, n) == 0;
}

static int http_bad(aeh_error *err, size_t at, const char *what)
{
    return aeh_fail(err, EBADMSG, at, "http: %s", what);
}

/* Where the content of the line [ls, lf) ends (before a CR that ends it). */
static size_t http_content_end(const uint8_t *p, size_t ls, size_t lf)
{
    return lf > ls && p[lf - 1] == '\r' ? lf - 1 : lf;
}

/* "HTTP/D.D" at p[i, e): the index after it, or 0. */
static size_t http_version(const uint8_t *p, size_t i, size_t e)
{
    if (e - i < 8 || memcmp(p + i, "HTTP/", 5) != 0 || p[i + 5] < '0' || p[i + 5] > '9' ||
        p[i + 6] != '.' || p[i + 7] < '0' || p[i + 7] > '9')
        return 0;
    return i + 8;
}

static int http_start_line(const uint8_t *p, size_t e, aeh_http_info *info, aeh_error *err)
{
    size_t i;
    if (e >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        info->response = true;
        if (!(i = http_version(p, 0, e)))
            return http_bad(err, 5, "bad HTTP version in the status line");
        if (i >= e || p[i] != ' ')
            return http_bad(err, i, "expected ' ' after the HTTP version");
        unsigned status = 0;
        for (size_t k = i + 1; k < i + 4; k++) {
            if (k >= e || p[k] < '0' || p[k] > '9')
                return http_bad(err, k, "expected a 3-digit status code");
            status = status * 10 + (unsigned)(p[k] - '0');
        }
        if (i + 4 < e && p[i + 4] != ' ')
            return http_bad(err, i + 4, "expected ' ' after the status code");
        info->status = status;
        return 0;
    }
    for (i = 0; i < e && http_tchar(p[i]); i++)
        ;
    if (i == 0 || i >= e || p[i] != ' ')
        return http_bad(err, i, "not a request line (METHOD target HTTP/1.1) or status line");
    info->method_len = i;
    size_t t = ++i;
    for (; i < e && p[i] > ' ' && p[i] != 0x7f; i++)
        ;
    if (i == t || i >= e || p[i] != ' ')
        return http_bad(err, i, "bad request target");
    size_t v = http_version(p, i + 1, e);
    if (!v || v != e)
        return http_bad(err, v ? v : i + 1, "bad HTTP version in the request line");
    return 0;
}

/* A field line p[ls, e): "name:value" with no obs-fold, no bare CR, no NUL.
 * *colon is the colon's offset. */
static int http_field_line(const uint8_t *p, size_t ls, size_t e, size_t *colon, aeh_error *err)
{
    if (http_ows(p[ls]))
        return http_bad(err, ls, "obs-fold (a field line starting with whitespace) refused");
    size_t i = ls;
    while (i < e && http_tchar(p[i]))
        i++;
    if (i == ls || i >= e || p[i] != ':')
        return http_bad(err, i, "bad field line (expected name:value)");
    *colon = i;
    for (i++; i < e; i++)
        if (p[i] == '\r' || p[i] == 0 || p[i] == '\n')
            return http_bad(err, i, p[i] ? "bare CR in a field value" : "NUL in a field value");
    return 0;
}

/* Content-Length's value p[v, e): 1*DIGIT, or a list of equal ones
 * (RFC 9110 §8.6), equal to *have when one came before. */
static int http_content_length(const uint8_t *p, size_t v, size_t e, bool *seen, uint64_t *have,
                               aeh_error *err)
{
    size_t i = v;
    for (;;) {
        while (i < e && http_ows(p[i]))
            i++;
        size_t d = i;
        uint64_t n = 0;
        for (; i < e && p[i] >= '0' && p[i] <= '9'; i++) {
            n = n * 10 + (uint64_t)(p[i] - '0');
            if (n > HTTP_LENGTH_MAX)
                return http_bad(err, i, "Content-Length too large");
        }
        if (i == d)
            return http_bad(err, i, "Content-Length is not a number");
        if (*seen && n != *have)
            return http_bad(err, d, "two different Content-Length values (request smuggling)");
        *seen = true;
        *have = n;
        while (i < e && http_ows(p[i]))
            i++;
        if (i == e)
            return 0;
        if (p[i] != ',')
            return http_bad(err, i, "Content-Length is not a number");
        i++;
    }
}

/* Whether Transfer-Encoding's value p[v, e) ends in the chunked coding. */
static bool http_ends_chunked(const uint8_t *p, size_t v, size_t e)
{
    while (e > v && http_ows(p[e - 1]))
        e--;
    size_t s = e;
    while (s > v && p[s - 1] != ',' && !http_ows(p[s - 1]))
        s--;
    return http_name_is(p + s, e - s, "chunked");
}

int aeh_http_parse_head(const void *p_, size_t n, unsigned flags, aeh_http_info *info,
                        aeh_error *err)
{
    const uint8_t *p = p_;
    memset(info, 0, sizeof *info);
    bool cl_seen = false, te_seen = false, te_chunked = false;
    size_t cl_at = 0, te_at = 0, cl_bad_at = 0;
    aeh_error cl_err = { 0 };
    for (size_t ls = 0, lf; ls < n; ls = lf + 1) {
        const uint8_t *nl = memchr(p + ls, '\n', n - ls);
        if (!nl)
            return 0;
        lf = (size_t)(nl - p);
        size_t e = http_content_end(p, ls, lf), colon;
        if (ls > 0 && e == ls) {
            info->head_len = lf + 1;
            break;
        }
        for (size_t k = ls; k < e; k++)
            if (p[k] == '\r')
                return http_bad(err, k, "bare CR");
        if (ls == 0) {
            if (http_start_line(p, e, info, err) < 0)
                return -1;
            continue;
        }
        if (http_field_line(p, ls, e, &colon, err) < 0)
            return -1;
        if (http_name_is(p + ls, colon - ls, "content-length")) {
            cl_at = ls;
            if (!cl_bad_at && http_content_length(p, colon + 1, e, &cl_seen, &info->length,
                                                  &cl_err) < 0)
                cl_bad_at = cl_err.offset + 1;
        } else if (http_name_is(p + ls, colon - ls, "transfer-encoding")) {
            te_at = te_seen ? te_at : ls;
            te_seen = true;
            te_chunked = http_ends_chunked(p, colon + 1, e);
        }
    }
    if (!info->head_len)
        return 0;
    bool lenient = flags & AEH_HTTP_LENIENT;
    if (te_seen && (cl_seen || cl_bad_at) && lenient) {
        info->te_over_cl = true;
    } else if (cl_bad_at) {
        *err = cl_err;
        return -1;
    } else if (te_seen && cl_seen) {
        return http_bad(err, te_at > cl_at ? te_at : cl_at,
                        "Content-Length with Transfer-Encoding (request smuggling)");
    }
    if (info->response && (info->status < 200 || info->status == 204 || info->status == 304))
        info->body = AEH_HTTP_BODY_NONE;
    else if (te_seen && !te_chunked && !info->response)
        return http_bad(err, te_at, "a request's Transfer-Encoding must end in chunked");
    else if (te_seen)
        info->body = te_chunked ? AEH_HTTP_BODY_CHUNKED : AEH_HTTP_BODY_CLOSE;
    else if (cl_seen)
        info->body = AEH_HTTP_BODY_LENGTH;
    else
        info->body = info->response ? AEH_HTTP_BODY_CLOSE : AEH_HTTP_BODY_NONE;
    if (info->body != AEH_HTTP_BODY_LENGTH)
        info->length = 0;
    return 1;
}

/* ---------------------------------------------------------------- the record */

/* How many of the ascending frame numbers in conn->interim are below k. */
static size_t http_interim_below(const http_conn *conn, uint64_t k)
{
    const uint64_t *v = (const uint64_t *)(const void *)aeh_buf_data(&conn->interim);
    size_t lo = 0, hi = aeh_buf_len(&conn->interim) / sizeof *v;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int http_note_interim(http_conn *conn, uint64_t k, aeh_error *err)
{
    size_t at = http_interim_below(conn, k), n = aeh_buf_len(&conn->interim) / sizeof k;
    uint64_t *v = (uint64_t *)(void *)aeh_buf_data(&conn->interim);
    if (at < n && v[at] == k)
        return 0;
    if (aeh_buf_append(&conn->interim, &k, sizeof k) < 0)
        return aeh_fail(err, ENOMEM, 0, "http: out of memory");
    v = (uint64_t *)(void *)aeh_buf_data(&conn->interim);
    memmove(v + at + 1, v + at, (n - at) * sizeof k);
    v[at] = k;
    return 0;
}

/* The method of the request that frame k, a final response, answers. */
static int http_answered(const http_conn *conn, uint64_t k)
{
    uint64_t j = k - http_interim_below(conn, k);
    return j < aeh_buf_len(&conn->methods) ? aeh_buf_data(&conn->methods)[j] : METHOD_OTHER;
}

/* ---------------------------------------------------------------- decoder */

/* The head buf[0, h) is complete: where its body goes.  method is the
 * request answered, or METHOD_LOOKUP for the connection's record. */
static int http_after_head(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t h,
                           int method, aeh_error *err)
{
    const http_conf *hc = c->priv;
    aeh_http_info info;
    if (aeh_http_parse_head(buf, h, hc->flags, &info, err) < 0)
        return -1;
    if (info.response && info.status < 200 && method == METHOD_LOOKUP &&
        http_note_interim(hc->conn, st->frames, err) < 0)
        return -1;
    if (info.response && info.status >= 200) {
        if (method == METHOD_LOOKUP)
            method = http_answered(hc->conn, st->frames);
        if (method == METHOD_HEAD || (method == METHOD_CONNECT && info.status < 300))
            info.body = AEH_HTTP_BODY_NONE;
    }
    st->u[1] = h;
    switch (info.body) {
    case AEH_HTTP_BODY_LENGTH:
        if (c->max_frame && info.length > c->max_frame - (h < c->max_frame ? h : c->max_frame))
            return codec_too_long(c, err, h);
        st->u[0] = PH_LENGTH;
        st->u[2] = h + info.length;
        return 0;
    case AEH_HTTP_BODY_CHUNKED:
        st->u[0] = PH_CHUNK_SIZE;
        return 0;
    case AEH_HTTP_BODY_CLOSE:
        st->u[0] = PH_CLOSE;
        return 0;
    }
    st->u[0] = PH_LENGTH;
    st->u[2] = h;
    return 0;
}

/* A chunk-size line buf[ls, e): its size, or -1 with err. */
static int http_chunk_size(const uint8_t *buf, size_t ls, size_t e, uint64_t *size,
                           aeh_error *err)
{
    uint64_t n = 0;
    size_t i = ls;
    for (; i < e && http_hex(buf[i]) >= 0; i++) {
        if (i - ls == 15)
            return http_bad(err, i, "chunk size too large");
        n = n << 4 | (uint64_t)http_hex(buf[i]);
    }
    if (i == ls)
        return http_bad(err, i, "bad chunk size (expected hex digits)");
    while (i < e && http_ows(buf[i]))
        i++;
    if (i < e && buf[i] != ';')
        return http_bad(err, i, "bad chunk size (expected hex digits)");
    for (; i < e; i++)
        if (buf[i] == '\r' || buf[i] == 0)
            return http_bad(err, i, "bad chunk extension");
    *size = n;
    return 0;
}

/* Lines of the head, a chunk size or the trailer: from st->scan to the next
 * line end.  1 with *lf at the LF, 0 for more input, -1 with err. */
static int http_next_line(const aeh_codec *c, const aeh_dstate *st, const uint8_t *buf,
                          size_t len, size_t *lf, aeh_error *err)
{
    size_t ls = (size_t)st->u[1], stop = len;
    if (c->max_frame && stop > c->max_frame)
        stop = c->max_frame;
    if (stop > ls + AEH_HTTP_LINE_MAX)
        stop = ls + AEH_HTTP_LINE_MAX;
    size_t from = st->scan > ls ? st->scan : ls;
    const uint8_t *nl = from < stop ? memchr(buf + from, '\n', stop - from) : NULL;
    if (nl) {
        *lf = (size_t)(nl - buf);
        return 1;
    }
    if (stop == len)
        return 0;
    if (c->max_frame && stop == c->max_frame)
        return codec_too_long(c, err, stop);
    aeh_fail(err, EBADMSG, stop, "http: line longer than %u bytes", (unsigned)AEH_HTTP_LINE_MAX);
    return -1;
}

static int http_decode_as(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                          bool eof, aeh_span *frame, size_t *consumed, aeh_error *err, int method)
{
    for (;;) {
        size_t ls = (size_t)st->u[1], lf = 0, e, colon;
        uint64_t size = 0;
        int rc;
        switch (st->u[0]) {
        case PH_HEAD:
        case PH_CHUNK_SIZE:
        case PH_TRAILER:
            if ((rc = http_next_line(c, st, buf, len, &lf, err)) < 0)
                return AEH_DEC_ERROR;
            if (rc == 0) {
                st->scan = len;
                break;
            }
            e = http_content_end(buf, ls, lf);
            st->scan = lf + 1;
            st->u[1] = lf + 1;
            if (st->u[0] == PH_HEAD && e == ls && ls == 0) {
                /* an empty line before the start line: skipped */
                *consumed = lf + 1;
                st->scan = 0;
                st->u[1] = 0;
                return AEH_DEC_MORE;
            }
            if (st->u[0] == PH_HEAD) {
                if (e == ls && http_after_head(c, st, buf, lf + 1, method, err) < 0)
                    return AEH_DEC_ERROR;
                continue;
            }
            if (st->u[0] == PH_TRAILER) {
                if (e == ls)
                    return codec_frame(st, buf, lf + 1, lf + 1, frame, consumed);
                if (http_field_line(buf, ls, e, &colon, err) < 0)
                    return AEH_DEC_ERROR;
                continue;
            }
            if (http_chunk_size(buf, ls, e, &size, err) < 0)
                return AEH_DEC_ERROR;
            if (size == 0) {
                st->u[0] = PH_TRAILER;
                continue;
            }
            /* the data and at least its CRLF must fit */
            if (c->max_frame && size + 2 > c->max_frame - (lf + 1 < c->max_frame ? lf + 1 : c->max_frame))
                return codec_too_long(c, err, lf + 1);
            st->u[0] = PH_CHUNK_END;
            st->u[2] = lf + 1 + size;
            continue;
        case PH_CHUNK_END: {
            size_t at = (size_t)st->u[2];
            if (len > at && buf[at] != '\r' && buf[at] != '\n')
                return http_bad(err, at, "expected CRLF after the chunk data");
            if (len > at + 1 && buf[at] == '\r' && buf[at + 1] != '\n')
                return http_bad(err, at + 1, "expected CRLF after the chunk data");
            if (len <= at || (buf[at] == '\r' && len <= at + 1))
                break;
            st->u[0] = PH_CHUNK_SIZE;
            st->u[1] = st->scan = at + (buf[at] == '\r' ? 2 : 1);
            continue;
        }
        case PH_LENGTH:
            if (len >= st->u[2])
                return codec_frame(st, buf, (size_t)st->u[2], (size_t)st->u[2], frame, consumed);
            break;
        case PH_CLOSE:
            if (c->max_frame && len > c->max_frame)
                return codec_too_long(c, err, c->max_frame);
            if (eof)
                return codec_frame(st, buf, len, len, frame, consumed);
            break;
        }
        if (eof && len)
            return codec_truncated(c, err, len);
        return AEH_DEC_MORE;
    }
}

static int http_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                       bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    return http_decode_as(c, st, buf, len, eof, frame, consumed, err, METHOD_LOOKUP);
}

/* ---------------------------------------------------------------- encoder */

/* Whether p[0, n) is one whole message when it answers `method`. */
static int http_whole(const aeh_codec *c, const uint8_t *p, size_t n, int method, size_t *end,
                      aeh_error *err)
{
    aeh_dstate st = { 0 };
    aeh_span f;
    size_t used = 0;
    int rc = http_decode_as(c, &st, p, n, true, &f, &used, err, method);
    aeh_buf_free(&st.out);
    if (rc == AEH_DEC_MORE && used)
        return aeh_fail(err, EINVAL, 0, "http: a record starts with an empty line");
    if (rc != AEH_DEC_FRAME) {
        err->code = EINVAL;
        return -1;
    }
    *end = f.n;
    return f.n == n;
}

static int http_encode(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                       aeh_error *err)
{
    const http_conf *hc = c->priv;
    size_t end;
    if (codec_check_encode_size(c, n, err) < 0)
        return -1;
    if (n == 0)
        return aeh_fail(err, EINVAL, 0, "http: an empty record is not a message");
    int rc = http_whole(c, p, n, METHOD_OTHER, &end, err);
    bool response = n >= 5 && memcmp(p, "HTTP/", 5) == 0;
    /* a response's head alone answers HEAD */
    aeh_error as_head;
    size_t head_end;
    if (rc != 1 && response && http_whole(c, p, n, METHOD_HEAD, &head_end, &as_head) == 1)
        rc = 1;
    if (rc < 0)
        return -1;
    if (rc == 0)
        return aeh_fail(err, EINVAL, end, "http: a record must be one whole message (it ends at byte %zu of %zu)",
                        end, n);
    if (!response) {
        uint8_t m = n > 5 && memcmp(p, "HEAD ", 5) == 0 ? METHOD_HEAD
                  : n > 8 && memcmp(p, "CONNECT ", 8) == 0 ? METHOD_CONNECT : METHOD_OTHER;
        if (aeh_buf_append(&hc->conn->methods, &m, 1) < 0)
            return aeh_fail(err, ENOMEM, 0, "http: out of memory");
    }
    return codec_put(c, out, p, n, err);
}

/* ---------------------------------------------------------------- codec */

static void http_conn_release(http_conn *conn)
{
    if (--conn->refs)
        return;
    aeh_buf_free(&conn->methods);
    aeh_buf_free(&conn->interim);
    free(conn);
}

static void http_free(aeh_codec *c)
{
    http_conn_release(((http_conf *)c->priv)->conn);
    free(c);
}

aeh_codec *aeh_codec_http(unsigned flags, aeh_error *err)
{
    http_conn *conn = calloc(1, sizeof *conn);
    if (!conn) {
        aeh_fail(err, ENOMEM, 0, "http: out of memory");
        return NULL;
    }
    aeh_codec *c = codec_alloc(AEH_CODEC_KIND_HTTP, "http", http_decode, http_encode,
                               sizeof(http_conf), err);
    if (!c) {
        free(conn);
        return NULL;
    }
    conn->refs = 1;
    *(http_conf *)c->priv = (http_conf){ .flags = flags, .conn = conn };
    c->destroy = http_free;
    return c;
}

int aeh_codec_http_share(aeh_codec *c, aeh_codec *with, aeh_error *err)
{
    if (!c || !with || c->kind != AEH_CODEC_KIND_HTTP || with->kind != AEH_CODEC_KIND_HTTP)
        return aeh_fail(err, EINVAL, 0, "http: only two http codecs can share a connection");
    http_conf *a = c->priv, *b = with->priv;
    if (a->conn == b->conn)
        return 0;
    b->conn->refs++;
    http_conn_release(a->conn);
    a->conn = b->conn;
    return 0;
}
