/* SPDX-License-Identifier: MIT */
/* The json-strings codec: strings and {"base64": ...} records (each frame
 * and each error offset the same at every split), escapes of every kind,
 * whitespace and pretty-printed input, texts that are not records, bad
 * base64, max_frame on the frame and on the text, the encoder's two forms
 * at the UTF-8 edges, random round trips, and linear work on a long text. */
#include <stdint.h>
#include <time.h>
#include "codec_harness.h"

#define EXPECT(codec, lit, want) HARNESS_EXPECT(codec, lit, sizeof(lit) - 1, want)
/* For expected renderings with NULs in them. */
#define EXPECT_N(codec, lit, want) \
    HARNESS_EXPECT_N(codec, lit, sizeof(lit) - 1, want, sizeof(want) - 1)
#define BAD(off) harness_err("", EBADMSG, off)

static aeh_codec *jstr(size_t max)
{
    aeh_error e;
    aeh_codec *c = aeh_codec_json_strings(&e);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->name, "json-strings");
    c->max_frame = max;
    return c;
}

START_TEST(string_texts)
{
    aeh_codec *c = jstr(0);
    EXPECT(c, "\"hello\"\n", "5:hello,");
    EXPECT(c, "\"hello world\"\n\"second line\"\n", "11:hello world,11:second line,");
    EXPECT(c, "\"\"\n", "0:,");
    EXPECT(c, "\"\"\n\"\"\n\"x\"", "0:,0:,1:x,");    /* the last line unterminated */
    EXPECT(c, "\"{\\\"base64\\\":\\\"aGk=\\\"}\"", "17:{\"base64\":\"aGk=\"},");
    EXPECT(c, "", "");
    EXPECT(c, " \n\n", "");
    aeh_codec_free(c);
}
END_TEST

START_TEST(string_escapes)
{
    aeh_codec *c = jstr(0);
    EXPECT(c, "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "8:\"\\/\b\f\n\r\t,");
    EXPECT(c, "\"a\\nb\\tc\\\\\"", "6:a\nb\tc\\,");
    /* \u to UTF-8 at each length boundary, upper and lower case digits */
    EXPECT(c, "\"\\u0041\\u007f\\u0080\\u07FF\\u0800\\uFFFF\"",
           "12:A\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf,");
    EXPECT(c, "\"\\u00e9\\u20AC\"", "5:\xc3\xa9\xe2\x82\xac,");
    /* surrogate pairs: the first and last supplementary code points */
    EXPECT(c, "\"\\ud800\\udc00|\\ud83d\\ude00|\\uDBFF\\uDFFF\"",
           "14:\xf0\x90\x80\x80|\xf0\x9f\x98\x80|\xf4\x8f\xbf\xbf,");
    EXPECT_N(c, "\"a\\u0000b\\u0000\"", "4:a\0b\0,");
    EXPECT_N(c, "\"\\u0000\"", "1:\0,");
    EXPECT(c, "\"\\u001f\\u0001\"", "2:\x1f\x01,");
    /* escapes and UTF-8 mixed, back to back with plain runs */
    EXPECT(c, "\"x\\u00e9y\xc3\xa9z\\n\"", "8:x\xc3\xa9y\xc3\xa9z\n,");
    aeh_codec_free(c);
}
END_TEST

START_TEST(non_ascii)
{
    aeh_codec *c = jstr(0);
    EXPECT(c, "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"",
           "15:h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80,");
    EXPECT(c, "\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"",
           "18:\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf,");
    /* the splitter's UTF-8 check applies: overlong, surrogate, past U+10FFFF */
    EXPECT(c, "\"\xc0\x80\"", BAD(1));
    EXPECT(c, "\"\xed\xa0\x80\"", BAD(2));
    EXPECT(c, "\"\xf4\x90\x80\x80\"", BAD(2));
    EXPECT(c, "\"ok\"\n\"\xff\"", harness_err("2:ok,", EBADMSG, 6));
    aeh_codec_free(c);
}
END_TEST

