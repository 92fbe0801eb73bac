/* SPDX-License-Identifier: MIT */
/* The smtp codec: one frame per whole reply (single-line, multi-line, FTP's
 * free-text lines, bare LF), at every split; the errors at their byte (not
 * a reply line, a code that changes, truncated, over max_frame); the
 * encoder's CRLF command lines. */
#include "codec_harness.h"

#define EXPECT(codec, lit, want) HARNESS_EXPECT(codec, lit, sizeof(lit) - 1, want)

static aeh_codec *smtp(void)
{
    aeh_error e;
    aeh_codec *c = aeh_codec_parse("smtp", &e);
    ck_assert_msg(c != NULL, "%s", e.msg);
    ck_assert_int_eq(c->kind, AEH_CODEC_KIND_SMTP);
    return c;
}

START_TEST(whole_replies)
{
    aeh_codec *c = smtp();
    EXPECT(c, "220 mail.example ESMTP ready\r\n", "30:220 mail.example ESMTP ready\r\n,");
    EXPECT(c, "250-mail.example\r\n250-SIZE 52428800\r\n250 HELP\r\n",
           "47:250-mail.example\r\n250-SIZE 52428800\r\n250 HELP\r\n,");
    EXPECT(c, "250\r\n221 bye\n", "5:250\r\n,8:221 bye\n,");
    EXPECT(c, "211-Features:\r\n EPRT\r\n UTF8\r\n211 End\r\n",
           "38:211-Features:\r\n EPRT\r\n UTF8\r\n211 End\r\n,");
    /* FTP: a text line may even start with digits (RFC 959 pads them) */
    EXPECT(c, "150-x\r\n123x\r\n150 y\r\n", "20:150-x\r\n123x\r\n150 y\r\n,");
    EXPECT(c, "354 go\r\n250 2.0.0 Ok: queued\r\n", "8:354 go\r\n,22:250 2.0.0 Ok: queued\r\n,");
    aeh_codec_free(c);
}
END_TEST

START_TEST(errors_at_their_byte)
{
    aeh_codec *c = smtp();
    EXPECT(c, "hello\r\n", harness_err("", EBADMSG, 0));
    EXPECT(c, "2x0 a\r\n", harness_err("", EBADMSG, 1));
    EXPECT(c, "600 no\r\n", harness_err("", EBADMSG, 0));
    EXPECT(c, "250x\r\n", harness_err("", EBADMSG, 3));
    EXPECT(c, "25\r\n", harness_err("", EBADMSG, 2));
    EXPECT(c, "\r\n", harness_err("", EBADMSG, 0));
    EXPECT(c, "250\rX\n", harness_err("", EBADMSG, 3));
    EXPECT(c, "220 hi\r\n250-a\r\n251 b\r\n", harness_err("8:220 hi\r\n,", EBADMSG, 15));
    EXPECT(c, "250-a\r\n250-b", harness_err("", EBADMSG, 12));
    EXPECT(c, "250 ok", harness_err("", EBADMSG, 6));
    c->max_frame = 10;
    EXPECT(c, "250 ok\r\n", "8:250 ok\r\n,");
    EXPECT(c, "250 okays\r\n", harness_err("", ENOSPC, 10));
    EXPECT(c, "250-a\r\n250 bbbbbbbb\r\n", harness_err("", ENOSPC, 10));
    aeh_codec_free(c);
}
END_TEST

START_TEST(encoder_writes_crlf_command_lines)
{
    aeh_codec *c = smtp();
    aeh_buf out = { 0 };
    aeh_error e;
    ck_assert_int_eq(harness_encode(c, "EHLO x", 6, &out, &e), 0);
    ck_assert(harness_buf_is(&out, "EHLO x\r\n", 8));
    ck_assert_int_eq(harness_encode(c, "a\rb", 3, &out, &e), -1);
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_uint_eq(e.offset, 1);
    ck_assert_int_eq(harness_encode(c, "QUIT\n", 5, &out, &e), -1);
    ck_assert_uint_eq(e.offset, 4);
    aeh_codec_free(c);
    aeh_buf_free(&out);
    ck_assert_ptr_null(aeh_codec_parse("smtp:1", &e));
    ck_assert_int_eq(e.code, EINVAL);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("frame_smtp");
    TCase *t = tcase_create("smtp");
    tcase_add_test(t, whole_replies);
    tcase_add_test(t, errors_at_their_byte);
    tcase_add_test(t, encoder_writes_crlf_command_lines);
    suite_add_tcase(s, t);
    return s;
}

UNIT_MAIN(make_suite)
