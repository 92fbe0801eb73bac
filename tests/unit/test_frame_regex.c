/* SPDX-License-Identifier: MIT */
/* The PCRE2 framings (line with a regex end marker, AnyEvent's regex read)
 * and the streaming matcher under them.  Every stream goes through
 * HARNESS_EXPECT: whole, cut at every byte, and in 1-byte reads, the same
 * frames and the same error at the same offset. */
#include <stdarg.h>
#include <stdio.h>
#include "codec_harness.h"
#include "rematch_int.h"

#define S(lit) (lit), (sizeof(lit) - 1)
/* HARNESS_EXPECT on a string literal. */
#define EXPECT(codec, lit, expect) HARNESS_EXPECT((codec), (lit), sizeof(lit) - 1, (expect))

/* The harness's error rendering, "E<code>@<offset>", after `frames`. */
static const char *with_error(const char *frames, int code, unsigned long long at)
{
    static char out[512];
    snprintf(out, sizeof out, "%sE%d@%llu", frames, code, at);
    return out;
}

static aeh_codec *line_re(const char *re)
{
    aeh_error e;
    aeh_codec *c = aeh_codec_line_re(re, NULL, 0, &e);
    ck_assert_msg(c != NULL, "line_re(%s): %s", re, e.msg);
    return c;
}

static aeh_codec *regex3(const char *accept, const char *reject, const char *skip)
{
    aeh_error e;
    aeh_codec *c = aeh_codec_regex(accept, reject, skip, &e);
    ck_assert_msg(c != NULL, "regex(%s): %s", accept, e.msg);
    return c;
}

/* ---------------------------------------------------------- line_re */

/* AnyEvent cuts "a\n" + "\nb\n" into "a", "", "b": its "\n+" matches what
 * is buffered.  Here a run of newlines is one marker at every split. */
START_TEST(line_greedy_marker_is_split_independent)
{
    aeh_codec *c = line_re("\\n+");
    EXPECT(c, ("a\n\n\nb\nc\n\n"), "1:a,1:b,1:c,");
    EXPECT(c, ("\n\nx\n"), "0:,1:x,");
    aeh_codec_free(c);
}
END_TEST

START_TEST(line_crlf_optional_cr)
{
    aeh_codec *c = line_re("\\r?\\n");
    EXPECT(c, ("a\r\nb\nc\r\r\n\n\r\n"), "1:a,1:b,2:c\r,0:,0:,");
    EXPECT(c, ("one\r\ntwo\r"), with_error("3:one,", EBADMSG, 9));
    aeh_codec_free(c);
}
END_TEST

START_TEST(line_multibyte_marker)
{
    aeh_codec *c = line_re("END\\r\\n");
    EXPECT(c, ("helloEND\r\nENDEND\r\nEEND\rEND\r\n"),
                   "5:hello,3:END,5:EEND\r,");
    EXPECT(c, ("xEND\r\nEN"), with_error("1:x,", EBADMSG, 8));
    aeh_codec_free(c);
}
END_TEST

START_TEST(line_alternation)
{
    aeh_codec *c = line_re("\\r\\n|\\n|;");
    EXPECT(c, ("a;b\nc\r\nd;;"), "1:a,1:b,1:c,1:d,0:,");
    aeh_codec_free(c);
    /* Leftmost-first alternation: "ab" is taken before "abc" is looked at,
     * whatever follows, so the choice does not wait for more bytes. */
    c = line_re("ab|abc");
    EXPECT(c, ("xabcyab"), "1:x,2:cy,");
    aeh_codec_free(c);
    /* The other order prefers the longer marker, and must wait for it. */
    c = line_re("abc|ab");
    EXPECT(c, ("xabcyabz"), with_error("1:x,1:y,", EBADMSG, 8));
    aeh_codec_free(c);
}
END_TEST

/* A lookbehind reads bytes before the match start; they stay in the
 * subject, so a partial match resumed later still sees them. */
START_TEST(line_lookbehind)
{
    aeh_codec *c = line_re("(?<=;)\\n");
    EXPECT(c, ("a;\nb\nc;\n;\n"), "2:a;,4:b\nc;,1:;,");
    aeh_codec_free(c);
    c = line_re("(?<!\\\\)\\n");       /* a backslash escapes the newline */
    EXPECT(c, ("a\\\nb\nc\n"), "4:a\\\nb,1:c,");
    aeh_codec_free(c);
}
END_TEST

