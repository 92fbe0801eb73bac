/* SPDX-License-Identifier: MIT */
/* raw and chunk codecs, the framing grammar of aeh_codec_parse (good specs
 * decode as they should, bad ones fail with the offset in the spec), and C
 * escapes. */
#include "codec_harness.h"

#define S(lit) (lit), sizeof(lit) - 1
/* A string literal (NULs allowed) decodes to want at every split. */
#define EXPECT(codec, lit, want) HARNESS_EXPECT(codec, lit, sizeof(lit) - 1, want)

/* ------------------------------------------------------------------ raw */

/* Raw frames follow the reads, so this checks given cuts, not every split. */
static void expect_raw_cuts(const aeh_codec *c, const char *in, const size_t *cuts,
                            size_t ncuts, const char *want)
{
    harness_out o;
    harness_decode_cuts(c, (const uint8_t *)in, strlen(in), cuts, ncuts, &o);
    ck_assert_str_eq(harness_text(&o), want);
    harness_out_free(&o);
}

START_TEST(raw_frame_per_read)
{
    aeh_codec *c = aeh_codec_raw();
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->name, "raw");
    expect_raw_cuts(c, "hello world", NULL, 0, "11:hello world,");
    expect_raw_cuts(c, "hello world", (const size_t[]){ 2, 5 }, 2, "2:he,3:llo,6: world,");
    expect_raw_cuts(c, "", NULL, 0, "");
    c->max_frame = 4;
    expect_raw_cuts(c, "hello world", (const size_t[]){ 6 }, 1, "4:hell,2:o ,4:worl,1:d,");
    aeh_buf out = { 0 };
    aeh_error e;
    ck_assert_int_eq(harness_encode(c, S("a\0\n"), &out, &e), 0);
    ck_assert(harness_buf_is(&out, S("a\0\n")));
    aeh_buf_free(&out);
    aeh_codec_free(c);
}
END_TEST

/* ------------------------------------------------------------------ chunk */

static aeh_codec *chunk(size_t n)
{
    aeh_error e;
    aeh_codec *c = aeh_codec_chunk(n, &e);
    ck_assert_ptr_nonnull(c);
    return c;
}

START_TEST(chunk_frames)
{
    aeh_codec *c = chunk(3);
    EXPECT(c, "abcdef\0\0\0", "3:abc,3:def,3:\0\0\0,");
    EXPECT(c, "abcde", harness_err("3:abc,", EBADMSG, 5));
    EXPECT(c, "", "");
    c->max_frame = 2;
    EXPECT(c, "abc", harness_err("", ENOSPC, 0));
    aeh_codec_free(c);
    c = chunk(1);
    EXPECT(c, "xyz", "1:x,1:y,1:z,");
    aeh_codec_free(c);
    aeh_error e;
    ck_assert_ptr_null(aeh_codec_chunk(0, &e));
    ck_assert_int_eq(e.code, EINVAL);
}
END_TEST

START_TEST(chunk_encoder_wants_exact_size)
{
    aeh_codec *c = chunk(3);
    aeh_buf out = { 0 };
    aeh_error e;
    ck_assert_int_eq(harness_encode(c, S("abc"), &out, &e), 0);
    ck_assert(harness_buf_is(&out, S("abc")));
    ck_assert_int_eq(harness_encode(c, S("ab"), &out, &e), -1);
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_int_eq(harness_encode(c, S("abcd"), &out, &e), -1);
    ck_assert_int_eq(e.code, EINVAL);
    static const char *const frames[] = { "abc", "def", "\r\n\t" };
    harness_roundtrip(c, frames, 3);
    aeh_buf_free(&out);
    aeh_codec_free(c);
}
END_TEST

/* ------------------------------------------------------------------ parse */

static aeh_codec *parse_ok(const char *spec, const char *name)
{
    aeh_error e = { 0 };
    aeh_codec *c = aeh_codec_parse(spec, &e);
    ck_assert_msg(c != NULL, "'%s' refused: %s", spec, e.msg);
    ck_assert_str_eq(c->name, name);
    return c;
}

