/* SPDX-License-Identifier: MIT */
/* The packstring codec: every length format in both byte orders, encoded
 * then decoded at every split, the prefixes refused (negative, BER / varint
 * non-canonical or over 64 bits), lengths over max_frame before the payload,
 * EMSGSIZE when a frame does not fit its prefix, and bad formats. */
#include "codec_harness.h"

#define S(lit) (lit), sizeof(lit) - 1
/* A string literal (NULs allowed) decodes to want at every split. */
#define EXPECT(codec, lit, want) HARNESS_EXPECT(codec, lit, sizeof(lit) - 1, want)

static bool host_is_big_endian(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 0;
}

static aeh_codec *packstring(const char *fmt, size_t max)
{
    aeh_error e;
    aeh_codec *c = aeh_codec_packstring(fmt, &e);
    ck_assert_msg(c != NULL, "packstring '%s': %s", fmt, e.msg);
    c->max_frame = max;
    return c;
}

/* A format and the prefix it gives a 3-byte frame; order '=' native. */
typedef struct {
    const char *fmt;
    unsigned size;
    char order;                   /* '<' little, '>' big, '=' native */
} fixed_case;

static const fixed_case fixed_cases[] = {
    { "c", 1, '<' },    { "C", 1, '<' },
    { "s", 2, '=' },    { "s<", 2, '<' },   { "s>", 2, '>' },   { "S", 2, '=' },
    { "S<", 2, '<' },   { "S>", 2, '>' },   { "s!", sizeof(short), '=' },
    { "s!<", sizeof(short), '<' },          { "S>!", sizeof(short), '>' },
    { "l", 4, '=' },    { "l<", 4, '<' },   { "l>", 4, '>' },   { "L", 4, '=' },
    { "L<", 4, '<' },   { "L>", 4, '>' },   { "l!", sizeof(long), '=' },
    { "L!>", sizeof(long), '>' },           { "l<!", sizeof(long), '<' },
    { "q", 8, '=' },    { "q<", 8, '<' },   { "q>", 8, '>' },   { "Q", 8, '=' },
    { "Q<", 8, '<' },   { "Q>", 8, '>' },
    { "j", 8, '=' },    { "j<", 8, '<' },   { "j>", 8, '>' },   { "J", 8, '=' },
    { "J<", 8, '<' },   { "J>", 8, '>' },
    { "i", sizeof(int), '=' },              { "i<", sizeof(int), '<' },
    { "i>", sizeof(int), '>' },             { "I", sizeof(int), '=' },
    { "I<", sizeof(int), '<' },             { "I!>", sizeof(int), '>' },
    { "n", 2, '>' },    { "n!", 2, '>' },   { "N", 4, '>' },    { "N!", 4, '>' },
    { "v", 2, '<' },    { "v!", 2, '<' },   { "V", 4, '<' },    { "V!", 4, '<' },
};

static const char *const sample_frames[] = {
    "abc", "", "x",
    ("0123456789012345678901234567890123456789012345678901234567890123456789"
     "01234567890123456789012345678901234567890123456789"), /* 120: fits 'c' */
};

START_TEST(fixed_formats_encode_decode)
{
    const fixed_case *fc = &fixed_cases[_i];
    bool big = fc->order == '>' || (fc->order == '=' && host_is_big_endian());
    uint8_t want[16] = { 0 };
    want[big ? fc->size - 1 : 0] = 3;
    memcpy(want + fc->size, "abc", 3);
    aeh_codec *c = packstring(fc->fmt, 0);
    aeh_buf out = { 0 };
    aeh_error e;
    ck_assert_int_eq(harness_encode(c, S("abc"), &out, &e), 0);
    ck_assert_msg(harness_buf_is(&out, (const char *)want, fc->size + 3), "format %s", fc->fmt);
    HARNESS_EXPECT(c, want, fc->size + 3, "3:abc,");
    harness_roundtrip(c, sample_frames, 4);
    aeh_buf_free(&out);
    aeh_codec_free(c);
}
END_TEST