START_TEST(base64_records)
{
    aeh_codec *c = jstr(0);
    EXPECT(c, "{\"base64\":\"aGk=\"}\n", "2:hi,");
    EXPECT(c, "{\"base64\":\"\"}\n", "0:,");
    EXPECT(c, "{ \"base64\" : \"aGk=\" }", "2:hi,");
    EXPECT(c, "{\"base64\":\"aGVsbG8=\"}\n{\"base64\":\"aGVsbA==\"}\n{\"base64\":\"aGVs\"}",
           "5:hello,4:hell,3:hel,");
    EXPECT_N(c, "{\"base64\":\"AAEC/w==\"}", "4:\0\1\2\xff,");
    EXPECT(c, "{\"base64\":\"+/+/\"}", "3:\xfb\xff\xbf,");
    /* JSON-equal spellings: an escaped key, escaped base64 characters */
    EXPECT(c, "{\"\\u0062ase64\":\"aGk=\"}", "2:hi,");
    EXPECT(c, "{\"base64\":\"\\/w\\u003d=\"}", "1:\xff,");
    /* objects may touch what follows; strings and objects mix */
    EXPECT(c, "{\"base64\":\"\"}{\"base64\":\"YQ==\"}\"x\"", "0:,1:a,1:x,");
    EXPECT(c, "\"a\"\n{\"base64\":\"Yg==\"}\n\"c\"\n", "1:a,1:b,1:c,");
    aeh_codec_free(c);
}
END_TEST

START_TEST(whitespace_and_pretty_printing)
{
    aeh_codec *c = jstr(0);
    EXPECT(c, "  \n\t\"a\"\r\n\n  {\"base64\":\"Yg==\"}   \"c\"\n\n", "1:a,1:b,1:c,");
    EXPECT(c, "{\n  \"base64\": \"aGk=\"\n}\n{\n\t\"base64\" :\n\t\t\"aGk=\"\n}\n", "2:hi,2:hi,");
    EXPECT(c, "\r\n\"crlf\"\r\n\"lines\"\r\n", "4:crlf,5:lines,");
    /* after a string, whitespace must come (the splitter's rule) */
    EXPECT(c, "\"a\"\"b\"", harness_err("1:a,", EBADMSG, 3));
    EXPECT(c, "\"a\"{\"base64\":\"\"}", harness_err("1:a,", EBADMSG, 3));
    aeh_codec_free(c);
}
END_TEST

START_TEST(not_records)
{
    aeh_codec *c = jstr(0);
    /* refused at the text's first byte: scalars and arrays at once */
    EXPECT(c, "1", BAD(0));
    EXPECT(c, "  42\n", BAD(2));
    EXPECT(c, "-1", BAD(0));
    EXPECT(c, "true", BAD(0));
    EXPECT(c, "null\n", BAD(0));
    EXPECT(c, "[\"a\"]", BAD(0));
    EXPECT(c, "[]", BAD(0));
    EXPECT(c, "[", BAD(0));
    EXPECT(c, "x", BAD(0));
    EXPECT(c, "\"ok\"\n[1]", harness_err("2:ok,", EBADMSG, 5));
    EXPECT(c, "\"ok\" 12345678901234567890", harness_err("2:ok,", EBADMSG, 5));
    /* objects, once whole */
    EXPECT(c, "{}", BAD(0));
    EXPECT(c, "{\"b64\":\"aGk=\"}", BAD(0));
    EXPECT(c, "{\"base\":\"\"}", BAD(0));
    EXPECT(c, "{\"base64x\":\"\"}", BAD(0));
    EXPECT(c, "{\"BASE64\":\"\"}", BAD(0));
    EXPECT(c, "{\"\":\"\"}", BAD(0));
    EXPECT(c, "{\"base64\":\"aGk=\",\"x\":1}", BAD(0));
    EXPECT(c, "{\"x\":1,\"base64\":\"aGk=\"}", BAD(0));
    EXPECT(c, "{\"base64\":\"\",\"base64\":\"\"}", BAD(0));
    EXPECT(c, "{\"base64\":1}", BAD(0));
    EXPECT(c, "{\"base64\":null}", BAD(0));
    EXPECT(c, "{\"base64\":[\"aGk=\"]}", BAD(0));
    EXPECT(c, "{\"base64\":{\"base64\":\"\"}}", BAD(0));
    /* the shape is judged before the base64 */
    EXPECT(c, "{\"base64\":\"!!\",\"x\":\"\"}", BAD(0));
    EXPECT(c, "\"a\"\n{\"b\":\"\"}", harness_err("1:a,", EBADMSG, 4));
    EXPECT(c, "{\"base64\":\"YQ==\"} { \"data\" : \"YQ==\" }", harness_err("1:a,", EBADMSG, 18));
    /* invalid JSON inside an object: the splitter's error, where it is */
    EXPECT(c, "{\"base64\":\"aGk=\",}", BAD(17));
    EXPECT(c, "{\"base64\" \"aGk=\"}", BAD(10));
    aeh_codec_free(c);
}
END_TEST

