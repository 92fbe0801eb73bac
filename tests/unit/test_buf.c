/* SPDX-License-Identifier: MIT */
/* aeh_buf: append at the tail, consume at the head, reserve/commit, and the
 * gap at the head reclaimed so a steady stream does not grow the buffer. */
#include <signal.h>
#include "unit.h"

START_TEST(append_and_consume)
{
    aeh_buf b = { 0 };
    ck_assert_uint_eq(aeh_buf_len(&b), 0);
    ck_assert_int_eq(aeh_buf_append(&b, "hello", 5), 0);
    ck_assert_int_eq(aeh_buf_append(&b, " world", 6), 0);
    ck_assert_uint_eq(aeh_buf_len(&b), 11);
    ck_assert_int_eq(memcmp(aeh_buf_data(&b), "hello world", 11), 0);
    aeh_buf_consume(&b, 6);
    ck_assert_uint_eq(aeh_buf_len(&b), 5);
    ck_assert_int_eq(memcmp(aeh_buf_data(&b), "world", 5), 0);
    aeh_buf_consume(&b, 5);
    ck_assert_uint_eq(aeh_buf_len(&b), 0);
    ck_assert_uint_eq(b.head, 0);   /* emptied: the next append starts at the base */
    aeh_buf_free(&b);
    ck_assert_ptr_null(b.base);
}
END_TEST

START_TEST(append_nothing_allocates_nothing)
{
    aeh_buf b = { 0 };
    ck_assert_int_eq(aeh_buf_append(&b, NULL, 0), 0);
    ck_assert_ptr_null(b.base);
    aeh_buf_free(&b);
}
END_TEST

START_TEST(reserve_then_commit)
{
    aeh_buf b = { 0 };
    uint8_t *p = aeh_buf_reserve(&b, 1000);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_ge(b.cap - b.tail, 1000);
    memset(p, 'x', 10);
    aeh_buf_commit(&b, 10);
    ck_assert_uint_eq(aeh_buf_len(&b), 10);
    ck_assert_int_eq(aeh_buf_data(&b)[9], 'x');
    aeh_buf_clear(&b);
    ck_assert_uint_eq(aeh_buf_len(&b), 0);
    ck_assert_ptr_nonnull(b.base);  /* clear keeps the memory */
    aeh_buf_free(&b);
}
END_TEST

START_TEST(growth_keeps_content)
{
    aeh_buf b = { 0 };
    for (unsigned i = 0; i < 100000; i++) {
        uint8_t byte = (uint8_t)(i * 7);
        ck_assert_int_eq(aeh_buf_append(&b, &byte, 1), 0);
    }
    aeh_buf_consume(&b, 3);
    ck_assert_int_eq(aeh_buf_append(&b, "tail", 4), 0);
    for (unsigned i = 3; i < 100000; i++)
        ck_assert_uint_eq(aeh_buf_data(&b)[i - 3], (uint8_t)(i * 7));
    ck_assert_int_eq(memcmp(aeh_buf_data(&b) + 99997, "tail", 4), 0);
    aeh_buf_free(&b);
}
END_TEST

/* A producer appending what a consumer eats reuses the consumed gap. */
START_TEST(steady_stream_stays_bounded)
{
    aeh_buf b = { 0 };
    char chunk[100];
    memset(chunk, 'a', sizeof chunk);
    for (int i = 0; i < 100000; i++) {
        ck_assert_int_eq(aeh_buf_append(&b, chunk, sizeof chunk), 0);
        aeh_buf_consume(&b, i % 2 ? sizeof chunk + 1 : sizeof chunk - 1);
    }
    ck_assert_uint_le(b.cap, 1024);
    aeh_buf_free(&b);
}
END_TEST

START_TEST(partial_consume_then_compaction)
{
    aeh_buf b = { 0 };
    char big[200];
    memset(big, 'b', sizeof big);
    ck_assert_int_eq(aeh_buf_append(&b, big, sizeof big), 0);
    size_t cap = b.cap;
    aeh_buf_consume(&b, 190);
    ck_assert_int_eq(aeh_buf_append(&b, "0123456789012345678901234567890123456789012345678901234567890123456789", 70), 0);
    ck_assert_uint_eq(b.cap, cap);  /* the gap was reused, not grown into */
    ck_assert_uint_eq(aeh_buf_len(&b), 80);
    ck_assert_int_eq(aeh_buf_data(&b)[9], 'b');
    ck_assert_int_eq(aeh_buf_data(&b)[10], '0');
    aeh_buf_free(&b);
}
END_TEST

/* Past the data or past the reserve, the buffer would read or write outside
 * its memory: an assert stops it, on in normal builds (no NDEBUG).  Each
 * runs in check's own child process, which must die of SIGABRT. */
/* Formatted text is appended whole, however long, with no NUL after it. */
START_TEST(printf_appends_whole)
{
    aeh_buf b = { 0 };
    ck_assert_int_eq(aeh_buf_printf(&b, "%s", ""), 0);
    ck_assert_uint_eq(aeh_buf_len(&b), 0);
    ck_assert_int_eq(aeh_buf_printf(&b, "a%dz", 42), 0);
    ck_assert_uint_eq(aeh_buf_len(&b), 4);
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    ck_assert_int_eq(aeh_buf_printf(&b, "[%s]", big), 0);
    ck_assert_uint_eq(aeh_buf_len(&b), 4 + 2 + sizeof big - 1);
    ck_assert_int_eq(memcmp(aeh_buf_data(&b), "a42z[xx", 7), 0);
    ck_assert_int_eq(aeh_buf_data(&b)[aeh_buf_len(&b) - 1], ']');
    aeh_buf_free(&b);
}
END_TEST

START_TEST(consume_past_the_data_aborts)
{
    aeh_buf b = { 0 };
    ck_assert_int_eq(aeh_buf_append(&b, "abc", 3), 0);
    aeh_buf_consume(&b, 4);
}
END_TEST

START_TEST(commit_past_the_reserve_aborts)
{
    aeh_buf b = { 0 };
    ck_assert_ptr_nonnull(aeh_buf_reserve(&b, 8));
    aeh_buf_commit(&b, b.cap + 1);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("buf");
    TCase *t = tcase_create("buf");
    tcase_add_test(t, append_and_consume);
    tcase_add_test(t, append_nothing_allocates_nothing);
    tcase_add_test(t, reserve_then_commit);
    tcase_add_test(t, growth_keeps_content);
    tcase_add_test(t, steady_stream_stays_bounded);
    tcase_add_test(t, partial_consume_then_compaction);
    tcase_add_test(t, printf_appends_whole);
    tcase_add_test_raise_signal(t, consume_past_the_data_aborts, SIGABRT);
    tcase_add_test_raise_signal(t, commit_past_the_reserve_aborts, SIGABRT);
    suite_add_tcase(s, t);
    return s;
}

UNIT_MAIN(make_suite)
