/* SPDX-License-Identifier: MIT */
/* hexlines, base64lines and crlf: lines decoded at every split, each bad
 * character at its offset, limits, EOF rules, encoders and round trips, and
 * crlf never doubling a "\r\n", even across frames. */
#include "codec_harness.h"

#define S(lit) (lit), sizeof(lit) - 1
/* A string literal (NULs allowed) decodes to want at every split. */
#define EXPECT(codec, lit, want) HARNESS_EXPECT(codec, lit, sizeof(lit) - 1, want)

static aeh_codec *make(aeh_codec *(*ctor)(aeh_error *), size_t max, unsigned flags)
{
    aeh_error e;
    aeh_codec *c = ctor(&e);
    ck_assert_ptr_nonnull(c);
    c->max_frame = max;
    c->flags = flags;
    return c;
}

static void expect_encoding(const aeh_codec *c, const char *in, size_t n, const char *want)
{
    aeh_buf out = { 0 };
    aeh_error e;
    ck_assert_int_eq(harness_encode(c, in, n, &out, &e), 0);
    ck_assert_msg(harness_buf_is(&out, want, strlen(want)), "%s: encoded %.*s, want %s",
                  c->name, (int)aeh_buf_len(&out), (const char *)aeh_buf_data(&out), want);
    aeh_buf_free(&out);
}

static const char *const text_frames[] = { "Hello", "", "\r\n", "\x01\x7f\x80\xff", "ab", "abc" };

/* ------------------------------------------------------------------ hex */

START_TEST(hex_lines)
{
    aeh_codec *c = make(aeh_codec_hexlines, 0, 0);
    EXPECT(c, "48656c6c6f\n4A4b\r\n\n", "5:Hello,2:JK,0:,");
    EXPECT(c, "", "");
    aeh_codec_free(c);
}
END_TEST

START_TEST(hex_malformed)
{
    aeh_codec *c = make(aeh_codec_hexlines, 0, 0);
    EXPECT(c, "41\n414\r\n", harness_err("1:A,", EBADMSG, 6));
    EXPECT(c, "abc\n", harness_err("", EBADMSG, 3));
    EXPECT(c, "4g\n", harness_err("", EBADMSG, 1));
    EXPECT(c, " 41\n", harness_err("", EBADMSG, 0));
    EXPECT(c, "41\rx\n", harness_err("", EBADMSG, 2));
    EXPECT(c, "41", harness_err("", EBADMSG, 2));
    EXPECT(c, "41\r", harness_err("", EBADMSG, 2));
    aeh_codec_free(c);
}
END_TEST

START_TEST(hex_partial_at_eof_and_limit)
{
    aeh_codec *c = make(aeh_codec_hexlines, 0, AEH_CODEC_PARTIAL_AT_EOF);
    EXPECT(c, "41\n42", "1:A,1:B,");
    EXPECT(c, "414", harness_err("", EBADMSG, 3));
    EXPECT(c, "41\r", harness_err("", EBADMSG, 2));
    c->max_frame = 2;
    EXPECT(c, "4142\n414243\n", harness_err("2:AB,", ENOSPC, 10));
    EXPECT(c, "41424", harness_err("", EBADMSG, 5));
    EXPECT(c, "414243", harness_err("", ENOSPC, 5));
    aeh_codec_free(c);
}
END_TEST

START_TEST(hex_encoder)
{
    aeh_codec *c = make(aeh_codec_hexlines, 0, 0);
    expect_encoding(c, S("Hi\0\xff"), "486900ff\n");
    expect_encoding(c, S(""), "\n");
    harness_roundtrip(c, text_frames, 6);
    c->max_frame = 1;
    aeh_buf out = { 0 };
    aeh_error e;
    ck_assert_int_eq(harness_encode(c, S("ab"), &out, &e), -1);
    ck_assert_int_eq(e.code, EMSGSIZE);
    aeh_buf_free(&out);
    aeh_codec_free(c);
}
END_TEST

/* ------------------------------------------------------------------ base64 */

START_TEST(base64_lines)
{
    aeh_codec *c = make(aeh_codec_base64lines, 0, 0);
    EXPECT(c, "aGVsbG8=\naGk=\r\naGVs\n\n+/+/\n", "5:hello,2:hi,3:hel,0:,3:\xfb\xff\xbf,");
    aeh_codec_free(c);
}
END_TEST

START_TEST(base64_malformed)
{
    aeh_codec *c = make(aeh_codec_base64lines, 0, 0);
    EXPECT(c, "aG.s\n", harness_err("", EBADMSG, 2));
    EXPECT(c, "aG-s\n", harness_err("", EBADMSG, 2));
    EXPECT(c, "=aaa\n", harness_err("", EBADMSG, 0));
    EXPECT(c, "a=aa\n", harness_err("", EBADMSG, 1));
    EXPECT(c, "aA=a\n", harness_err("", EBADMSG, 3));
    EXPECT(c, "aG=a\n", harness_err("", EBADMSG, 1));
    EXPECT(c, "aGk=aGk=\n", harness_err("", EBADMSG, 4));
    EXPECT(c, "aGk\n", harness_err("", EBADMSG, 3));
    EXPECT(c, "aGk=\naGVsb\r\n", harness_err("2:hi,", EBADMSG, 10));
    EXPECT(c, "aGl=\n", harness_err("", EBADMSG, 2));
    EXPECT(c, "aB==\n", harness_err("", EBADMSG, 1));
    EXPECT(c, "aGk=\rx", harness_err("", EBADMSG, 4));
    EXPECT(c, "aGk=", harness_err("", EBADMSG, 4));
    aeh_codec_free(c);
}
END_TEST

