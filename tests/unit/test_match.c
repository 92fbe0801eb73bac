/* SPDX-License-Identifier: MIT */
/* aeh_match, the library's regex test of a whole string (aecat --until):
 * answers, the empty-matching patterns a test allows, a bad pattern's
 * offset, invalid UTF-8 under (*UTF), and the match limit that a
 * catastrophic pattern hits instead of running for minutes. */
#include "unit.h"

#define S(lit) (lit), sizeof(lit) - 1

START_TEST(match_answers)
{
    aeh_error e;
    aeh_match *m = aeh_match_new("^DONE\\b", 0, &e);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(aeh_match_test(m, S("DONE now"), &e), 1);
    ck_assert_int_eq(aeh_match_test(m, S("NOT DONE"), &e), 0);
    ck_assert_int_eq(aeh_match_test(m, S("x\nDONE"), &e), 0);   /* ^: the start only */
    ck_assert_int_eq(aeh_match_test(m, "", 0, &e), 0);
    ck_assert_int_eq(aeh_match_test(m, S("\0DONE"), &e), 0);
    aeh_match_free(m);

    m = aeh_match_new("^DONE$", AEH_MATCH_MULTILINE, &e);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(aeh_match_test(m, S("x\nDONE\ny"), &e), 1);
    aeh_match_free(m);

    m = aeh_match_new("a\\x00b", 0, &e);   /* bytes, NULs included */
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(aeh_match_test(m, S("xa\0b"), &e), 1);
    aeh_match_free(m);
}
END_TEST

/* A frame's end marker must consume bytes; a test need not. */
START_TEST(match_allows_empty_patterns)
{
    aeh_error e;
    aeh_match *m = aeh_match_new("^", 0, &e);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(aeh_match_test(m, "", 0, &e), 1);
    ck_assert_int_eq(aeh_match_test(m, S("abc"), &e), 1);
    aeh_match_free(m);
    m = aeh_match_new("", 0, &e);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(aeh_match_test(m, S("x"), &e), 1);
    aeh_match_free(m);
}
END_TEST

START_TEST(match_bad_pattern_names_the_offset)
{
    aeh_error e;
    ck_assert_ptr_null(aeh_match_new("ab(", 0, &e));
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_uint_eq(e.offset, 3);
    ck_assert_ptr_nonnull(strstr(e.msg, "offset 3"));
}
END_TEST

START_TEST(match_utf_tolerates_invalid_bytes)
{
    aeh_error e;
    aeh_match *m = aeh_match_new("(*UTF)é", 0, &e);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(aeh_match_test(m, S("\xff\xfe caf\xc3\xa9"), &e), 1);
    ck_assert_int_eq(aeh_match_test(m, S("\xff\xc3"), &e), 0);
    aeh_match_free(m);
}
END_TEST

/* (a+)+$ on a's and a b backtracks 2^n ways: the codecs' limit stops it,
 * and the caller hears why, rather than a quiet "no match". */
START_TEST(match_limit_is_an_error)
{
    aeh_error e;
    aeh_match *m = aeh_match_new("(a+)+$", 0, &e);
    ck_assert_ptr_nonnull(m);
    char subject[64];
    memset(subject, 'a', sizeof subject - 1);
    subject[sizeof subject - 1] = 'b';
    ck_assert_int_eq(aeh_match_test(m, subject, sizeof subject, &e), -1);
    ck_assert_int_eq(e.code, EBADMSG);
    ck_assert_ptr_nonnull(strstr(e.msg, "match limit"));
    ck_assert_int_eq(aeh_match_test(m, S("aaa"), &e), 1);   /* still usable */
    aeh_match_free(m);
}
END_TEST

START_TEST(match_free_accepts_null_and_version_is_set)
{
    aeh_match_free(NULL);
    ck_assert_int_gt(strlen(aeh_match_version()), 0);
}
END_TEST

START_TEST(port_known)
{
    ck_assert(aeh_port_known("0"));
    ck_assert(aeh_port_known("65535"));
    ck_assert(!aeh_port_known("65536"));
    ck_assert(!aeh_port_known("12x"));
    ck_assert(!aeh_port_known(""));
    ck_assert(!aeh_port_known("no-such-service-aecat"));
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("match");
    TCase *t = tcase_create("match");
    tcase_set_timeout(t, 20);
    tcase_add_test(t, match_answers);
    tcase_add_test(t, match_allows_empty_patterns);
    tcase_add_test(t, match_bad_pattern_names_the_offset);
    tcase_add_test(t, match_utf_tolerates_invalid_bytes);
    tcase_add_test(t, match_limit_is_an_error);
    tcase_add_test(t, match_free_accepts_null_and_version_is_set);
    tcase_add_test(t, port_known);
    suite_add_tcase(s, t);
    return s;
}

UNIT_MAIN(make_suite)