START_TEST(bad_base64)
{
    aeh_codec *c = jstr(0);
    /* the value starts at offset 11: {"base64":" */
    EXPECT(c, "{\"base64\":\"aG!k\"}", BAD(13));
    EXPECT(c, "{\"base64\":\"aG k=\"}", BAD(13));
    EXPECT(c, "{\"base64\":\"aGk\"}", BAD(14));           /* at the closing quote */
    EXPECT(c, "{\"base64\":\"aGk=a\"}", BAD(15));
    EXPECT(c, "{\"base64\":\"aGk=aGk=\"}", BAD(15));
    EXPECT(c, "{\"base64\":\"=\"}", BAD(11));
    EXPECT(c, "{\"base64\":\"a===\"}", BAD(12));
    EXPECT(c, "{\"base64\":\"aA=k\"}", BAD(14));
    EXPECT(c, "{\"base64\":\"aGl=\"}", BAD(13));           /* non-zero bits: at the 'l' */
    EXPECT(c, "{\"base64\":\"aG\\u006c=\"}", BAD(13));     /* ... escaped */
    EXPECT(c, "{\"base64\":\"YR==\"}", BAD(12));
    EXPECT(c, "{\"base64\":\"\\u00e9\"}", BAD(11));
    EXPECT(c, "{\"base64\":\"\xc3\xa9\"}", BAD(11));
    EXPECT(c, "{\"base64\":\"aGk=\\n\"}", BAD(15));
    EXPECT(c, "{\"base64\":\"aGk=\"}\n{\"base64\":\"-_8=\"}",
           harness_err("2:hi,", EBADMSG, 29));                   /* base64url is not base64 */
    aeh_codec_free(c);
}
END_TEST

START_TEST(truncated_at_eof)
{
    aeh_codec *c = jstr(0);
    EXPECT(c, "\"abc", BAD(4));
    EXPECT(c, "\"", BAD(1));
    EXPECT(c, "\"a\\", BAD(3));
    EXPECT(c, "\"\\ud83d", BAD(7));
    EXPECT(c, "{", BAD(1));
    EXPECT(c, "{\"base64\":", BAD(10));
    EXPECT(c, "{\"base64\":\"aGk=", BAD(15));
    EXPECT(c, "{\"base64\":\"aGk=\"", BAD(16));
    EXPECT(c, "\"a\"\n\"b", harness_err("1:a,", EBADMSG, 6));
    aeh_codec_free(c);
}
END_TEST

static const char *first_error_msg(const aeh_codec *c, const char *in)
{
    static char msg[200];
    harness_out o;
    harness_decode(c, in, strlen(in), &o);
    ck_assert_int_ne(o.error, 0);
    snprintf(msg, sizeof msg, "%s", o.msg);
    harness_out_free(&o);
    return msg;
}

