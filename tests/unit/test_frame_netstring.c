/* SPDX-License-Identifier: MIT */
/* The netstring codec: frames at every split, every malformed byte at its
 * offset, the length bounded by max_frame before the payload, encoding. */
#include "codec_harness.h"

#define S(lit) (lit), sizeof(lit) - 1
/* A string literal (NULs allowed) decodes to want at every split. */
#define EXPECT(codec, lit, want) HARNESS_EXPECT(codec, lit, sizeof(lit) - 1, want)

static aeh_codec *netstring(size_t max)
{
    aeh_error e;
    aeh_codec *c = aeh_codec_netstring(&e);
    ck_assert_ptr_nonnull(c);
    c->max_frame = max;
    return c;
}

START_TEST(decodes_frames)
{
    aeh_codec *c = netstring(0);
    EXPECT(c, "5:hello,0:,3:a,b,", "5:hello,0:,3:a,b,");
    EXPECT(c, "12:hello world!,", "12:hello world!,");
    EXPECT(c, "", "");
    aeh_codec_free(c);
}
END_TEST

START_TEST(malformed_at_the_bad_byte)
{
    aeh_codec *c = netstring(0);
    EXPECT(c, ":abc,", harness_err("", EBADMSG, 0));
    EXPECT(c, "x:", harness_err("", EBADMSG, 0));
    EXPECT(c, "3x:abc,", harness_err("", EBADMSG, 1));
    EXPECT(c, "01:a,", harness_err("", EBADMSG, 1));
    EXPECT(c, "00:,", harness_err("", EBADMSG, 1));
    EXPECT(c, "1:a,3:abc;", harness_err("1:a,", EBADMSG, 9));
    EXPECT(c, "3:abcd,", harness_err("", EBADMSG, 5));
    EXPECT(c, "-1:a,", harness_err("", EBADMSG, 0));
    EXPECT(c, " 1:a,", harness_err("", EBADMSG, 0));
    aeh_codec_free(c);
}
END_TEST

START_TEST(truncated_at_the_end)
{
    aeh_codec *c = netstring(0);
    EXPECT(c, "1:a,12", harness_err("1:a,", EBADMSG, 6));
    EXPECT(c, "5:", harness_err("", EBADMSG, 2));
    EXPECT(c, "5:hello", harness_err("", EBADMSG, 7));
    aeh_codec_free(c);
}
END_TEST

START_TEST(length_over_max_frame_before_payload)
{
    aeh_codec *c = netstring(10);
    EXPECT(c, "10:0123456789,", "10:0123456789,");
    EXPECT(c, "11:", harness_err("", ENOSPC, 1));
    EXPECT(c, "2:ab,99", harness_err("2:ab,", ENOSPC, 6));
    EXPECT(c, "100000000000000000000000000", harness_err("", ENOSPC, 2));
    c->max_frame = 1;
    /* A first digit over a one-digit limit: no unsigned wrap-around. */
    EXPECT(c, "5:hello,", harness_err("", ENOSPC, 0));
    EXPECT(c, "1:h,", "1:h,");
    c->max_frame = 0;
    /* Without a limit the digits stop where a size_t would overflow. */
    char digits[64];
    memset(digits, '9', sizeof digits);
    harness_out o;
    harness_decode(c, digits, sizeof digits, &o);
    ck_assert_int_eq(o.error, ENOSPC);
    ck_assert_uint_le(o.error_offset, 20);
    ck_assert_uint_ge(o.error_offset, 9);
    harness_out_free(&o);
    aeh_codec_free(c);
}
END_TEST

START_TEST(encoder)
{
    aeh_buf out = { 0 };
    aeh_error e;
    aeh_codec *c = netstring(0);
    ck_assert_int_eq(harness_encode(c, S("hello"), &out, &e), 0);
    ck_assert(harness_buf_is(&out, S("5:hello,")));
    ck_assert_int_eq(harness_encode(c, S(""), &out, &e), 0);
    ck_assert(harness_buf_is(&out, S("0:,")));
    c->max_frame = 4;
    ck_assert_int_eq(harness_encode(c, S("hello"), &out, &e), -1);
    ck_assert_int_eq(e.code, EMSGSIZE);
    c->max_frame = 0;
    static const char *const frames[] = { "hello", "", ",:", "0123456789", "x" };
    harness_roundtrip(c, frames, 5);
    aeh_codec_free(c);
    aeh_buf_free(&out);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("frame_netstring");
    TCase *t = tcase_create("netstring");
    tcase_add_test(t, decodes_frames);
    tcase_add_test(t, malformed_at_the_bad_byte);
    tcase_add_test(t, truncated_at_the_end);
    tcase_add_test(t, length_over_max_frame_before_payload);
    tcase_add_test(t, encoder);
    suite_add_tcase(s, t);
    return s;
}

UNIT_MAIN(make_suite)