START_TEST(variable_formats_encode_decode)
{
    aeh_buf out = { 0 };
    aeh_error e;
    aeh_codec *c = packstring("w", 0);
    EXPECT(c, "\x03" "abc\x00\x01x", "3:abc,0:,1:x,");
    char big[300];
    memset(big, 'z', sizeof big);
    ck_assert_int_eq(harness_encode(c, big, sizeof big, &out, &e), 0);
    ck_assert_int_eq(aeh_buf_data(&out)[0], 0x82);
    ck_assert_int_eq(aeh_buf_data(&out)[1], 0x2c);
    ck_assert_uint_eq(aeh_buf_len(&out), 302);
    harness_roundtrip(c, sample_frames, 4);
    aeh_codec_free(c);

    c = packstring("varint", 0);
    EXPECT(c, "\x03" "abc\x00\x01x", "3:abc,0:,1:x,");
    ck_assert_int_eq(harness_encode(c, big, sizeof big, &out, &e), 0);
    ck_assert_int_eq(aeh_buf_data(&out)[0], 0xac);
    ck_assert_int_eq(aeh_buf_data(&out)[1], 0x02);
    harness_roundtrip(c, sample_frames, 4);
    aeh_codec_free(c);

    c = packstring("grpc", 0);
    ck_assert_int_eq(harness_encode(c, S("abc"), &out, &e), 0);
    ck_assert(harness_buf_is(&out, S("\0\0\0\0\x03" "abc")));
    EXPECT(c, "\x01\0\0\0\x02zz\0\0\0\0\0", "2:zz,0:,");
    harness_roundtrip(c, sample_frames, 4);
    aeh_codec_free(c);
    aeh_buf_free(&out);
}
END_TEST

START_TEST(negative_lengths_are_malformed)
{
    aeh_codec *c = packstring("c", 0);
    EXPECT(c, "\x01x\xff", harness_err("1:x,", EBADMSG, 2));
    aeh_codec_free(c);
    c = packstring("n!", 0);
    EXPECT(c, "\xff\xfe", harness_err("", EBADMSG, 0));
    aeh_codec_free(c);
    c = packstring("l>", 0);
    EXPECT(c, "\x80\0\0\0", harness_err("", EBADMSG, 0));
    aeh_codec_free(c);
    c = packstring("q<", 0);
    EXPECT(c, "\0\0\0\0\0\0\0\x80", harness_err("", EBADMSG, 0));
    aeh_codec_free(c);
    c = packstring("V!", 0);
    EXPECT(c, "\0\0\0\xff", harness_err("", EBADMSG, 0));
    aeh_codec_free(c);
}
END_TEST

