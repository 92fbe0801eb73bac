/* SPDX-License-Identifier: MIT */
/* The line codec: default "\r?\n" and fixed markers, every split, limits,
 * EOF rules, the encoder's refusals, and linear work on a long line. */
#include "codec_harness.h"

#define S(lit) (lit), sizeof(lit) - 1
/* A string literal (NULs allowed) decodes to want at every split. */
#define EXPECT(codec, lit, want) HARNESS_EXPECT(codec, lit, sizeof(lit) - 1, want)

static aeh_codec *line_default(size_t max, unsigned flags)
{
    aeh_error e;
    aeh_codec *c = aeh_codec_line(NULL, 0, NULL, 0, &e);
    ck_assert_ptr_nonnull(c);
    c->max_frame = max;
    c->flags = flags;
    return c;
}

static aeh_codec *line_with(const char *eol, size_t eol_len, size_t max, unsigned flags)
{
    aeh_error e;
    aeh_codec *c = aeh_codec_line(eol, eol_len, NULL, 0, &e);
    ck_assert_ptr_nonnull(c);
    c->max_frame = max;
    c->flags = flags;
    return c;
}

START_TEST(default_eol_strips_optional_cr)
{
    aeh_codec *c = line_default(0, 0);
    EXPECT(c, "abc\ndef\r\nghi\n", "3:abc,3:def,3:ghi,");
    EXPECT(c, "\n\r\n\n", "0:,0:,0:,");
    EXPECT(c, "a\rb\n\r\r\n", "3:a\rb,1:\r,");
    EXPECT(c, "", "");
    aeh_codec_free(c);
}
END_TEST

START_TEST(default_eol_eof_rules)
{
    aeh_codec *c = line_default(0, 0);
    EXPECT(c, "abc\nde", harness_err("3:abc,", EBADMSG, 6));
    EXPECT(c, "abc\r", harness_err("", EBADMSG, 4));
    c->flags = AEH_CODEC_PARTIAL_AT_EOF;
    EXPECT(c, "abc\nde", "3:abc,2:de,");
    EXPECT(c, "abc\n", "3:abc,");
    EXPECT(c, "abc\r", "4:abc\r,");
    aeh_codec_free(c);
}
END_TEST

START_TEST(default_eol_max_frame)
{
    aeh_codec *c = line_default(3, 0);
    EXPECT(c, "abc\nabc\r\n\n", "3:abc,3:abc,0:,");
    EXPECT(c, "abc\nabcd\n", harness_err("3:abc,", ENOSPC, 7));
    EXPECT(c, "abc\rx\n", harness_err("", ENOSPC, 3));
    EXPECT(c, "abcdefghijklmnop", harness_err("", ENOSPC, 3));
    EXPECT(c, "abc", harness_err("", EBADMSG, 3));
    EXPECT(c, "abc\r", harness_err("", EBADMSG, 4));
    c->flags = AEH_CODEC_PARTIAL_AT_EOF;
    EXPECT(c, "abc\r", harness_err("", ENOSPC, 3));
    EXPECT(c, "abcd", harness_err("", ENOSPC, 3));
    EXPECT(c, "abc", "3:abc,");
    aeh_codec_free(c);
}
END_TEST

START_TEST(stdin_lines_records)
{
    /* aecat's stdin "lines" reader: "\r?\n" ends, the last line at EOF
     * is a record unless strict, "\n" written; a last "\r" with no "\n"
     * after it stays content, since no line end followed it */
    aeh_error e;
    aeh_codec *c = aeh_codec_line(NULL, 0, "\n", 1, &e);
    ck_assert_ptr_nonnull(c);
    c->flags = AEH_CODEC_PARTIAL_AT_EOF;
    EXPECT(c, "PING\r\nx\r\n\ny", "4:PING,1:x,0:,1:y,");
    EXPECT(c, "PING\r\nlast\r", "4:PING,5:last\r,");
    EXPECT(c, "\r\n", "0:,");
    c->flags = 0;
    EXPECT(c, "PING\r\nx\r\nlast", harness_err("4:PING,1:x,", EBADMSG, 13));
    aeh_buf out = { 0 };
    ck_assert_int_eq(harness_encode(c, "PING", 4, &out, &e), 0);
    ck_assert(harness_buf_is(&out, "PING\n", 5));
    aeh_buf_free(&out);
    aeh_codec_free(c);
}
END_TEST