START_TEST(messages)
{
    aeh_codec *c = jstr(0);
    static const struct { const char *in, *msg; } m[] = {
        { "1", "json-strings: expected a JSON string or {\"base64\": ...}" },
        { "{\"x\":\"\"}", "json-strings: expected a JSON string or {\"base64\": ...}" },
        { "{\"base64\":\"a!\"}", "json-strings: not a base64 character" },
        { "{\"base64\":\"aGk\"}", "json-strings: base64 length is not a multiple of 4" },
        { "{\"base64\":\"aGl=\"}", "json-strings: non-zero bits before '=' padding" },
        { "\"ab", "json-strings: truncated frame: stream ended after 3 bytes" },
        { "\"\xc0\x80\"", "json-strings: invalid UTF-8 in string" },
    };
    for (size_t k = 0; k < sizeof m / sizeof m[0]; k++)
        ck_assert_str_eq(first_error_msg(c, m[k].in), m[k].msg);
    c->max_frame = 3;
    ck_assert_str_eq(first_error_msg(c, "\"abcd\""), "json-strings: frame longer than 3 bytes");
    char big[120];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = 0;
    big[0] = '{';
    ck_assert_str_eq(first_error_msg(c, big),
                     "json-strings: JSON text longer than 88 bytes, "
                     "more than a frame of 3 bytes needs");
    aeh_codec_free(c);
}
END_TEST

/* A string text of n 'x' characters, quoted, with or without the closing
 * quote. */
static char *x_string(size_t n, bool closed)
{
    char *s = malloc(n + 3);
    ck_assert_ptr_nonnull(s);
    s[0] = '"';
    memset(s + 1, 'x', n);
    s[n + 1] = closed ? '"' : 0;
    s[n + 2] = 0;
    return s;
}

START_TEST(max_frame)
{
    aeh_codec *c = jstr(3);
    EXPECT(c, "\"abc\"", "3:abc,");
    EXPECT(c, "\"abcd\"", harness_err("", ENOSPC, 4));
    EXPECT(c, "\"ab\" \"abcd\"", harness_err("2:ab,", ENOSPC, 9));
    EXPECT(c, "\"\\u0001\\u0002\\u0003\"", "3:\x01\x02\x03,");
    /* an escape's bytes come at its last character */
    EXPECT(c, "\"ab\\u00e9\"", harness_err("", ENOSPC, 8));
    EXPECT(c, "\"abc\\n\"", harness_err("", ENOSPC, 5));
    EXPECT(c, "\"\\ud83d\\ude00\"", harness_err("", ENOSPC, 12));
    /* base64: at the character completing the fourth byte */
    EXPECT(c, "{\"base64\":\"YWJj\"}", "3:abc,");
    EXPECT(c, "{\"base64\":\"YWJjZA==\"}", harness_err("", ENOSPC, 16));
    EXPECT(c, "{\"base64\":\"YWI=\"}\"ab\"", "2:ab,2:ab,");
    /* the text limit, 8 * 3 + 64 = 88 bytes: a shorter text is judged by
     * its frame, a longer one at byte 88, even before it ends */
    char *s = x_string(50, true);
    HARNESS_EXPECT(c, s, strlen(s), harness_err("", ENOSPC, 4));
    free(s);
    s = x_string(100, true);
    HARNESS_EXPECT(c, s, strlen(s), harness_err("", ENOSPC, 88));
    free(s);
    s = x_string(100, false);
    HARNESS_EXPECT(c, s, strlen(s), harness_err("", ENOSPC, 88));
    free(s);
    /* the longest encodings of a 3-byte frame fit in the text limit */
    EXPECT(c, "{\"\\u0062\\u0061\\u0073\\u0065\\u0036\\u0034\":"
              "\"\\u0059\\u0057\\u004a\\u006a\"}", "3:abc,");
    aeh_codec_free(c);
    c = jstr(4);
    EXPECT(c, "\"\\ud83d\\ude00\"", "4:\xf0\x9f\x98\x80,");
    aeh_codec_free(c);
}
END_TEST

/* -------------------------------------------------------------- encoder */

static void encode_is_n(const aeh_codec *c, const void *in, size_t n, const char *want)
{
    aeh_buf out = { 0 };
    aeh_error e;
    ck_assert_msg(harness_encode(c, in, n, &out, &e) == 0, "%s", e.msg);
    ck_assert_msg(harness_buf_is(&out, want, strlen(want)), "want %s got %.*s", want,
                  (int)aeh_buf_len(&out), (const char *)aeh_buf_data(&out));
    aeh_buf_free(&out);
}