/* (*UTF) treats invalid UTF-8 as characters that match nothing, and a
 * character cut by a read boundary is not an error. */
START_TEST(line_utf_with_invalid_bytes)
{
    aeh_codec *c = line_re("(*UTF)\\x{2028}");  /* U+2028 LINE SEPARATOR: e2 80 a8 */
    EXPECT(c, ("a\xe2\x80\xa8" "b\xff\xe2\x80\xa8" "\xe2\x80\xe2\x80\xa8" "\xc3\xa9\xe2\x80\xa8"),
                   "1:a,2:b\xff,2:\xe2\x80,2:\xc3\xa9,");
    aeh_codec_free(c);
    c = line_re("(*UTF)[^\\x00-\\x7f]");         /* any non-ASCII character */
    EXPECT(c, ("ab\xc3\xa9" "cd\xff\xfe" "e\xf0\x9f\x98\x80" "f"),
                   with_error("2:ab,5:cd\xff\xfe" "e,", EBADMSG, 14));
    aeh_codec_free(c);
}
END_TEST

START_TEST(line_partial_at_eof)
{
    aeh_codec *c = line_re("\\r?\\n");
    c->flags |= AEH_CODEC_PARTIAL_AT_EOF;
    EXPECT(c, ("a\nbc"), "1:a,2:bc,");
    EXPECT(c, ("a\n"), "1:a,");
    aeh_codec_free(c);
    /* The greedy marker settles at EOF: no empty line after it. */
    c = line_re("\\n+");
    c->flags |= AEH_CODEC_PARTIAL_AT_EOF;
    EXPECT(c, ("a\n\n"), "1:a,");
    aeh_codec_free(c);
    c = line_re("\\n+");
    EXPECT(c, ("a\n\nb"), with_error("1:a,", EBADMSG, 4));
    aeh_codec_free(c);
}
END_TEST

START_TEST(line_max_frame)
{
    aeh_codec *c = line_re("\\r?\\n");
    c->max_frame = 4;
    EXPECT(c, ("abcd\r\nab\nabcde\n"), with_error("4:abcd,2:ab,", ENOSPC, 9 + 4));
    EXPECT(c, ("abcdefghijklmnop"), with_error("", ENOSPC, 4));
    /* Known too long before any marker arrives. */
    aeh_dstate st;
    memset(&st, 0, sizeof st);
    aeh_span f;
    size_t used = 0;
    aeh_error e;
    ck_assert_int_eq(c->decode(c, &st, (const uint8_t *)"abcdef", 6, false, &f, &used, &e),
                     AEH_DEC_ERROR);
    ck_assert_int_eq(e.code, ENOSPC);
    aeh_codec_free(c);
}
END_TEST

START_TEST(line_constructor_errors)
{
    aeh_error e;
    const char *empty[] = { "\\n*", "a?", "(?=a)", "\\b", "(?<=a)", "x*|y", "$", "(?=a)", "(?<=a)(?=b)" };
    for (size_t i = 0; i < sizeof empty / sizeof *empty; i++) {
        memset(&e, 0, sizeof e);
        ck_assert_ptr_null(aeh_codec_line_re(empty[i], NULL, 0, &e));
        ck_assert_int_eq(e.code, EINVAL);
        ck_assert_msg(strstr(e.msg, "pattern can match the empty string"), "%s: %s", empty[i],
                      e.msg);
    }
    ck_assert_ptr_null(aeh_codec_line_re("ab(c", NULL, 0, &e));
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_int_eq(e.offset, 4);
    ck_assert_msg(strstr(e.msg, "offset 4") && strstr(e.msg, "missing closing parenthesis"),
                  "%s", e.msg);
    ck_assert_ptr_null(aeh_codec_line_re("a[b", NULL, 0, &e));
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_int_eq(e.offset, 3);
    ck_assert_ptr_null(aeh_codec_line_re("x", "", 0, &e));
    ck_assert_int_eq(e.code, EINVAL);
    /* \K may empty the marker, but the match still consumes a byte. */
    aeh_codec *c = line_re("a\\K\\n");
    EXPECT(c, ("xa\nya\n"), "2:xa,2:ya,");
    aeh_codec_free(c);
}
END_TEST