START_TEST(base64_partial_at_eof_and_limit)
{
    aeh_codec *c = make(aeh_codec_base64lines, 0, AEH_CODEC_PARTIAL_AT_EOF);
    EXPECT(c, "aGk=\naGVs", "2:hi,3:hel,");
    EXPECT(c, "aGk", harness_err("", EBADMSG, 3));
    c->max_frame = 4;
    EXPECT(c, "aGVsbA==\naGVsbG8=\n", harness_err("4:hell,", ENOSPC, 15));
    EXPECT(c, "aGVsbG8=", harness_err("", ENOSPC, 6));
    aeh_codec_free(c);
}
END_TEST

START_TEST(crlf_lines_and_partial_last_line)
{
    /* stdin hex and base64 records, as aecat reads them: "\r\n" ends like
     * "\n", and the last line needs no end unless strict */
    aeh_codec *c = make(aeh_codec_hexlines, 0, AEH_CODEC_PARTIAL_AT_EOF);
    EXPECT(c, "41\r\n\r\n4243", "1:A,0:,2:BC,");
    c->flags = 0;
    EXPECT(c, "41\r\n4243", harness_err("1:A,", EBADMSG, 8));
    aeh_codec_free(c);
    c = make(aeh_codec_base64lines, 0, AEH_CODEC_PARTIAL_AT_EOF);
    EXPECT(c, "aGk=\r\naGVs", "2:hi,3:hel,");
    c->flags = 0;
    EXPECT(c, "aGk=\r\naGVs", harness_err("2:hi,", EBADMSG, 10));
    aeh_codec_free(c);
}
END_TEST

START_TEST(base64_encoder)
{
    aeh_codec *c = make(aeh_codec_base64lines, 0, 0);
    expect_encoding(c, S(""), "\n");
    expect_encoding(c, S("h"), "aA==\n");
    expect_encoding(c, S("hi"), "aGk=\n");
    expect_encoding(c, S("hel"), "aGVs\n");
    expect_encoding(c, S("\xfb\xff\xbf"), "+/+/\n");
    harness_roundtrip(c, text_frames, 6);
    aeh_codec_free(c);
}
END_TEST

/* ------------------------------------------------------------------ crlf */

/* Encodes frames[0, n) in order with one codec and compares the stream. */
static void expect_crlf(const char *const *frames, size_t n, const char *want)
{
    aeh_error e;
    aeh_codec *c = aeh_codec_crlf(&e);
    ck_assert_ptr_nonnull(c);
    aeh_buf out = { 0 };
    for (size_t k = 0; k < n; k++)
        ck_assert_int_eq(c->encode(c, (const uint8_t *)frames[k], strlen(frames[k]), &out, &e), 0);
    ck_assert_msg(harness_buf_is(&out, want, strlen(want)), "crlf gave %.*s",
                  (int)aeh_buf_len(&out), (const char *)aeh_buf_data(&out));
    aeh_buf_free(&out);
    aeh_codec_free(c);
}

START_TEST(crlf_never_doubles)
{
    expect_crlf((const char *const[]){ "a\nb" }, 1, "a\r\nb");
    expect_crlf((const char *const[]){ "a\r\nb\n" }, 1, "a\r\nb\r\n");
    expect_crlf((const char *const[]){ "\n\n\r\n\r\r\n" }, 1, "\r\n\r\n\r\n\r\r\n");
    expect_crlf((const char *const[]){ "\n" }, 1, "\r\n");
    expect_crlf((const char *const[]){ "a\r", "\nb" }, 2, "a\r\nb");
    expect_crlf((const char *const[]){ "a\r", "", "\n" }, 3, "a\r\n");
    expect_crlf((const char *const[]){ "a", "\n" }, 2, "a\r\n");
    expect_crlf((const char *const[]){ "\r\n", "\n" }, 2, "\r\n\r\n");
    expect_crlf((const char *const[]){ "\r", "x", "\n" }, 3, "\rx\r\n");
}
END_TEST

START_TEST(crlf_decoder_is_raw)
{
    aeh_codec *c = make(aeh_codec_crlf, 0, 0);
    harness_out o;
    size_t cut = 3;
    harness_decode_cuts(c, (const uint8_t *)"a\r\nbc\n", 6, &cut, 1, &o);
    ck_assert_str_eq(harness_text(&o), "3:a\r\n,3:bc\n,");
    harness_out_free(&o);
    aeh_codec_free(c);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("frame_text");
    TCase *t = tcase_create("text");
    tcase_add_test(t, hex_lines);
    tcase_add_test(t, hex_malformed);
    tcase_add_test(t, hex_partial_at_eof_and_limit);
    tcase_add_test(t, crlf_lines_and_partial_last_line);
    tcase_add_test(t, hex_encoder);
    tcase_add_test(t, base64_lines);
    tcase_add_test(t, base64_malformed);
    tcase_add_test(t, base64_partial_at_eof_and_limit);
    tcase_add_test(t, base64_encoder);
    tcase_add_test(t, crlf_never_doubles);
    tcase_add_test(t, crlf_decoder_is_raw);
    suite_add_tcase(s, t);
    return s;
}

UNIT_MAIN(make_suite)