static void encode_is(const aeh_codec *c, const char *in, const char *want)
{
    encode_is_n(c, in, strlen(in), want);
}

START_TEST(encoder_strings)
{
    aeh_codec *c = jstr(0);
    encode_is(c, "hello", "\"hello\"\n");
    encode_is(c, "", "\"\"\n");
    encode_is(c, "a\"b\\c/d", "\"a\\\"b\\\\c/d\"\n");
    encode_is(c, "{\"base64\":\"aGk=\"}", "\"{\\\"base64\\\":\\\"aGk=\\\"}\"\n");
    encode_is_n(c, "a\0b", 3, "\"a\\u0000b\"\n");
    /* every control character, DEL, and the first printable byte */
    uint8_t ctl[34];
    for (int k = 0; k < 32; k++)
        ctl[k] = (uint8_t)k;
    ctl[32] = 0x7f;
    ctl[33] = ' ';
    encode_is_n(c, ctl, sizeof ctl,
                "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b"
                "\\f\\r\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
                "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\\u007f \"\n");
    /* non-ASCII UTF-8 as it is, at each length boundary */
    static const char *const utf8[] = {
        "\xc2\x80",                   /* U+0080 */
        "\xdf\xbf",                   /* U+07FF */
        "\xe0\xa0\x80",               /* U+0800 */
        "\xed\x9f\xbf",               /* U+D7FF, before the surrogates */
        "\xee\x80\x80",               /* U+E000, after them */
        "\xef\xbf\xbf",               /* U+FFFF */
        "\xf0\x90\x80\x80",           /* U+10000 */
        "\xf4\x8f\xbf\xbf",           /* U+10FFFF */
        "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
    };
    for (size_t k = 0; k < sizeof utf8 / sizeof utf8[0]; k++) {
        char want[64];
        snprintf(want, sizeof want, "\"%s\"\n", utf8[k]);
        encode_is(c, utf8[k], want);
    }
    aeh_codec_free(c);
}
END_TEST

START_TEST(encoder_base64)
{
    aeh_codec *c = jstr(0);
    static const struct { const char *in, *want; } m[] = {
        { "\xc0\x80", "{\"base64\":\"wIA=\"}\n" },            /* overlong NUL */
        { "\xc1\xbf", "{\"base64\":\"wb8=\"}\n" },            /* overlong */
        { "\xe0\x9f\xbf", "{\"base64\":\"4J+/\"}\n" },        /* overlong */
        { "\xf0\x8f\xbf\xbf", "{\"base64\":\"8I+/vw==\"}\n" },/* overlong */
        { "\xed\xa0\x80", "{\"base64\":\"7aCA\"}\n" },        /* U+D800 */
        { "\xed\xbf\xbf", "{\"base64\":\"7b+/\"}\n" },        /* U+DFFF */
        { "\xf4\x90\x80\x80", "{\"base64\":\"9JCAgA==\"}\n" },/* U+110000 */
        { "\xf5\x80\x80\x80", "{\"base64\":\"9YCAgA==\"}\n" },
        { "\x80", "{\"base64\":\"gA==\"}\n" },                /* lone continuation */
        { "\xff", "{\"base64\":\"/w==\"}\n" },
        { "\xc3", "{\"base64\":\"ww==\"}\n" },                /* cut character */
        { "ab\xe2\x82", "{\"base64\":\"YWLigg==\"}\n" },
    };
    for (size_t k = 0; k < sizeof m / sizeof m[0]; k++)
        encode_is(c, m[k].in, m[k].want);
    /* one bad byte makes the whole frame base64 */
    encode_is(c, "hello\xff", "{\"base64\":\"aGVsbG//\"}\n");
    /* the encoder appends */
    aeh_buf out = { 0 };
    aeh_error e;
    ck_assert_int_eq(c->encode(c, (const uint8_t *)"a", 1, &out, &e), 0);
    ck_assert_int_eq(c->encode(c, (const uint8_t *)"\xff", 1, &out, &e), 0);
    ck_assert_int_eq(c->encode(c, (const uint8_t *)"b", 1, &out, &e), 0);
    ck_assert(harness_buf_is(&out, "\"a\"\n{\"base64\":\"/w==\"}\n\"b\"\n", 26));
    aeh_buf_free(&out);
    aeh_codec_free(c);
}
END_TEST