static int encode(aeh_codec *c, const char *p, size_t n, aeh_buf *out, aeh_error *e)
{
    return c->encode(c, (const uint8_t *)p, n, out, e);
}

START_TEST(line_encoder_reads_back)
{
    aeh_error e;
    aeh_buf out = { 0 };
    aeh_codec *c = line_re("\\r?\\n");
    ck_assert_int_eq(encode(c, S("abc"), &out, &e), 0);
    ck_assert_int_eq(encode(c, S(""), &out, &e), 0);
    ck_assert_int_eq(encode(c, S("x\ty"), &out, &e), 0);
    ck_assert_int_eq(encode(c, S("a\nb"), &out, &e), -1);
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_int_eq(e.offset, 1);
    ck_assert_int_eq(encode(c, S("a\r"), &out, &e), -1);   /* "\r\n" would eat the \r */
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_uint_eq(aeh_buf_len(&out), 9);              /* refused frames left nothing */
    HARNESS_EXPECT(c, aeh_buf_data(&out), aeh_buf_len(&out), "3:abc,0:,3:x\ty,");
    aeh_codec_free(c);

    c = aeh_codec_line_re("\\r\\n", "\n", 1, &e);          /* a marker it cannot read */
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(encode(c, S("x"), &out, &e), -1);
    ck_assert_int_eq(e.code, EINVAL);
    aeh_codec_free(c);

    aeh_buf_clear(&out);
    c = aeh_codec_line_re("END\\r\\n|\\n", "END\r\n", 5, &e);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(encode(c, S("one"), &out, &e), 0);
    ck_assert_int_eq(encode(c, S("tw"), &out, &e), 0);
    ck_assert_int_eq(encode(c, S("EN"), &out, &e), 0);
    ck_assert_int_eq(encode(c, S("xEND\r"), &out, &e), 0);  /* reads back: "\rEND" is no marker */
    ck_assert_int_eq(encode(c, S("xEND\r\ny"), &out, &e), -1);
    ck_assert_int_eq(e.offset, 1);
    HARNESS_EXPECT(c, aeh_buf_data(&out), aeh_buf_len(&out), "3:one,2:tw,2:EN,5:xEND\r,");
    c->max_frame = 2;
    ck_assert_int_eq(encode(c, S("one"), &out, &e), -1);
    ck_assert_int_eq(e.code, EMSGSIZE);
    aeh_codec_free(c);
    aeh_buf_free(&out);
}
END_TEST

/* ---------------------------------------------------------- regex */

START_TEST(regex_frame_includes_match)
{
    aeh_codec *c = regex3("\\n+", NULL, NULL);
    EXPECT(c, ("a\n\nb\n"), "3:a\n\n,2:b\n,");
    EXPECT(c, ("a\nb"), with_error("2:a\n,", EBADMSG, 3));
    aeh_codec_free(c);
    c = regex3("\\r\\n\\r\\n", NULL, NULL);
    EXPECT(c, ("GET / HTTP/1.0\r\nHost: x\r\n\r\nGET /\r\n\r\n"),
                   "27:GET / HTTP/1.0\r\nHost: x\r\n\r\n,9:GET /\r\n\r\n,");
    aeh_codec_free(c);
}
END_TEST

/* The manual's example: a decimal number and whitespace, anything else
 * refused at once rather than waited for. */
START_TEST(regex_reject)
{
    aeh_codec *c = regex3("^[0-9]+\\s", "[^0-9]", NULL);
    /* The " " that ends the accept match is a reject match too, but not
     * one before the accept match. */
    EXPECT(c, ("123 45\n6x7 "), with_error("4:123 ,3:45\n,", EBADMSG, 8));
    aeh_error e;
    aeh_dstate st;
    memset(&st, 0, sizeof st);
    aeh_span f;
    size_t used = 0;
    ck_assert_int_eq(c->decode(c, &st, (const uint8_t *)"12x", 3, false, &f, &used, &e),
                     AEH_DEC_ERROR);      /* no need to wait for the stream to end */
    ck_assert_int_eq(e.code, EBADMSG);
    ck_assert_int_eq(e.offset, 2);
    ck_assert_msg(strstr(e.msg, "reject"), "%s", e.msg);
    ck_assert_int_eq(e.reason, AEH_REASON_REJECTED);
    aeh_codec_free(c);
    /* AnyEvent passes "xa" when it arrives whole and refuses it in two
     * reads; here the earlier reject match wins at every split. */
    c = regex3("a", "x", NULL);
    EXPECT(c, ("bab xa"), with_error("2:ba,", EBADMSG, 4));
    aeh_codec_free(c);
    /* A reject match that may still start before the accept match holds
     * the frame until it is settled. */
    c = regex3("\\n", "<[^>]*>", NULL);
    EXPECT(c, ("a<b\nc>\n"), with_error("", EBADMSG, 1));
    EXPECT(c, ("ab\nc<d>\n"), with_error("3:ab\n,", EBADMSG, 4));
    EXPECT(c, ("a<b\nc\n"), "4:a<b\n,2:c\n,");
    aeh_codec_free(c);
}
END_TEST

