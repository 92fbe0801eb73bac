/* SPDX-License-Identifier: MIT */
/* The http codec: one frame per whole HTTP/1.1 message at every split
 * (Content-Length, chunked with extensions and trailers, no body for HEAD,
 * 1xx, 204 and 304, read until close, pipelined responses answered by the
 * requests the encoder noted, shared between two codecs); every error at
 * its byte; --http-lenient's recovery; the encoder's one-message check. */
#include <stdarg.h>
#include "codec_harness.h"

#define EXPECT(codec, lit, want) HARNESS_EXPECT(codec, lit, sizeof(lit) - 1, want)

/* The rendering of the frames given, NULL-terminated, as the harness
 * writes them ("<len>:<bytes>,"). */
static const char *frames(const char *first, ...)
{
    static char out[4096];
    size_t at = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *f = first; f; f = va_arg(ap, const char *))
        at += (size_t)snprintf(out + at, sizeof out - at, "%zu:%s,", strlen(f), f);
    va_end(ap);
    return out;
}

static aeh_codec *http(unsigned flags)
{
    aeh_error e;
    aeh_codec *c = flags ? aeh_codec_http(flags, &e) : aeh_codec_parse("http", &e);
    ck_assert_msg(c != NULL, "%s", e.msg);
    ck_assert_int_eq(c->kind, AEH_CODEC_KIND_HTTP);
    return c;
}

/* The encoder notes a request it sends. */
static void sent(aeh_codec *c, const char *request)
{
    aeh_buf out = { 0 };
    aeh_error e;
    ck_assert_msg(harness_encode(c, request, strlen(request), &out, &e) == 0, "%s", e.msg);
    aeh_buf_free(&out);
}

#define GET "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
#define OK5 "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"

START_TEST(content_length_and_no_body)
{
    aeh_codec *c = http(0);
    EXPECT(c, OK5 "hello", frames(OK5 "hello", NULL));
    EXPECT(c, GET GET, frames(GET, GET, NULL));
    EXPECT(c, "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc" GET,
           frames("POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", GET, NULL));
    /* a list of equal lengths is one length; bare LF line ends */
    EXPECT(c, "HTTP/1.1 200 OK\nContent-Length: 2, 2\n\nhi",
           frames("HTTP/1.1 200 OK\nContent-Length: 2, 2\n\nhi", NULL));
    EXPECT(c, "HTTP/1.1 204 No Content\r\n\r\n" "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
           frames("HTTP/1.1 204 No Content\r\n\r\n",
                  "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", NULL));
    /* empty lines before a start line are skipped */
    EXPECT(c, "\r\n" GET, frames(GET, NULL));
    aeh_codec_free(c);
}
END_TEST