START_TEST(encoder_max_frame)
{
    aeh_codec *c = jstr(3);
    encode_is(c, "abc", "\"abc\"\n");
    encode_is(c, "\n\n\n", "\"\\n\\n\\n\"\n");
    encode_is(c, "\xff\xff\xff", "{\"base64\":\"////\"}\n");
    aeh_buf out = { 0 };
    aeh_error e;
    ck_assert_int_eq(harness_encode(c, "abcd", 4, &out, &e), -1);
    ck_assert_int_eq(e.code, EMSGSIZE);
    ck_assert_uint_eq(aeh_buf_len(&out), 0);
    ck_assert_int_eq(harness_encode(c, "\xff\xff\xff\xff", 4, &out, &e), -1);
    ck_assert_int_eq(e.code, EMSGSIZE);
    ck_assert_uint_eq(aeh_buf_len(&out), 0);
    aeh_buf_free(&out);
    aeh_codec_free(c);
}
END_TEST

/* ---------------------------------------------------------- round trips */

START_TEST(round_trip_edges)
{
    aeh_codec *c = jstr(0);
    static const char *const frames[] = {
        "", "plain", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80",
        "\xf4\x8f\xbf\xbf", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x7f\x01\x1f\t",
        "\"\\/", "{\"base64\":\"\"}", "\xff\xfe", " ", "\n",
    };
    harness_roundtrip(c, frames, sizeof frames / sizeof frames[0]);
    aeh_codec_free(c);
}
END_TEST

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

/* A random frame of up to 300 bytes: binary, ASCII with controls, or
 * UTF-8 text (any scalar value), so that both forms are written. */