/* Skip moves the start of what accept and reject see, as AnyEvent drops the
 * skipped bytes from its buffer: "^b" then matches after the a's. */
START_TEST(regex_skip)
{
    aeh_codec *c = regex3("^b", NULL, "a+");
    EXPECT(c, ("aaabab"), "4:aaab,2:ab,");
    aeh_codec_free(c);
    c = regex3("^b", NULL, NULL);
    EXPECT(c, ("aab"), with_error("", EBADMSG, 3));
    aeh_codec_free(c);
    /* The manual's header example: skip whatever cannot end the header. */
    c = regex3("\\r\\n\\r\\n", NULL, "(?s)^.*[^\\r\\n]");
    EXPECT(c, ("GET / HTTP/1.0\r\nHost: x\r\n\r\nGET /\r\n\r\n"),
                   "27:GET / HTTP/1.0\r\nHost: x\r\n\r\n,9:GET /\r\n\r\n,");
    aeh_codec_free(c);
    /* Reject, like accept, matches from the end of the skipped bytes. */
    c = regex3("^b", "^x", "a+");
    EXPECT(c, ("aabaxb"), with_error("3:aab,", EBADMSG, 4));
    aeh_codec_free(c);
}
END_TEST

START_TEST(regex_max_frame_and_eof)
{
    aeh_codec *c = regex3("\\n", NULL, NULL);
    c->max_frame = 5;
    EXPECT(c, ("abcd\nabcde\n"), with_error("5:abcd\n,", ENOSPC, 5 + 5));
    EXPECT(c, ("abcdefgh"), with_error("", ENOSPC, 5));
    c->flags |= AEH_CODEC_PARTIAL_AT_EOF;
    EXPECT(c, ("a\nbc"), "2:a\n,2:bc,");
    aeh_codec_free(c);
    /* A reject beyond max_frame loses to the length. */
    c = regex3("\\n", "x", NULL);
    c->max_frame = 3;
    EXPECT(c, ("abcdx\n"), with_error("", ENOSPC, 3));
    EXPECT(c, ("abx\n"), with_error("", EBADMSG, 2));
    aeh_codec_free(c);
    /* A partial match that keeps growing is bounded by max_frame too,
     * at every split (it used to buffer without end). */
    c = regex3("x*+y", NULL, NULL);
    c->max_frame = 5;
    EXPECT(c, ("xxxxxxxxxx"), with_error("", ENOSPC, 5));
    EXPECT(c, ("xxxxxy"), with_error("", ENOSPC, 5));
    EXPECT(c, ("xxxxy"), "5:xxxxy,");
    EXPECT(c, ("xyxxxxxxxx"), with_error("2:xy,", ENOSPC, 2 + 5));
    aeh_codec_free(c);
}
END_TEST

START_TEST(regex_constructor_errors)
{
    aeh_error e;
    ck_assert_ptr_null(aeh_codec_regex(NULL, NULL, NULL, &e));
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_ptr_null(aeh_codec_regex("\\n", "x*", NULL, &e));
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_msg(strstr(e.msg, "reject") && strstr(e.msg, "empty"), "%s", e.msg);
    ck_assert_ptr_null(aeh_codec_regex("\\n", NULL, "(?:", &e));
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_int_eq(e.offset, 3);
    ck_assert_ptr_null(aeh_codec_regex("+", NULL, NULL, &e));
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_int_eq(e.offset, 0);
}
END_TEST

