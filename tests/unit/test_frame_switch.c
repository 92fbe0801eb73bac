/* SPDX-License-Identifier: MIT */
/* The framing switch A>>B: the first frame by A and every later one by B,
 * at every split (the harness counts frames in st.frames as the handle
 * does); errors naming their side; the encoder's first record by A; the
 * spec's errors pointing into the whole spec. */
#include "codec_harness.h"

#define EXPECT_N(codec, lit, want) HARNESS_EXPECT_N(codec, lit, sizeof(lit) - 1, want, sizeof(want) - 1)

static aeh_codec *parse(const char *spec)
{
    aeh_error e;
    aeh_codec *c = aeh_codec_parse(spec, &e);
    ck_assert_msg(c != NULL, "'%s': %s", spec, e.msg);
    ck_assert_int_eq(c->kind, AEH_CODEC_KIND_SWITCH);
    return c;
}

START_TEST(first_frame_by_a_then_b)
{
    /* PostgreSQL from the client: StartupMessage (protocol 3.0, user=u),
     * then typed messages */
    aeh_codec *c = parse("len:pg-startup>>len:pg");
    EXPECT_N(c, "\x00\x00\x00\x10\x00\x03\x00\x00user\x00u\x00\x00"
                "Q\x00\x00\x00\x05x" "X\x00\x00\x00\x04",
             "16:\x00\x00\x00\x10\x00\x03\x00\x00user\x00u\x00\x00,6:Q\x00\x00\x00\x05x,"
             "5:X\x00\x00\x00\x04,");
    aeh_codec_free(c);
    /* SSH: the banner line, then binary packets */
    c = parse("line>>len:u16be");
    EXPECT_N(c, "SSH-2.0-aecat\r\n\x00\x02" "ab\x00\x01\n", "13:SSH-2.0-aecat,2:ab,1:\n,");
    aeh_codec_free(c);
    /* HTTP/2 from the client: the 24-byte preface, then frames */
    c = parse("chunk:24>>len:h2");
    EXPECT_N(c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x01\x00\x00\x00\x00",
             "24:PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n,9:\x00\x00\x00\x04\x01\x00\x00\x00\x00,");
    aeh_codec_free(c);
}
END_TEST

START_TEST(errors_name_their_side)
{
    aeh_codec *c = parse("len:pg-startup>>len:pg");
    EXPECT_N(c, "\x00\x00\x00\x03", "E74@0");
    harness_out o;
    harness_decode(c, "\x00\x00\x00\x03", 4, &o);
    ck_assert_msg(strstr(o.msg, "first frame (A of A>>B): len: length 3-4"), "%s", o.msg);
    harness_out_free(&o);
    EXPECT_N(c, "\x00\x00\x00\x08\x04\xd2\x16\x2f" "Q\x00\x00\x00\x01",
             "8:\x00\x00\x00\x08\x04\xd2\x16\x2f,E74@9");
    harness_decode(c, "\x00\x00\x00\x08\x04\xd2\x16\x2f" "Q\x00\x00\x00\x01", 13, &o);
    ck_assert_msg(strstr(o.msg, "after the first frame (B of A>>B): len: length 1-4"), "%s", o.msg);
    harness_out_free(&o);
    /* the switch's max_frame holds on both sides */
    c->max_frame = 8;
    EXPECT_N(c, "\x00\x00\x00\x08\x04\xd2\x16\x2f" "Q\x00\x00\x00\x09" "ab",
             "8:\x00\x00\x00\x08\x04\xd2\x16\x2f,E28@9");
    aeh_codec_free(c);
}
END_TEST

START_TEST(encoder_writes_its_first_record_by_a)
{
    aeh_codec *c = parse("line>>len:u16be");
    aeh_buf out = { 0 };
    aeh_error e;
    /* A refuses: nothing written, the next record is still A's */
    ck_assert_int_eq(c->encode(c, (const uint8_t *)"a\nb", 3, &out, &e), -1);
    ck_assert_msg(strstr(e.msg, "first frame (A of A>>B): "), "%s", e.msg);
    ck_assert_int_eq(c->encode(c, (const uint8_t *)"SSH-2.0-x", 9, &out, &e), 0);
    ck_assert_int_eq(c->encode(c, (const uint8_t *)"ab", 2, &out, &e), 0);
    ck_assert_int_eq(c->encode(c, (const uint8_t *)"c\n", 2, &out, &e), 0);
    ck_assert(harness_buf_is(&out, "SSH-2.0-x\n\x00\x02" "ab\x00\x02" "c\n", 18));
    c->max_frame = 1;
    ck_assert_int_eq(c->encode(c, (const uint8_t *)"ab", 2, &out, &e), -1);
    ck_assert_int_eq(e.code, EMSGSIZE);
    ck_assert_msg(strstr(e.msg, "after the first frame (B of A>>B): "), "%s", e.msg);
    aeh_buf_free(&out);
    aeh_codec_free(c);
    /* a side without an encoder: the switch has none */
    c = parse("len:u8>>len:pg,strip=hdr");
    ck_assert_ptr_null(c->encode);
    aeh_codec_free(c);
}
END_TEST

START_TEST(batches_start_after_the_first_frame)
{
    aeh_codec *c = parse("len:u8>>len:u16be");
    static const uint8_t in[] = "\x01" "a\x00\x01" "b\x00\x01" "c";
    aeh_dstate st = { 0 };
    aeh_span f[4];
    size_t used[4];
    ck_assert_uint_eq(c->decode_many(c, &st, in, 2, f, used, 4), 0);
    st.frames = 1;
    ck_assert_uint_eq(c->decode_many(c, &st, in + 2, sizeof in - 3, f, used, 4), 2);
    ck_assert(f[0].n == 1 && f[0].p[0] == 'b' && f[1].n == 1 && f[1].p[0] == 'c');
    aeh_codec_free(c);
}
END_TEST

START_TEST(bad_specs_point_into_the_whole_spec)
{
    static const struct {
        const char *spec, *msg;
        size_t offset;
    } bad[] = {
        { "line>>len:u8>>raw", "only one framing switch", 12 },
        { "len:pg>>len:u32", "after >>: len: 'u32' is not a length format", 12 },
        { "len:u32>>len:pg", "before >>: len: 'u32'", 4 },
        { ">>len:pg", "before >>: unknown framing ''", 0 },
        { "line>>", "after >>: unknown framing ''", 6 },
        { "line>>chunk:x", "after >>: chunk: size is not a number", 12 },
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        aeh_error e = { 0 };
        ck_assert_msg(aeh_codec_parse(bad[k].spec, &e) == NULL, "'%s' accepted", bad[k].spec);
        ck_assert_msg(e.code == EINVAL && e.offset == bad[k].offset && strstr(e.msg, bad[k].msg),
                      "'%s': code %d offset %llu (%s)", bad[k].spec, e.code,
                      (unsigned long long)e.offset, e.msg);
    }
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("frame_switch");
    TCase *t = tcase_create("switch");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, first_frame_by_a_then_b);
    tcase_add_test(t, errors_name_their_side);
    tcase_add_test(t, encoder_writes_its_first_record_by_a);
    tcase_add_test(t, batches_start_after_the_first_frame);
    tcase_add_test(t, bad_specs_point_into_the_whole_spec);
    suite_add_tcase(s, t);
    return s;
}

UNIT_MAIN(make_suite)