START_TEST(parse_good_specs)
{
    aeh_codec *c = parse_ok("raw", "raw");
    aeh_codec_free(c);
    c = parse_ok("line", "line");
    EXPECT(c, "a\r\nb\n", "1:a,1:b,");
    aeh_codec_free(c);
    c = parse_ok("line:\\r\\n", "line");
    EXPECT(c, "a\nb\r\n", "3:a\nb,");
    aeh_codec_free(c);
    c = parse_ok("line:|", "line");
    EXPECT(c, "a|b|", "1:a,1:b,");
    aeh_codec_free(c);
    c = parse_ok("line:\\0", "line");
    EXPECT(c, "ab\0", "2:ab,");
    aeh_codec_free(c);
    c = parse_ok("line:/", "line");
    EXPECT(c, "a/b/", "1:a,1:b,");
    aeh_codec_free(c);
    c = parse_ok("line:/;+/", "line");
    EXPECT(c, "a;;b;", "1:a,1:b,");
    aeh_codec_free(c);
    c = parse_ok("regex:;+", "regex");
    EXPECT(c, "a;;b;", "3:a;;,2:b;,");
    aeh_codec_free(c);
    c = parse_ok("netstring", "netstring");
    EXPECT(c, "1:a,", "1:a,");
    aeh_codec_free(c);
    c = parse_ok("packstring:n", "packstring");
    EXPECT(c, "\0\x01z", "1:z,");
    aeh_codec_free(c);
    c = parse_ok("packstring:varint", "packstring");
    aeh_codec_free(c);
    c = parse_ok("chunk:2", "chunk");
    EXPECT(c, "abcd", "2:ab,2:cd,");
    aeh_codec_free(c);
}
END_TEST

START_TEST(parse_bad_specs_point_at_the_fault)
{
    static const struct {
        const char *spec;
        size_t offset;
    } bad[] = {
        { "foo", 0 },           { "", 0 },                { "Raw", 0 },
        { "raw:x", 3 },         { "netstring:", 9 },      { "chunk", 5 },
        { "chunk:", 6 },        { "chunk:0", 6 },         { "chunk:12x", 8 },
        { "chunk:-1", 6 },      { "chunk:99999999999999999999999", 25 },
        { "packstring", 10 },   { "packstring:", 11 },    { "packstring:c!", 12 },
        { "packstring:z", 11 }, { "line:", 5 },           { "line:\\q", 5 },
        { "line:a\\xzz", 6 },   { "regex", 5 },           { "regex:", 6 },
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        aeh_error e = { 0 };
        aeh_codec *c = aeh_codec_parse(bad[k].spec, &e);
        ck_assert_msg(c == NULL, "'%s' accepted", bad[k].spec);
        ck_assert_msg(e.code == EINVAL, "'%s': code %d", bad[k].spec, e.code);
        ck_assert_msg(e.offset == bad[k].offset, "'%s': offset %llu, want %zu (%s)",
                      bad[k].spec, (unsigned long long)e.offset, bad[k].offset, e.msg);
    }
    aeh_error e;
    ck_assert_ptr_null(aeh_codec_parse("jsonx", &e));
    ck_assert_ptr_nonnull(strstr(e.msg, "unknown framing 'jsonx'"));
    ck_assert_ptr_nonnull(strstr(e.msg, "netstring"));
    /* Regex errors point into the pattern, shifted into the spec. */
    ck_assert_ptr_null(aeh_codec_parse("line:/(/", &e));
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_uint_ge(e.offset, 6);
    ck_assert_ptr_null(aeh_codec_parse("regex:a(", &e));
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_uint_ge(e.offset, 6);
}
END_TEST

START_TEST(codec_free_accepts_null)
{
    aeh_codec_free(NULL);
    aeh_codec stat = { .name = "static" };
    aeh_codec_free(&stat);    /* destroy NULL: a static codec is left alone */
    ck_assert_str_eq(stat.name, "static");
}
END_TEST

/* ------------------------------------------------------------------ unescape */

START_TEST(unescape_good)
{
    aeh_buf out = { 0 };
    aeh_error e;
    aeh_buf_append(&out, "pre", 3);
    long n = aeh_unescape("a\\r\\n\\t\\0\\e\\a\\b\\f\\v\\x41\\x4\\101\\7\\\\\\\"z", &out, &e);
    static const char want[] = "prea\r\n\t\0\033\a\b\f\vA\x04" "A\a\\\"z";
    ck_assert_int_eq(n, (long)sizeof want - 1 - 3);
    ck_assert(harness_buf_is(&out, want, sizeof want - 1));
    aeh_buf_clear(&out);
    ck_assert_int_eq(aeh_unescape("", &out, &e), 0);
    ck_assert_int_eq(aeh_unescape("\\0123", &out, &e), 2);
    ck_assert(harness_buf_is(&out, "\n3", 2));
    aeh_buf_free(&out);
}
END_TEST

START_TEST(unescape_bad)
{
    static const struct {
        const char *s;
        size_t offset;
    } bad[] = {
        { "\\q", 0 }, { "ab\\", 2 }, { "\\x", 0 }, { "a\\xg", 1 }, { "\\400", 0 }, { "x\\777", 1 },
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        aeh_buf out = { 0 };
        aeh_error e = { 0 };
        ck_assert_int_eq(aeh_unescape(bad[k].s, &out, &e), -1);
        ck_assert_int_eq(e.code, EINVAL);
        ck_assert_msg(e.offset == bad[k].offset, "'%s': offset %llu", bad[k].s,
                      (unsigned long long)e.offset);
        aeh_buf_free(&out);
    }
}
END_TEST