START_TEST(regex_encoder)
{
    aeh_error e;
    aeh_buf out = { 0 };
    aeh_codec *c = regex3("\\n", "^#", NULL);
    ck_assert_int_eq(encode(c, S("abc\n"), &out, &e), 0);
    ck_assert_int_eq(encode(c, S("abc"), &out, &e), -1);
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_int_eq(encode(c, S("a\nb\n"), &out, &e), -1);   /* would read as two */
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_int_eq(encode(c, S("#a\n"), &out, &e), -1);     /* the reader refuses it */
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_int_eq(encode(c, S("a#\n"), &out, &e), 0);
    HARNESS_EXPECT(c, aeh_buf_data(&out), aeh_buf_len(&out), "4:abc\n,3:a#\n,");
    aeh_codec_free(c);
    aeh_buf_free(&out);
}
END_TEST

/* ---------------------------------------------------------- limits, work */

/* (a+)+b backtracks 2^n ways on a run of a's that does not end in b: the
 * limit turns that into an error instead of a hang. */
START_TEST(catastrophic_pattern_hits_the_limit)
{
    char in[64];
    memset(in, 'a', 40);
    in[40] = 'c';
    aeh_error e;
    aeh_codec *c = regex3("(a+)+b", NULL, NULL);
    ck_assert_int_eq(aeh__codec_regex_set_limits(c, 20000, 1000, 1024, &e), 0);
    HARNESS_EXPECT(c, in, 41, with_error("", EBADMSG, 0));
    harness_out o;
    harness_decode(c, in, 41, &o);
    ck_assert_msg(strstr(o.msg, "match limit exceeded"), "%s", o.msg);
    harness_out_free(&o);
    aeh_codec_free(c);
    /* The default limits stop it too. */
    c = line_re("(a+)+b");
    harness_decode(c, in, 41, &o);
    ck_assert_int_eq(o.error, EBADMSG);
    ck_assert_msg(strstr(o.msg, "line: match limit exceeded"), "%s", o.msg);
    harness_out_free(&o);
    aeh__codec_regex_set_limits(c, 20000, 0, 0, &e);
    HARNESS_EXPECT(c, in, 41, with_error("", EBADMSG, 0));
    aeh_codec_free(c);
    aeh_codec *raw = aeh_codec_raw();
    ck_assert_int_eq(aeh__codec_regex_set_limits(raw, 1, 1, 1, &e), -1);
    aeh_codec_free(raw);
}
END_TEST

/* A reject, a frame cut by the end of the stream and other malformed data
 * are all EBADMSG: the reason tells them apart, not the message. */
static int decode_whole(const aeh_codec *c, const char *in, bool eof, aeh_error *e)
{
    aeh_dstate st;
    memset(&st, 0, sizeof st);
    memset(e, 0, sizeof *e);
    aeh_span f;
    size_t used = 0;
    int rc = c->decode(c, &st, (const uint8_t *)in, strlen(in), eof, &f, &used, e);
    aeh_buf_free(&st.out);
    return rc;
}

START_TEST(ebadmsg_errors_carry_their_reason)
{
    aeh_error e;
    aeh_codec *c = regex3("\\n", "ERR", NULL);
    ck_assert_int_eq(decode_whole(c, "an ERR\n", false, &e), AEH_DEC_ERROR);
    ck_assert_int_eq(e.code, EBADMSG);
    ck_assert_int_eq(e.reason, AEH_REASON_REJECTED);
    ck_assert_int_eq(decode_whole(c, "cut", true, &e), AEH_DEC_ERROR);
    ck_assert_int_eq(e.code, EBADMSG);
    ck_assert_int_eq(e.reason, AEH_REASON_TRUNCATED);
    aeh_codec_free(c);
    c = line_re("\\n");
    ck_assert_int_eq(decode_whole(c, "cut", true, &e), AEH_DEC_ERROR);
    ck_assert_int_eq(e.reason, AEH_REASON_TRUNCATED);
    aeh_codec_free(c);
    c = aeh_codec_netstring(&e);
    ck_assert_int_eq(decode_whole(c, "3:ab", true, &e), AEH_DEC_ERROR);
    ck_assert_int_eq(e.reason, AEH_REASON_TRUNCATED);
    ck_assert_int_eq(decode_whole(c, "3:abc;", false, &e), AEH_DEC_ERROR);
    ck_assert_int_eq(e.code, EBADMSG);
    ck_assert_int_eq(e.reason, AEH_REASON_NONE);
    aeh_codec_free(c);
}
END_TEST