START_TEST(fixed_eol)
{
    aeh_codec *c = line_with(S("\r\n"), 0, 0);
    EXPECT(c, "a\r\nb\rc\n\r\n\r\n", "1:a,4:b\rc\n,0:,");
    EXPECT(c, "a\r\nb\n", harness_err("1:a,", EBADMSG, 5));
    aeh_codec_free(c);
    c = line_with(S("END"), 0, 0);
    EXPECT(c, "xxENDyyEENDENENDEND", "2:xx,3:yyE,2:EN,0:,");
    aeh_codec_free(c);
    c = line_with("\0\0", 2, 0, 0);
    EXPECT(c, "ab\0\0c\0\0\0", harness_err("2:ab,1:c,", EBADMSG, 8));
    aeh_codec_free(c);
    c = line_with(S("|"), 0, AEH_CODEC_PARTIAL_AT_EOF);
    EXPECT(c, "a|b||c", "1:a,1:b,0:,1:c,");
    aeh_codec_free(c);
}
END_TEST

START_TEST(fixed_eol_max_frame)
{
    aeh_codec *c = line_with(S("\r\n"), 3, 0);
    EXPECT(c, "abc\r\nab\r\n", "3:abc,2:ab,");
    EXPECT(c, "abcd\r\n", harness_err("", ENOSPC, 3));
    EXPECT(c, "ab\r\nabc\rx", harness_err("2:ab,", ENOSPC, 7));
    EXPECT(c, "abc\r", harness_err("", EBADMSG, 4));
    c->flags = AEH_CODEC_PARTIAL_AT_EOF;
    EXPECT(c, "abc\r", harness_err("", ENOSPC, 3));
    EXPECT(c, "abc", "3:abc,");
    aeh_codec_free(c);
    c = line_with(S("END"), 1, 0);
    EXPECT(c, "aENDbcEND", harness_err("1:a,", ENOSPC, 5));
    aeh_codec_free(c);
}
END_TEST

START_TEST(constructor_refuses_empty_markers)
{
    aeh_error e;
    ck_assert_ptr_null(aeh_codec_line("", 0, NULL, 0, &e));
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_ptr_null(aeh_codec_line(NULL, 0, "", 0, &e));
    ck_assert_int_eq(e.code, EINVAL);
}
END_TEST

START_TEST(encoder_writes_marker)
{
    aeh_buf out = { 0 };
    aeh_error e;
    aeh_codec *c = line_default(0, 0);
    ck_assert_int_eq(harness_encode(c, S("abc"), &out, &e), 0);
    ck_assert(harness_buf_is(&out, S("abc\n")));
    ck_assert_int_eq(harness_encode(c, S(""), &out, &e), 0);
    ck_assert(harness_buf_is(&out, S("\n")));
    aeh_codec_free(c);
    c = line_with(S("\r\n"), 0, 0);
    ck_assert_int_eq(harness_encode(c, S("a\nb"), &out, &e), 0);
    ck_assert(harness_buf_is(&out, S("a\nb\r\n")));
    aeh_codec_free(c);
    c = aeh_codec_line(S("\r\n"), S("\n"), &e);
    ck_assert_int_eq(harness_encode(c, S("ab"), &out, &e), 0);
    ck_assert(harness_buf_is(&out, S("ab\n")));
    aeh_codec_free(c);
    aeh_buf_free(&out);
}
END_TEST

START_TEST(encoder_refuses_what_would_not_read_back)
{
    aeh_buf out = { 0 };
    aeh_error e;
    aeh_codec *c = line_default(0, 0);
    ck_assert_int_eq(harness_encode(c, S("a\nb"), &out, &e), -1);
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_int_eq(harness_encode(c, S("ab\r"), &out, &e), -1);
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_int_eq(e.offset, 2);
    c->max_frame = 2;
    ck_assert_int_eq(harness_encode(c, S("abc"), &out, &e), -1);
    ck_assert_int_eq(e.code, EMSGSIZE);
    ck_assert_int_eq(harness_encode(c, S("ab"), &out, &e), 0);
    aeh_codec_free(c);
    c = line_with(S("aa"), 0, 0);
    ck_assert_int_eq(harness_encode(c, S("xa"), &out, &e), -1);
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_int_eq(e.offset, 1);
    ck_assert_int_eq(harness_encode(c, S("xaax"), &out, &e), -1);
    ck_assert_int_eq(harness_encode(c, S("ax"), &out, &e), 0);
    ck_assert(harness_buf_is(&out, S("axaa")));
    aeh_codec_free(c);
    c = line_with(S("abab"), 0, 0);
    ck_assert_int_eq(harness_encode(c, S("xab"), &out, &e), -1);
    ck_assert_int_eq(e.offset, 1);
    ck_assert_int_eq(harness_encode(c, S("xa"), &out, &e), 0);
    aeh_codec_free(c);
    aeh_buf_free(&out);
}
END_TEST

START_TEST(round_trips)
{
    static const char *const frames[] = { "hello", "", "a\rb", "\r", "world" };
    aeh_codec *c = line_with(S("\r\n"), 0, 0);
    harness_roundtrip(c, frames, 5);
    aeh_codec_free(c);
    c = line_default(0, 0);
    static const char *const plain[] = { "hello", "", "a\rb", "world" };
    harness_roundtrip(c, plain, 4);
    aeh_codec_free(c);
}
END_TEST