START_TEST(chunked_with_extensions_and_trailers)
{
    aeh_codec *c = http(0);
    const char *m = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                    "5;name=\"v\"\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n"
                    "0;last\r\nDigest: x\r\nX-T: y\r\n\r\n";
    HARNESS_EXPECT(c, m, strlen(m), frames(m, NULL));
    const char *two = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n"
                      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    HARNESS_EXPECT(c, two, strlen(two),
                   frames("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n",
                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", NULL));
    aeh_codec_free(c);
}
END_TEST

START_TEST(read_until_close)
{
    aeh_codec *c = http(0);
    EXPECT(c, "HTTP/1.0 200 OK\r\n\r\nall of it\r\n\r\nHTTP/1.1 200",
           frames("HTTP/1.0 200 OK\r\n\r\nall of it\r\n\r\nHTTP/1.1 200", NULL));
    /* a response whose coding is not chunked ends with the connection too */
    EXPECT(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz",
           frames("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz", NULL));
    c->max_frame = 24;
    EXPECT(c, "HTTP/1.0 200 OK\r\n\r\n12345", frames("HTTP/1.0 200 OK\r\n\r\n12345", NULL));
    EXPECT(c, "HTTP/1.0 200 OK\r\n\r\n123456", harness_err("", ENOSPC, 24));
    aeh_codec_free(c);
}
END_TEST

START_TEST(head_and_pipelining)
{
    aeh_codec *c = http(0);
    sent(c, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
    sent(c, GET);
    /* the same responses: the first answers HEAD, so its length is not sent */
    EXPECT(c, OK5 OK5 "hello", frames(OK5, OK5 "hello", NULL));
    aeh_codec_free(c);

    c = http(0);
    sent(c, "HEAD /a HTTP/1.1\r\n\r\n");
    sent(c, "GET /b HTTP/1.1\r\n\r\n");
    /* a 1xx does not answer the request: the 200 after it does */
    EXPECT(c, "HTTP/1.1 100 Continue\r\n\r\n" OK5 "HTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n" OK5 "hello",
           frames("HTTP/1.1 100 Continue\r\n\r\n", OK5,
                  "HTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n", OK5 "hello", NULL));
    aeh_codec_free(c);

    /* a 2xx to CONNECT has no body; a 407 to it has */
    c = http(0);
    sent(c, "CONNECT x:443 HTTP/1.1\r\n\r\n");
    EXPECT(c, OK5, frames(OK5, NULL));
    aeh_codec_free(c);
}
END_TEST

START_TEST(two_codecs_share_a_connection)
{
    aeh_codec *send = http(0), *recv = http(0);
    aeh_error e;
    ck_assert_int_eq(aeh_codec_http_share(recv, send, &e), 0);
    sent(send, "HEAD / HTTP/1.1\r\n\r\n");
    EXPECT(recv, OK5 OK5 "hello", frames(OK5, OK5 "hello", NULL));
    aeh_codec_free(send);         /* the record lives on with recv */
    EXPECT(recv, OK5 OK5 "hello", frames(OK5, OK5 "hello", NULL));
    aeh_codec *line = aeh_codec_parse("line", &e);
    ck_assert_int_eq(aeh_codec_http_share(recv, line, &e), -1);
    ck_assert_int_eq(e.code, EINVAL);
    aeh_codec_free(line);
    aeh_codec_free(recv);
}
END_TEST

START_TEST(errors_at_their_byte)
{
    aeh_codec *c = http(0);
    /* smuggling: both lengths, two lengths, a length that is no number */
    EXPECT(c, "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
           harness_err("", EBADMSG, 36));
    EXPECT(c, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
           harness_err("", EBADMSG, 45));
    EXPECT(c, GET "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
           harness_err(frames(GET, NULL), EBADMSG, 27 + 52));
    EXPECT(c, "HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\n", harness_err("", EBADMSG, 36));
    EXPECT(c, "HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n", harness_err("", EBADMSG, 33));
    EXPECT(c, "HTTP/1.1 200 OK\r\nContent-Length: 3x\r\n\r\n", harness_err("", EBADMSG, 34));
    EXPECT(c, "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
           harness_err("", EBADMSG, 51));
    EXPECT(c, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", harness_err("", EBADMSG, 17));
    /* chunks */
    EXPECT(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
           harness_err("", EBADMSG, 47));
    EXPECT(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\n",
           harness_err("", EBADMSG, 48));
    EXPECT(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n",
           harness_err("", EBADMSG, 62));
    EXPECT(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
           harness_err("", EBADMSG, 51));
    EXPECT(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\rb",
           harness_err("", EBADMSG, 52));
    EXPECT(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n",
           harness_err("", EBADMSG, 53));
    /* lines */
    EXPECT(c, "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", harness_err("", EBADMSG, 25));
    EXPECT(c, "GET / HTTP/1.1\r\nHost : x\r\n\r\n", harness_err("", EBADMSG, 20));
    EXPECT(c, "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", harness_err("", EBADMSG, 20));
    EXPECT(c, "GET /\r\n\r\n", harness_err("", EBADMSG, 5));
    EXPECT(c, "GET / HTTP/1.1 x\r\n\r\n", harness_err("", EBADMSG, 14));
    EXPECT(c, "HTTP/1.1 20 OK\r\n\r\n", harness_err("", EBADMSG, 11));
    EXPECT(c, "HTTP/x.1 200 OK\r\n\r\n", harness_err("", EBADMSG, 5));
    EXPECT(c, "hello\r\n\r\n", harness_err("", EBADMSG, 5));
    /* truncated */
    EXPECT(c, OK5 "hel", harness_err("", EBADMSG, 41));
    EXPECT(c, "GET / HTTP/1.1\r\n", harness_err("", EBADMSG, 16));
    aeh_codec_free(c);
}
END_TEST

START_TEST(line_and_frame_limits)
{
    aeh_codec *c = http(0);
    size_t n = 16 + AEH_HTTP_LINE_MAX + 20;
    char *m = malloc(n + 1);
    memcpy(m, "GET / HTTP/1.1\r\n", 16);
    memset(m + 16, 'a', n - 16);
    m[17] = ':';
    harness_out o;
    harness_decode(c, m, n, &o);
    ck_assert_int_eq(o.error, EBADMSG);
    ck_assert_uint_eq(o.error_offset, 16 + AEH_HTTP_LINE_MAX);
    harness_out_free(&o);
    /* a line of exactly the limit, its CRLF included, is fine */
    memcpy(m + 16 + AEH_HTTP_LINE_MAX - 2, "\r\n\r\n", 4);
    harness_decode(c, m, 16 + AEH_HTTP_LINE_MAX + 2, &o);
    ck_assert_int_eq(o.error, 0);
    ck_assert_int_eq(o.frames, 1);
    harness_out_free(&o);
    free(m);
    /* max_frame: a known length is refused at the first body byte, a chunk
     * at its first data byte, before any of it is buffered */
    c->max_frame = 45;
    EXPECT(c, OK5 "hello", frames(OK5 "hello", NULL));
    EXPECT(c, "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n", harness_err("", ENOSPC, 38));
    EXPECT(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nf\r\n",
           harness_err("", ENOSPC, 45));
    c->max_frame = 20;
    EXPECT(c, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n", harness_err("", ENOSPC, 20));
    aeh_codec_free(c);
}
END_TEST

START_TEST(lenient_lets_transfer_encoding_win)
{
    aeh_codec *c = http(AEH_HTTP_LENIENT);
    const char *m = "POST / HTTP/1.1\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "2\r\nhi\r\n0\r\n\r\n";
    HARNESS_EXPECT(c, m, strlen(m), frames(m, NULL));
    const char *bad = "HTTP/1.1 200 OK\r\nContent-Length: x\r\nContent-Length: 4\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    HARNESS_EXPECT(c, bad, strlen(bad), frames(bad, NULL));
    aeh_http_info info;
    aeh_error e;
    ck_assert_int_eq(aeh_http_parse_head(m, strlen(m), AEH_HTTP_LENIENT, &info, &e), 1);
    ck_assert(info.te_over_cl);
    ck_assert_int_eq(info.body, AEH_HTTP_BODY_CHUNKED);
    ck_assert_uint_eq(info.head_len, 67);
    ck_assert_int_eq(aeh_http_parse_head(m, strlen(m), 0, &info, &e), -1);
    ck_assert_int_eq(aeh_http_parse_head(m, 20, 0, &info, &e), 0);
    /* two different lengths without Transfer-Encoding stay an error */
    EXPECT(c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
           harness_err("", EBADMSG, 52));
    aeh_codec_free(c);
}
END_TEST

START_TEST(encoder_takes_one_whole_message)
{
    aeh_codec *c = http(0);
    aeh_buf out = { 0 };
    aeh_error e;
    ck_assert_int_eq(harness_encode(c, GET, strlen(GET), &out, &e), 0);
    ck_assert(harness_buf_is(&out, GET, strlen(GET)));
    aeh_buf_clear(&out);
    /* a response's head alone answers HEAD */
    ck_assert_int_eq(harness_encode(c, OK5, strlen(OK5), &out, &e), 0);
    ck_assert_int_eq(harness_encode(c, OK5 "hello", strlen(OK5) + 5, &out, &e), 0);
    ck_assert_int_eq(harness_encode(c, GET GET, 2 * strlen(GET), &out, &e), -1);
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_uint_eq(e.offset, strlen(GET));
    ck_assert_int_eq(harness_encode(c, OK5 "hel", strlen(OK5) + 3, &out, &e), -1);
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_int_eq(harness_encode(c, "GET / HTTP/1.1\r\n", 16, &out, &e), -1);
    ck_assert_int_eq(harness_encode(c, "\r\n" GET, 2 + strlen(GET), &out, &e), -1);
    ck_assert_int_eq(harness_encode(c, "", 0, &out, &e), -1);
    ck_assert_int_eq(harness_encode(c, "GET / HTTP/1.1\r\n x\r\n\r\n", 22, &out, &e), -1);
    ck_assert_uint_eq(e.offset, 16);
    aeh_buf_free(&out);
    aeh_codec_free(c);
    ck_assert_ptr_null(aeh_codec_parse("http:1", &e));
    ck_assert_int_eq(e.code, EINVAL);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("frame_http");
    TCase *t = tcase_create("http");
    tcase_add_test(t, content_length_and_no_body);
    tcase_add_test(t, chunked_with_extensions_and_trailers);
    tcase_add_test(t, read_until_close);
    tcase_add_test(t, head_and_pipelining);
    tcase_add_test(t, two_codecs_share_a_connection);
    tcase_add_test(t, errors_at_their_byte);
    tcase_add_test(t, line_and_frame_limits);
    tcase_add_test(t, lenient_lets_transfer_encoding_win);
    tcase_add_test(t, encoder_takes_one_whole_message);
    suite_add_tcase(s, t);
    return s;
}

UNIT_MAIN(make_suite)