/* An encoder whose read-back search blows its limit says so in its own
 * words, the search's message intact after them (it was formatted into
 * itself, overlapping, and came out garbled). */
START_TEST(encoder_limit_error_keeps_the_search_message)
{
    char in[64];
    memset(in, 'a', 40);
    in[40] = 'c';
    aeh_error e;
    aeh_buf out = {0};
    aeh_codec *c = regex3("(a+)+[bd]", NULL, NULL);
    ck_assert_int_eq(aeh__codec_regex_set_limits(c, 20000, 1000, 1024, &e), 0);
    ck_assert_int_eq(harness_encode(c, in, 41, &out, &e), -1);
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_str_eq(e.msg, "regex: cannot check the frame: regex: match limit exceeded");
    aeh_codec_free(c);
    c = regex3("c", "(a+)+[bd]", NULL);     /* the accept matches; the reject search blows */
    ck_assert_int_eq(aeh__codec_regex_set_limits(c, 20000, 1000, 1024, &e), 0);
    ck_assert_int_eq(harness_encode(c, in, 41, &out, &e), -1);
    ck_assert_str_eq(e.msg, "regex: cannot check the frame: regex reject: match limit exceeded");
    aeh_codec_free(c);
    c = line_re("(a+)+[bd]");
    ck_assert_int_eq(aeh__codec_regex_set_limits(c, 20000, 1000, 1024, &e), 0);
    ck_assert_int_eq(harness_encode(c, in, 40, &out, &e), -1);
    ck_assert_str_eq(e.msg, "line: cannot check the frame: line: match limit exceeded");
    ck_assert_uint_eq(aeh_buf_len(&out), 0);
    aeh_codec_free(c);
    aeh_buf_free(&out);
}
END_TEST

/* 1 MB without a marker in 1-byte reads: each call may look only at the new
 * byte plus what a marker split by the read needs, so the searched-again
 * part (len - scan after the call) stays below the marker's length and the
 * total work is linear.  (Checked by position, not by time.) */
static void feed_bytewise(aeh_codec *c, const uint8_t *in, size_t n, size_t max_behind,
                          bool check_reject, size_t *worst)
{
    aeh_dstate st;
    memset(&st, 0, sizeof st);
    *worst = 0;
    for (size_t len = 1; len <= n; len++) {
        aeh_span f;
        size_t used = 0;
        aeh_error e;
        int rc = c->decode(c, &st, in, len, false, &f, &used, &e);
        /* Plain ifs: each ck_assert is a write to libcheck's pipe. */
        if (rc != AEH_DEC_MORE || used != 0)
            ck_abort_msg("%s: rc %d, consumed %zu after %zu", c->name, rc, used, len);
        size_t behind = len - st.scan;
        if (behind > *worst)
            *worst = behind;
        if (behind > max_behind)
            ck_abort_msg("%s: %zu bytes behind after %zu", c->name, behind, len);
        /* the reject matcher resumes too */
        if (check_reject && len - st.u[0] > max_behind)
            ck_abort_msg("%s: reject %zu bytes behind after %zu", c->name,
                         (size_t)(len - st.u[0]), len);
    }
}

START_TEST(linear_work_without_a_marker)
{
    size_t n = 1 << 20, worst;
    uint8_t *in = malloc(n);
    for (size_t i = 0; i < n; i++)
        in[i] = "ENDxyz\r"[i % 7];           /* prefixes of the marker, never all of it */
    aeh_codec *c = line_re("END\\r\\n");
    feed_bytewise(c, in, n, 4, false, &worst);
    ck_assert_uint_ge(worst, 1);             /* partial matches were held */
    aeh_codec_free(c);
    c = line_re("\\r?\\n");
    feed_bytewise(c, in, n, 1, false, &worst);
    aeh_codec_free(c);
    c = regex3("\\r\\n\\r\\n", "\\rEND[^x]", NULL);
    feed_bytewise(c, in, n, 4, true, &worst);
    ck_assert_uint_ge(worst, 1);
    aeh_codec_free(c);
    /* And the whole megabyte in one read: one search, then EOF. */
    c = line_re("END\\r\\n");
    c->flags |= AEH_CODEC_PARTIAL_AT_EOF;
    harness_out o;
    harness_decode(c, in, n, &o);
    ck_assert_int_eq(o.frames, 1);
    ck_assert_uint_le(o.calls, 3);
    harness_out_free(&o);
    aeh_codec_free(c);
    free(in);
}
END_TEST