/* ----------------------------------------------------------- linear work
 * memchr and memmem are defined here, so the decoder (linked statically)
 * calls these: they count the bytes they are asked to search, which is the
 * decoder's work however fast the real functions would be. */

static size_t searched;

void *memchr(const void *s, int ch, size_t n)
{
    const volatile unsigned char *p = s;
    searched += n;
    for (size_t i = 0; i < n; i++)
        if (p[i] == (unsigned char)ch)
            return (void *)(uintptr_t)(p + i);
    return NULL;
}

void *memmem(const void *hay, size_t hn, const void *needle, size_t nn)
{
    const volatile unsigned char *h = hay;
    const unsigned char *nd = needle;
    searched += hn;
    for (size_t i = 0; nn <= hn && i <= hn - nn; i++) {
        size_t k = 0;
        while (k < nn && h[i + k] == nd[k])
            k++;
        if (k == nn)
            return (void *)(uintptr_t)(h + i);
    }
    return NULL;
}

/* Decodes `line` (n bytes, its marker last) in 1-byte reads; returns the
 * bytes searched after checking the one frame that must come out. */
static size_t search_work(const aeh_codec *c, const uint8_t *line, size_t n, size_t frame_len)
{
    size_t *cuts = malloc(n * sizeof *cuts);
    ck_assert_ptr_nonnull(cuts);
    for (size_t k = 0; k < n; k++)
        cuts[k] = k + 1;
    harness_out o;
    searched = 0;
    harness_decode_cuts(c, line, n, cuts, n - 1, &o);
    size_t work = searched;
    ck_assert_int_eq(o.frames, 1);
    ck_assert_int_eq(o.error, 0);
    ck_assert_uint_le(o.calls, n + 2);
    char head[32];
    int m = snprintf(head, sizeof head, "%zu:", frame_len);
    ck_assert_int_eq(strncmp(harness_text(&o), head, (size_t)m), 0);
    harness_out_free(&o);
    free(cuts);
    return work;
}

static uint8_t *long_line(size_t n, const char *eol, size_t eol_len)
{
    uint8_t *p = malloc(n);
    ck_assert_ptr_nonnull(p);
    memset(p, 'x', n - eol_len);
    memcpy(p + n - eol_len, eol, eol_len);
    return p;
}

START_TEST(megabyte_line_in_one_byte_reads_is_linear)
{
    const size_t n = 1 << 20;
    uint8_t *line = long_line(n, "\r\n", 2);
    aeh_codec *c = line_default(0, 0);
    ck_assert_uint_le(search_work(c, line, n, n - 2), 2 * n);
    aeh_codec_free(c);
    c = line_with(S("\r\n"), 0, 0);
    ck_assert_uint_le(search_work(c, line, n, n - 2), 2 * n);
    aeh_codec_free(c);
    free(line);
}
END_TEST

/* The measure itself: a decoder that searches from the start of the buffer
 * each time must show quadratic work, or the test above proves nothing. */
static int rescanning_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                             bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    (void)c; (void)st; (void)eof; (void)err;
    const uint8_t *nl = len ? memchr(buf, '\n', len) : NULL;
    if (!nl)
        return AEH_DEC_MORE;
    *frame = (aeh_span){ buf, (size_t)(nl - buf) };
    *consumed = (size_t)(nl - buf) + 1;
    return AEH_DEC_FRAME;
}

START_TEST(work_measure_catches_rescanning)
{
    const size_t n = 20000;
    uint8_t *line = long_line(n, "\n", 1);
    const aeh_codec quadratic = { .name = "rescan", .decode = rescanning_decode };
    ck_assert_uint_gt(search_work(&quadratic, line, n, n - 1), 100 * n);
    free(line);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("frame_line");
    TCase *t = tcase_create("line");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, default_eol_strips_optional_cr);
    tcase_add_test(t, default_eol_eof_rules);
    tcase_add_test(t, default_eol_max_frame);
    tcase_add_test(t, stdin_lines_records);
    tcase_add_test(t, fixed_eol);
    tcase_add_test(t, fixed_eol_max_frame);
    tcase_add_test(t, constructor_refuses_empty_markers);
    tcase_add_test(t, encoder_writes_marker);
    tcase_add_test(t, encoder_refuses_what_would_not_read_back);
    tcase_add_test(t, round_trips);
    tcase_add_test(t, megabyte_line_in_one_byte_reads_is_linear);
    tcase_add_test(t, work_measure_catches_rescanning);
    suite_add_tcase(s, t);
    return s;
}

UNIT_MAIN(make_suite)