START_TEST(ber_canonical_and_overlong)
{
    aeh_codec *c = packstring("w", 0);
    EXPECT(c, "\x80\x01x", harness_err("", EBADMSG, 0));
    EXPECT(c, "\x01x\x80\x01x", harness_err("1:x,", EBADMSG, 2));
    EXPECT(c, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", harness_err("", EBADMSG, 9));
    /* 2^64 - 1 is a valid BER length, but no buffer can hold it. */
    EXPECT(c, "\x81\xff\xff\xff\xff\xff\xff\xff\xff\x7f", harness_err("", ENOSPC, 0));
    EXPECT(c, "\x81\x80\x80", harness_err("", EBADMSG, 3));
    aeh_codec_free(c);
}
END_TEST

START_TEST(varint_canonical_and_overlong)
{
    aeh_codec *c = packstring("varint", 0);
    EXPECT(c, "\x80\x00", harness_err("", EBADMSG, 1));
    EXPECT(c, "\x81\x80\x00", harness_err("", EBADMSG, 2));
    EXPECT(c, "\x81\x00", harness_err("", EBADMSG, 1));
    EXPECT(c, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", harness_err("", EBADMSG, 9));
    EXPECT(c, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x81\x00", harness_err("", EBADMSG, 9));
    EXPECT(c, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", harness_err("", ENOSPC, 0));
    EXPECT(c, "\x80", harness_err("", EBADMSG, 1));
    aeh_codec_free(c);
}
END_TEST

START_TEST(grpc_flag)
{
    aeh_codec *c = packstring("grpc", 0);
    EXPECT(c, "\x02\0\0\0\x01x", harness_err("", EBADMSG, 0));
    EXPECT(c, "\0\0\0\0\x01x\xff", harness_err("1:x,", EBADMSG, 6));
    EXPECT(c, "\0\0\0", harness_err("", EBADMSG, 3));
    aeh_codec_free(c);
}
END_TEST

START_TEST(length_over_max_frame_before_payload)
{
    aeh_codec *c = packstring("N", 4);
    EXPECT(c, "\0\0\0\x04" "abcd\0\0\0\x05", harness_err("4:abcd,", ENOSPC, 8));
    aeh_codec_free(c);
    c = packstring("w", 200);
    EXPECT(c, "\x81\x49", harness_err("", ENOSPC, 0));
    EXPECT(c, "\x81\x48", harness_err("", EBADMSG, 2));
    aeh_codec_free(c);
    c = packstring("varint", 127);
    EXPECT(c, "\x80\x01", harness_err("", ENOSPC, 0));
    aeh_codec_free(c);
    c = packstring("grpc", 1);
    EXPECT(c, "\0\0\0\0\x02", harness_err("", ENOSPC, 0));
    aeh_codec_free(c);
}
END_TEST

START_TEST(truncated)
{
    aeh_codec *c = packstring("N", 0);
    EXPECT(c, "\0\0", harness_err("", EBADMSG, 2));
    EXPECT(c, "\0\0\0\x05" "ab", harness_err("", EBADMSG, 6));
    aeh_codec_free(c);
}
END_TEST

/* Encoding never wraps a length that does not fit its prefix. */
START_TEST(encoder_refuses_lengths_the_prefix_cannot_hold)
{
    static const struct {
        const char *fmt;
        size_t fits, too_long;
    } cases[] = {
        { "c", 127, 128 },     { "C", 255, 256 },     { "s<", 32767, 32768 },
        { "S>", 65535, 65536 }, { "n", 65535, 65536 }, { "n!", 32767, 32768 },
        { "v", 65535, 65536 },  { "v!", 32767, 32768 },
    };
    uint8_t *big = calloc(1, 65536);
    aeh_buf out = { 0 };
    aeh_error e;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        aeh_codec *c = packstring(cases[k].fmt, 0);
        ck_assert_int_eq(harness_encode(c, big, cases[k].fits, &out, &e), 0);
        ck_assert_int_eq(harness_encode(c, big, cases[k].too_long, &out, &e), -1);
        ck_assert_msg(e.code == EMSGSIZE, "%s: %s", cases[k].fmt, e.msg);
        aeh_codec_free(c);
    }
    aeh_codec *c = packstring("N", 10);
    ck_assert_int_eq(harness_encode(c, big, 11, &out, &e), -1);
    ck_assert_int_eq(e.code, EMSGSIZE);
    aeh_codec_free(c);
    free(big);
    aeh_buf_free(&out);
}
END_TEST

START_TEST(bad_formats_are_usage_errors)
{
    static const struct {
        const char *fmt;
        size_t offset;
    } bad[] = {
        { "", 0 },     { "x", 0 },    { "c!", 1 },   { "C<", 1 },  { "q!", 1 },
        { "w<", 1 },   { "n<", 1 },   { "V>", 1 },   { "s<>", 2 }, { "s!!", 2 },
        { "ss", 1 },   { "N ", 1 },   { "varint2", 1 }, { "grpcx", 0 }, { "w!", 1 },
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        aeh_error e = { 0 };
        ck_assert_msg(aeh_codec_packstring(bad[k].fmt, &e) == NULL, "'%s' accepted", bad[k].fmt);
        ck_assert_int_eq(e.code, EINVAL);
        ck_assert_msg(e.offset == bad[k].offset, "'%s': offset %llu", bad[k].fmt,
                      (unsigned long long)e.offset);
    }
    aeh_error e;
    ck_assert_ptr_null(aeh_codec_packstring(NULL, &e));
    ck_assert_int_eq(e.code, EINVAL);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("frame_packstring");
    TCase *t = tcase_create("packstring");
    tcase_set_timeout(t, 60);
    tcase_add_loop_test(t, fixed_formats_encode_decode, 0,
                        (int)(sizeof fixed_cases / sizeof fixed_cases[0]));
    tcase_add_test(t, variable_formats_encode_decode);
    tcase_add_test(t, negative_lengths_are_malformed);
    tcase_add_test(t, ber_canonical_and_overlong);
    tcase_add_test(t, varint_canonical_and_overlong);
    tcase_add_test(t, grpc_flag);
    tcase_add_test(t, length_over_max_frame_before_payload);
    tcase_add_test(t, truncated);
    tcase_add_test(t, encoder_refuses_lengths_the_prefix_cannot_hold);
    tcase_add_test(t, bad_formats_are_usage_errors);
    suite_add_tcase(s, t);
    return s;
}

UNIT_MAIN(make_suite)