/* ---------------------------------------------------------- rematch */

START_TEST(rematch_streaming_search)
{
    aeh_error e;
    rematch *rm = aeh__rematch_new("t", S("(?<=ab)cd"), 0, &e);
    ck_assert_ptr_nonnull(rm);
    const uint8_t *s = (const uint8_t *)"xxabcd";
    size_t resume = 0, start, end;
    ck_assert_int_eq(aeh__rematch_find(rm, s, 5, &resume, false, &start, &end, &e), REMATCH_MORE);
    ck_assert_uint_eq(resume, 4);            /* the partial "c", its lookbehind before it */
    ck_assert_int_eq(aeh__rematch_find(rm, s, 6, &resume, false, &start, &end, &e), REMATCH_FOUND);
    ck_assert_uint_eq(start, 4);
    ck_assert_uint_eq(end, 6);
    resume = 0;
    ck_assert_int_eq(aeh__rematch_find(rm, s, 3, &resume, false, &start, &end, &e), REMATCH_MORE);
    ck_assert_uint_eq(resume, 3);            /* nothing can start before the end */
    ck_assert_int_eq(aeh__rematch_search(rm, s, 6, 0, &start, &end, &e), REMATCH_FOUND);
    ck_assert_int_eq(aeh__rematch_search(rm, s, 5, 0, &start, &end, &e), REMATCH_MORE);
    aeh__rematch_free(rm);

    rm = aeh__rematch_new("t", S("\\n+"), REMATCH_SOFT, &e);
    s = (const uint8_t *)"ab\n\n";
    resume = 0;
    ck_assert_int_eq(aeh__rematch_find(rm, s, 4, &resume, false, &start, &end, &e), REMATCH_MORE);
    ck_assert_uint_eq(resume, 2);
    ck_assert_int_eq(aeh__rematch_find(rm, s, 4, &resume, true, &start, &end, &e), REMATCH_FOUND);
    ck_assert_uint_eq(end, 4);
    resume = 0;
    ck_assert_int_eq(aeh__rematch_find_soft(rm, s, 3, &resume, &start, &end, &e), REMATCH_FOUND);
    ck_assert_uint_eq(end, 3);
    aeh__rematch_free(rm);

    /* A NUL inside the pattern's length is part of it. */
    rm = aeh__rematch_new("t", "a\0b", 3, 0, &e);
    ck_assert_ptr_nonnull(rm);
    ck_assert_int_eq(aeh__rematch_search(rm, (const uint8_t *)"xa\0b", 4, 0, &start, &end, &e),
                     REMATCH_FOUND);
    ck_assert_uint_eq(start, 1);
    aeh__rematch_free(rm);
    aeh__rematch_free(NULL);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("frame_regex");
    TCase *t = tcase_create("regex");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, line_greedy_marker_is_split_independent);
    tcase_add_test(t, line_crlf_optional_cr);
    tcase_add_test(t, line_multibyte_marker);
    tcase_add_test(t, line_alternation);
    tcase_add_test(t, line_lookbehind);
    tcase_add_test(t, line_utf_with_invalid_bytes);
    tcase_add_test(t, line_partial_at_eof);
    tcase_add_test(t, line_max_frame);
    tcase_add_test(t, line_constructor_errors);
    tcase_add_test(t, line_encoder_reads_back);
    tcase_add_test(t, regex_frame_includes_match);
    tcase_add_test(t, regex_reject);
    tcase_add_test(t, regex_skip);
    tcase_add_test(t, regex_max_frame_and_eof);
    tcase_add_test(t, regex_constructor_errors);
    tcase_add_test(t, regex_encoder);
    tcase_add_test(t, catastrophic_pattern_hits_the_limit);
    tcase_add_test(t, encoder_limit_error_keeps_the_search_message);
    tcase_add_test(t, ebadmsg_errors_carry_their_reason);
    tcase_add_test(t, linear_work_without_a_marker);
    tcase_add_test(t, rematch_streaming_search);
    suite_add_tcase(s, t);
    return s;
}

UNIT_MAIN(make_suite)