/* Every byte value comes back through aeh_unescape, on one printable line. */
START_TEST(escape_round_trips)
{
    uint8_t all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    char shown[4 * sizeof all + 1];
    size_t n = aeh_escape(all, sizeof all, shown, sizeof shown);
    ck_assert_uint_eq(n, strlen(shown));
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(shown[i] >= 0x20 && shown[i] < 0x7f, "byte %zu of the escaped text is 0x%02x",
                      i, (unsigned char)shown[i]);
    aeh_buf back = { 0 };
    aeh_error e;
    ck_assert_int_eq(aeh_unescape(shown, &back, &e), (long)sizeof all);
    ck_assert(harness_buf_is(&back, (const char *)all, sizeof all));
    aeh_buf_free(&back);
    char small[8];
    ck_assert_uint_eq(aeh_escape("ab\n\x1b", 4, small, 2), 1);
    ck_assert_str_eq(small, "a");
    ck_assert_uint_eq(aeh_escape("ab\n\x1b", 4, small, 6), 4);   /* no half of \x1b */
    ck_assert_str_eq(small, "ab\\n");
    ck_assert_uint_eq(aeh_escape("\"q\\", 3, small, sizeof small), 5);
    ck_assert_str_eq(small, "\\\"q\\\\");
}
END_TEST

/* Each constructor names its kind, so that a program tells codecs apart
 * without their names; a codec of the user's own is CUSTOM. */
START_TEST(codec_kinds)
{
    static const struct { const char *spec; aeh_codec_kind kind; } specs[] = {
        { "raw", AEH_CODEC_KIND_RAW }, { "line", AEH_CODEC_KIND_LINE },
        { "line:|", AEH_CODEC_KIND_LINE }, { "line:/;+/", AEH_CODEC_KIND_LINE },
        { "regex:x+", AEH_CODEC_KIND_REGEX }, { "netstring", AEH_CODEC_KIND_NETSTRING },
        { "packstring:N", AEH_CODEC_KIND_PACKSTRING }, { "chunk:4", AEH_CODEC_KIND_CHUNK },
        { "json", AEH_CODEC_KIND_JSON }, { "json:3", AEH_CODEC_KIND_JSON },
        { "cbor", AEH_CODEC_KIND_CBOR },
    };
    aeh_error e;
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) {
        aeh_codec *c = aeh_codec_parse(specs[i].spec, &e);
        ck_assert_msg(c != NULL, "'%s' refused: %s", specs[i].spec, e.msg);
        ck_assert_msg(c->kind == specs[i].kind, "'%s': kind %d", specs[i].spec, (int)c->kind);
        aeh_codec_free(c);
    }
    aeh_codec *c = aeh_codec_hexlines(&e);
    ck_assert_int_eq(c->kind, AEH_CODEC_KIND_HEXLINES);
    aeh_codec_free(c);
    c = aeh_codec_base64lines(&e);
    ck_assert_int_eq(c->kind, AEH_CODEC_KIND_BASE64LINES);
    aeh_codec_free(c);
    c = aeh_codec_crlf(&e);
    ck_assert_int_eq(c->kind, AEH_CODEC_KIND_CRLF);
    aeh_codec_free(c);
    c = aeh_codec_json_strings(&e);
    ck_assert_int_eq(c->kind, AEH_CODEC_KIND_JSON_STRINGS);
    aeh_codec_free(c);
    c = aeh_codec_line(NULL, 0, NULL, 0, &e);
    ck_assert_int_eq(c->kind, AEH_CODEC_KIND_LINE);
    aeh_codec_free(c);
    ck_assert_int_eq(aeh_codec_tls_detect()->kind, AEH_CODEC_KIND_TLS_DETECT);
    aeh_codec mine = { .name = "mine" };
    ck_assert_int_eq(mine.kind, AEH_CODEC_KIND_CUSTOM);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("frame_misc");
    TCase *t = tcase_create("misc");
    tcase_add_test(t, raw_frame_per_read);
    tcase_add_test(t, chunk_frames);
    tcase_add_test(t, chunk_encoder_wants_exact_size);
    tcase_add_test(t, parse_good_specs);
    tcase_add_test(t, parse_bad_specs_point_at_the_fault);
    tcase_add_test(t, codec_free_accepts_null);
    tcase_add_test(t, codec_kinds);
    tcase_add_test(t, unescape_good);
    tcase_add_test(t, unescape_bad);
    tcase_add_test(t, escape_round_trips);
    suite_add_tcase(s, t);
    return s;
}

UNIT_MAIN(make_suite)