static size_t random_frame(uint8_t *p)
{
    size_t n = rng() % 301, m = 0;
    switch (rng() % 3) {
    case 0:
        for (; m < n; m++)
            p[m] = (uint8_t)rng();
        break;
    case 1:
        for (; m < n; m++)
            p[m] = (uint8_t)(rng() % 128);
        break;
    default:
        while (m + 4 <= n) {
            uint32_t cp = rng() % 4 == 0 ? rng() % 0x110000 : rng() % 0x800;
            if (cp >= 0xD800 && cp <= 0xDFFF)
                continue;
            uint8_t u[4];
            size_t k;
            if (cp < 0x80) {
                u[0] = (uint8_t)cp;
                k = 1;
            } else if (cp < 0x800) {
                u[0] = (uint8_t)(0xC0 | cp >> 6);
                u[1] = (uint8_t)(0x80 | (cp & 0x3F));
                k = 2;
            } else if (cp < 0x10000) {
                u[0] = (uint8_t)(0xE0 | cp >> 12);
                u[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
                u[2] = (uint8_t)(0x80 | (cp & 0x3F));
                k = 3;
            } else {
                u[0] = (uint8_t)(0xF0 | cp >> 18);
                u[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
                u[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
                u[3] = (uint8_t)(0x80 | (cp & 0x3F));
                k = 4;
            }
            memcpy(p + m, u, k);
            m += k;
        }
        break;
    }
    return m;
}

static void render_frame(aeh_buf *r, const uint8_t *p, size_t n)
{
    char num[32];
    int m = snprintf(num, sizeof num, "%zu:", n);
    aeh_buf_append(r, num, (size_t)m);
    aeh_buf_append(r, p, n);
    aeh_buf_append(r, ",", 1);
}

static void same_rendering(const harness_out *o, const aeh_buf *want, const char *how)
{
    ck_assert_msg(aeh_buf_len(&o->text) == aeh_buf_len(want) &&
                  memcmp(aeh_buf_data(&o->text), aeh_buf_data(want), aeh_buf_len(want)) == 0,
                  "%s: %d frames, error %d at %llu (%s)", how, o->frames, o->error,
                  (unsigned long long)o->error_offset, o->msg);
}

START_TEST(round_trip_random)
{
    /* max_frame at the longest frame: each encoding must read back under it */
    aeh_codec *c = jstr(300);
    aeh_buf wire = { 0 }, want = { 0 };
    uint8_t p[304];
    int strings = 0, records = 0;
    for (int k = 0; k < 1000; k++) {
        size_t n = random_frame(p);
        aeh_error e;
        size_t at = aeh_buf_len(&wire);
        ck_assert_int_eq(c->encode(c, p, n, &wire, &e), 0);
        if (aeh_buf_data(&wire)[at] == '"')
            strings++;
        else
            records++;
        /* each frame alone, at every split */
        aeh_buf one = { 0 };
        render_frame(&one, p, n);
        HARNESS_EXPECT_N(c, aeh_buf_data(&wire) + at, aeh_buf_len(&wire) - at,
                         (const char *)aeh_buf_data(&one), aeh_buf_len(&one));
        aeh_buf_free(&one);
        render_frame(&want, p, n);
    }
    ck_assert_int_gt(strings, 300);
    ck_assert_int_gt(records, 300);
    aeh_buf_append(&want, "", 1);
    /* the whole stream: at once, in 1-byte reads, and cut at random */
    const uint8_t *in = aeh_buf_data(&wire);
    size_t len = aeh_buf_len(&wire);
    harness_out o;
    harness_decode(c, in, len, &o);
    same_rendering(&o, &want, "whole");
    harness_out_free(&o);
    size_t *cuts = malloc(len * sizeof *cuts);
    ck_assert_ptr_nonnull(cuts);
    for (size_t k = 0; k + 1 < len; k++)
        cuts[k] = k + 1;
    harness_decode_cuts(c, in, len, cuts, len - 1, &o);
    same_rendering(&o, &want, "1-byte reads");
    harness_out_free(&o);
    for (int round = 0; round < 20; round++) {
        size_t ncuts = 0, at = 0;
        while (ncuts < len) {
            at += 1 + rng() % 700;
            if (at >= len)
                break;
            cuts[ncuts++] = at;
        }
        harness_decode_cuts(c, in, len, cuts, ncuts, &o);
        same_rendering(&o, &want, "random cuts");
        harness_out_free(&o);
    }
    free(cuts);
    aeh_buf_free(&wire);
    aeh_buf_free(&want);
    aeh_codec_free(c);
}
END_TEST

/* The longest encodings of a max_frame-byte frame (every byte \u00XX; or
 * base64) read back under the same limit. */
START_TEST(round_trip_at_max_frame)
{
    for (size_t max = 1; max <= 40; max++) {
        aeh_codec *c = jstr(max);
        uint8_t p[40];
        for (int kind = 0; kind < 2; kind++) {
            memset(p, kind ? 0xff : 0x01, max);
            aeh_buf wire = { 0 }, want = { 0 };
            aeh_error e;
            ck_assert_int_eq(c->encode(c, p, max, &wire, &e), 0);
            render_frame(&want, p, max);
            HARNESS_EXPECT_N(c, aeh_buf_data(&wire), aeh_buf_len(&wire),
                             (const char *)aeh_buf_data(&want), aeh_buf_len(&want));
            aeh_buf_free(&wire);
            aeh_buf_free(&want);
        }
        aeh_codec_free(c);
    }
}
END_TEST

/* ----------------------------------------------------------- linear work
 * memchr is defined here, so the decoder (linked statically) calls this
 * one: it counts the bytes the string conversion examines (up to the match:
 * the conversion asks for the rest of the text each time and relies on
 * memchr stopping there).  A decoder that converted the text so far on
 * every call, instead of once when the splitter has it whole, would
 * examine O(n^2) bytes. */

static size_t searched;

void *memchr(const void *s, int ch, size_t n)
{
    const volatile unsigned char *p = s;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == (unsigned char)ch) {
            searched += i + 1;
            return (void *)(uintptr_t)(p + i);
        }
    }
    searched += n;
    return NULL;
}

/* Decodes in[0, n) in 1-byte reads; one frame of frame_len bytes must come
 * out.  Returns the bytes memchr searched; the CPU time in *secs. */
static size_t one_byte_work(const aeh_codec *c, const uint8_t *in, size_t n, size_t frame_len,
                            double *secs)
{
    size_t *cuts = malloc(n * sizeof *cuts);
    ck_assert_ptr_nonnull(cuts);
    for (size_t k = 0; k + 1 < n; k++)
        cuts[k] = k + 1;
    harness_out o;
    searched = 0;
    clock_t t0 = clock();
    harness_decode_cuts(c, in, n, cuts, n - 1, &o);
    *secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    ck_assert_int_eq(o.error, 0);
    ck_assert_int_eq(o.frames, 1);
    ck_assert_uint_le(o.calls, n + 3);  /* a call per read, + the frame, its "\n", EOF */
    char head[32];
    int m = snprintf(head, sizeof head, "%zu:", frame_len);
    ck_assert_int_eq(strncmp(harness_text(&o), head, (size_t)m), 0);
    harness_out_free(&o);
    free(cuts);
    return searched;
}

START_TEST(megabyte_text_in_one_byte_reads_is_linear)
{
    const size_t n = 1 << 20;
    aeh_codec *c = jstr(0);
    /* a string with an escape every 1000 bytes */
    uint8_t *s = malloc(n);
    ck_assert_ptr_nonnull(s);
    memset(s, 'x', n);
    s[0] = '"';
    s[n - 2] = '"';
    s[n - 1] = '\n';
    size_t escapes = 0;
    for (size_t k = 1000; k + 2 < n - 2; k += 1000, escapes++)
        memcpy(s + k, "\\n", 2);
    double secs;
    size_t work = one_byte_work(c, s, n, n - 3 - escapes, &secs);
    ck_assert_uint_le(work, 2 * n);
    ck_assert_uint_ge(work, n / 2);   /* the measure does see the conversion */
    /* a quadratic decoder would take hours; linear, well under a second
     * (generous for sanitizer builds) */
    ck_assert_msg(secs < 10, "%.1f s", secs);
    /* a base64 record of 3/4 MB */
    static const char head[] = "{\"base64\":\"", tail[] = "\"}\n";
    memcpy(s, head, sizeof head - 1);
    memset(s + sizeof head - 1, 'A', n - (sizeof head - 1));
    size_t chars = (n - (sizeof head - 1) - (sizeof tail - 1)) / 4 * 4;
    memcpy(s + sizeof head - 1 + chars, tail, sizeof tail - 1);
    size_t len = sizeof head - 1 + chars + sizeof tail - 1;
    one_byte_work(c, s, len, chars / 4 * 3, &secs);
    ck_assert_msg(secs < 10, "%.1f s", secs);
    free(s);
    aeh_codec_free(c);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("frame_jsonstr");
    TCase *t = tcase_create("json-strings");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, string_texts);
    tcase_add_test(t, string_escapes);
    tcase_add_test(t, non_ascii);
    tcase_add_test(t, base64_records);
    tcase_add_test(t, whitespace_and_pretty_printing);
    tcase_add_test(t, not_records);
    tcase_add_test(t, bad_base64);
    tcase_add_test(t, truncated_at_eof);
    tcase_add_test(t, messages);
    tcase_add_test(t, max_frame);
    tcase_add_test(t, encoder_strings);
    tcase_add_test(t, encoder_base64);
    tcase_add_test(t, encoder_max_frame);
    tcase_add_test(t, round_trip_edges);
    tcase_add_test(t, round_trip_random);
    tcase_add_test(t, round_trip_at_max_frame);
    tcase_add_test(t, megabyte_text_in_one_byte_reads_is_linear);
    suite_add_tcase(s, t);
    return s;
}

UNIT_MAIN(make_suite)
