/* SPDX-License-Identifier: MIT */
/* The resp codec: every RESP2 and RESP3 type, attributes with their value,
 * streamed strings and aggregates, nesting, each at every split; the errors
 * at their byte; max_frame before a body is buffered; the depth limit; the
 * encoder's check.  resp-json: every type as JSON, and redis-cli lines as
 * commands (quotes, escapes, blank lines, errors at their byte). */
#include "codec_harness.h"

#define EXPECT(codec, lit, want) HARNESS_EXPECT(codec, lit, sizeof(lit) - 1, want)
#define EXPECT_N(codec, lit, want) HARNESS_EXPECT_N(codec, lit, sizeof(lit) - 1, want, sizeof(want) - 1)

static aeh_codec *resp(unsigned depth, size_t max_frame)
{
    aeh_error e;
    aeh_codec *c = aeh_codec_resp(depth, &e);
    ck_assert_msg(c != NULL, "%s", e.msg);
    ck_assert_int_eq(c->kind, AEH_CODEC_KIND_RESP);
    c->max_frame = max_frame;
    return c;
}

/* Values, one per frame: each alone is a frame of itself, and all of them
 * back to back are these frames in order, at every split. */
static const char *const values[] = {
    "+OK\r\n", "+\r\n", "-ERR unknown command\r\n", ":0\r\n", ":-42\r\n", ":+7\r\n",
    ":9223372036854775807\r\n", ":-9223372036854775808\r\n",
    "$5\r\nhello\r\n", "$0\r\n\r\n", "$-1\r\n", "$4\r\na\r\nb\r\n",
    "*0\r\n", "*-1\r\n", "*2\r\n$3\r\nfoo\r\n:1\r\n", "*2\r\n*1\r\n+a\r\n*0\r\n",
    "_\r\n", "#t\r\n", "#f\r\n", ",3.14\r\n", ",-1.5e-3\r\n", ",10\r\n", ",inf\r\n", ",-inf\r\n",
    ",nan\r\n", "(3492890328409238509324850943850943825024385\r\n", "(-1\r\n",
    "!21\r\nSYNTAX invalid syntax\r\n", "=15\r\ntxt:Some string\r\n",
    "%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n", "%0\r\n", "~3\r\n+a\r\n+b\r\n+c\r\n",
    ">3\r\n+message\r\n+channel\r\n+hi\r\n",
    "|1\r\n+key-popularity\r\n*2\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2039123\r\n:9543892\r\n",
    "|0\r\n:1\r\n", "|1\r\n+a\r\n+b\r\n|1\r\n+c\r\n+d\r\n+v\r\n",
    "*3\r\n:1\r\n|1\r\n+ttl\r\n:3\r\n:2\r\n:3\r\n",
    "$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;1\r\nd\r\n;0\r\n", "$?\r\n;0\r\n",
    "*?\r\n:1\r\n:2\r\n.\r\n", "*?\r\n.\r\n", "%?\r\n+a\r\n:1\r\n+b\r\n:2\r\n.\r\n",
    "~?\r\n+x\r\n|1\r\n+k\r\n+v\r\n+y\r\n.\r\n",
    "*2\r\n*?\r\n$?\r\n;1\r\nx\r\n;0\r\n.\r\n%1\r\n~?\r\n.\r\n>1\r\n_\r\n",
};

START_TEST(every_type_is_one_frame)
{
    aeh_codec *c = resp(0, 0);
    aeh_buf all = { 0 }, want = { 0 };
    size_t n = sizeof values / sizeof values[0];
    for (size_t k = 0; k < n; k++) {
        char one[512];
        snprintf(one, sizeof one, "%zu:%s,", strlen(values[k]), values[k]);
        HARNESS_EXPECT(c, values[k], strlen(values[k]), one);
        aeh_buf_append(&all, values[k], strlen(values[k]));
        aeh_buf_append(&want, one, strlen(one));
    }
    aeh_buf_append(&want, "", 1);
    HARNESS_EXPECT(c, aeh_buf_data(&all), aeh_buf_len(&all), (const char *)aeh_buf_data(&want));
    harness_roundtrip(c, values, n);
    aeh_buf_free(&all);
    aeh_buf_free(&want);
    aeh_codec_free(c);
}
END_TEST

typedef struct {
    const char *in;
    const char *frames;           /* the good frames before the error */
    int code;
    size_t offset;
} bad_case;

static const bad_case bad[] = {
    { "x", "", EBADMSG, 0 },                         /* unknown type byte */
    { "+OK\r\n\x01", "5:+OK\r\n,", EBADMSG, 5 },
    { ":12a\r\n", "", EBADMSG, 3 },                  /* not a digit */
    { ":99999999999999999999\r\n", "", EBADMSG, 19 }, /* past int64 */
    { ":\r\n", "", EBADMSG, 1 },
    { "$3\r\nabcX\r\n", "", EBADMSG, 7 },            /* bulk without its CRLF */
    { "$3\r\nabc\rX", "", EBADMSG, 8 },
    { "+OK\rX", "", EBADMSG, 4 },                    /* CR without LF */
    { "+O\nK\r\n", "", EBADMSG, 2 },                 /* LF in a simple string */
    { "$-2\r\n", "", EBADMSG, 1 },                   /* bad length */
    { "$1x\r\n", "", EBADMSG, 2 },
    { "$\r\n", "", EBADMSG, 1 },
    { "%-1\r\n", "", EBADMSG, 1 },                   /* null only for $ and * */
    { ">?\r\n", "", EBADMSG, 1 },                    /* no streamed push */
    { "!?\r\n", "", EBADMSG, 1 },
    { ".\r\n", "", EBADMSG, 0 },                     /* end outside a stream */
    { "*?\r\n:1\r\n|0\r\n.\r\n", "", EBADMSG, 12 },  /* end after an attribute */
    { "%?\r\n+a\r\n.\r\n", "", EBADMSG, 8 },         /* key without its value */
    { "$?\r\n;2\r\nab\r\n+x\r\n", "", EBADMSG, 12 }, /* a chunk expected */
    { ";1\r\nx\r\n", "", EBADMSG, 0 },               /* a chunk outside a string */
    { "#x\r\n", "", EBADMSG, 1 },
    { "#tt\r\n", "", EBADMSG, 2 },
    { "#\r\n", "", EBADMSG, 1 },
    { "_x\r\n", "", EBADMSG, 1 },
    { ",1.\r\n", "", EBADMSG, 3 },
    { ",e5\r\n", "", EBADMSG, 1 },
    { ",1e\r\n", "", EBADMSG, 3 },
    { "(1-2\r\n", "", EBADMSG, 2 },
    { "=3\r\nabc\r\n", "", EBADMSG, 7 },             /* verbatim without format */
    { "=5\r\ntxtXa\r\n", "", EBADMSG, 7 },
    { "*11111111111111111111111\r\n", "", EBADMSG, 22 }, /* header too long */
    { "*1\r\n", "", EBADMSG, 4 },                    /* truncated */
    { "$5\r\nab", "", EBADMSG, 6 },
    { ":1\r\n*2\r\n:1\r\n", "4::1\r\n,", EBADMSG, 12 },
    { "$?\r\n;1\r\na\r\n", "", EBADMSG, 11 },
};

START_TEST(errors_at_their_byte)
{
    aeh_codec *c = resp(0, 0);
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        harness_out o;
        harness_check_splits(c, bad[k].in, strlen(bad[k].in), &o);
        const char *want = harness_err(bad[k].frames, bad[k].code, bad[k].offset);
        ck_assert_msg(strcmp(harness_text(&o), want) == 0, "%zu '%s': got %s (%s), want %s", k,
                      bad[k].in, harness_text(&o), o.msg, want);
        harness_out_free(&o);
    }
    aeh_codec_free(c);
}
END_TEST

START_TEST(max_frame_before_the_body)
{
    aeh_codec *c = resp(0, 10);
    EXPECT(c, "$4\r\nabcd\r\n", "10:$4\r\nabcd\r\n,");            /* exactly the limit */
    EXPECT(c, "$5\r\n", harness_err("", ENOSPC, 1));             /* no body needed */
    EXPECT(c, "$99999999999\r\n", harness_err("", ENOSPC, 10));  /* the header passes it */
    EXPECT(c, "*3\r\n", harness_err("", ENOSPC, 1));             /* 3 elements cannot fit */
    EXPECT(c, "%2\r\n", harness_err("", ENOSPC, 1));
    EXPECT(c, "+aaaaaaaaaaaaaaa", harness_err("", ENOSPC, 10));
    EXPECT(c, "*2\r\n:1\r\n:12", harness_err("", ENOSPC, 10));
    EXPECT(c, "$?\r\n;4\r\nabcd\r\n", harness_err("", ENOSPC, 5));
    EXPECT(c, "+abcdefgh\r", harness_err("", ENOSPC, 10));   /* its LF cannot fit */
    aeh_codec_free(c);
}
END_TEST

START_TEST(depth_limit)
{
    aeh_codec *c = resp(2, 0);
    EXPECT(c, "*1\r\n*1\r\n:1\r\n", "12:*1\r\n*1\r\n:1\r\n,");
    EXPECT(c, "*1\r\n*1\r\n*1\r\n:1\r\n", harness_err("", EBADMSG, 8));
    EXPECT(c, "*1\r\n%?\r\n*?\r\n", harness_err("", EBADMSG, 8));
    EXPECT(c, "*1\r\n*1\r\n*0\r\n", "12:*1\r\n*1\r\n*0\r\n,");    /* empty: no level */
    aeh_codec_free(c);
    aeh_error e;
    ck_assert_ptr_null(aeh_codec_parse("resp:0", &e));
    ck_assert_int_eq(e.offset, 5);
    c = aeh_codec_parse("resp:2", &e);
    ck_assert_ptr_nonnull(c);
    EXPECT(c, "*1\r\n*1\r\n*1\r\n:1\r\n", harness_err("", EBADMSG, 8));
    aeh_codec_free(c);
}
END_TEST

START_TEST(encoder_sends_one_checked_value)
{
    aeh_codec *c = resp(0, 0);
    aeh_buf out = { 0 };
    aeh_error e;
    ck_assert_int_eq(harness_encode(c, "*1\r\n$4\r\nPING\r\n", 14, &out, &e), 0);
    ck_assert(harness_buf_is(&out, "*1\r\n$4\r\nPING\r\n", 14));
    static const char *const refused[] = { "", "PING", "+OK\r\n+OK\r\n", "*2\r\n:1\r\n", "+OK\n" };
    for (size_t k = 0; k < sizeof refused / sizeof refused[0]; k++) {
        ck_assert_msg(harness_encode(c, refused[k], strlen(refused[k]), &out, &e) == -1 &&
                      e.code == EINVAL, "'%s' accepted", refused[k]);
        ck_assert_uint_eq(aeh_buf_len(&out), 0);
    }
    ck_assert_int_eq(harness_encode(c, "+OK\r\n+OK\r\n", 10, &out, &e), -1);
    ck_assert_uint_eq(e.offset, 5);
    c->flags |= AEH_CODEC_TRUSTED;   /* frames from a resp decoder: not checked again */
    ck_assert_int_eq(harness_encode(c, "+OK\r\n", 5, &out, &e), 0);
    aeh_codec *other = resp(0, 0);
    c->flags = 0;
    ck_assert(aeh_codec_trust(c, other));
    aeh_codec_free(other);
    aeh_buf_free(&out);
    aeh_codec_free(c);
}
END_TEST

/* ------------------------------------------------------------ resp-json */

static const struct {
    const char *resp;
    const char *json;
} as_json[] = {
    { "+OK\r\n", "\"OK\"" },
    { "-ERR x\r\n", "{\"error\":\"ERR x\"}" },
    { "!7\r\nERR bad\r\n", "{\"error\":\"ERR bad\"}" },
    { ":-0042\r\n", "-42" }, { ":+7\r\n", "7" }, { ":0\r\n", "0" },
    { "$-1\r\n", "null" }, { "*-1\r\n", "null" }, { "_\r\n", "null" },
    { "$5\r\nhello\r\n", "\"hello\"" }, { "$0\r\n\r\n", "\"\"" },
    { "$3\r\n\xff\x00" "a\r\n", "{\"base64\":\"/wBh\"}" },
    { "$5\r\n\xc3\xa9t\xc3\xa9\r\n", "\"\xc3\xa9t\xc3\xa9\"" },
    { "$4\r\na\"\n\\\r\n", "\"a\\\"\\n\\\\\"" },
    { ",1.5e3\r\n", "1.5e3" }, { ",+00.5\r\n", "0.5" }, { ",inf\r\n", "\"inf\"" },
    { ",+inf\r\n", "\"inf\"" }, { ",-inf\r\n", "\"-inf\"" }, { ",nan\r\n", "\"nan\"" },
    { "(123456789012345678901234567890\r\n", "\"123456789012345678901234567890\"" },
    { "#t\r\n", "true" }, { "#f\r\n", "false" },
    { "=15\r\ntxt:Some string\r\n", "\"Some string\"" },
    { "*0\r\n", "[]" }, { "*2\r\n$3\r\nfoo\r\n:1\r\n", "[\"foo\",1]" },
    { "%2\r\n+a\r\n:1\r\n:2\r\n*1\r\n+x\r\n", "{\"a\":1,\"2\":[\"x\"]}" },
    { "%1\r\n$1\r\n\xff\r\n:1\r\n", "{\"{\\\"base64\\\":\\\"/w==\\\"}\":1}" },
    { "%0\r\n", "{}" }, { "~2\r\n:1\r\n:2\r\n", "[1,2]" },
    { ">2\r\n+m\r\n:1\r\n", "{\"push\":[\"m\",1]}" },
    { "|1\r\n+ttl\r\n:3\r\n+v\r\n", "{\"attribute\":{\"ttl\":3},\"value\":\"v\"}" },
    { "*2\r\n|1\r\n+k\r\n+v\r\n:1\r\n:2\r\n", "[{\"attribute\":{\"k\":\"v\"},\"value\":1},2]" },
    { "$?\r\n;2\r\nab\r\n;1\r\nc\r\n;0\r\n", "\"abc\"" }, { "$?\r\n;0\r\n", "\"\"" },
    { "*?\r\n:1\r\n*?\r\n.\r\n.\r\n", "[1,[]]" }, { "%?\r\n+a\r\n#f\r\n.\r\n", "{\"a\":false}" },
    { "~?\r\n+x\r\n.\r\n", "[\"x\"]" },
};

START_TEST(values_as_json_lines)
{
    aeh_error e;
    aeh_codec *c = aeh_codec_resp_json(&e);
    ck_assert_ptr_nonnull(c);
    aeh_buf out = { 0 };
    for (size_t k = 0; k < sizeof as_json / sizeof as_json[0]; k++) {
        size_t n = strlen(as_json[k].resp);
        if (as_json[k].resp[0] == '$' && as_json[k].resp[1] == '3' && as_json[k].resp[4] == '\xff')
            n = 9;                /* holds a NUL */
        ck_assert_msg(harness_encode(c, as_json[k].resp, n, &out, &e) == 0, "%zu: %s", k, e.msg);
        aeh_buf_append(&out, "", 1);
        char want[256];
        snprintf(want, sizeof want, "%s\n", as_json[k].json);
        ck_assert_msg(strcmp((const char *)aeh_buf_data(&out), want) == 0, "%zu: got %s want %s",
                      k, (const char *)aeh_buf_data(&out), want);
    }
    ck_assert_int_eq(harness_encode(c, "+OK", 3, &out, &e), -1);
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_int_eq(harness_encode(c, ":1\r\n:2\r\n", 8, &out, &e), -1);
    ck_assert_uint_eq(aeh_buf_len(&out), 0);
    aeh_buf_free(&out);
    aeh_codec_free(c);
}
END_TEST

START_TEST(command_lines)
{
    aeh_error e;
    aeh_codec *c = aeh_codec_resp_json(&e);
    EXPECT(c, "SET k v\n", "27:*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n,");
    EXPECT(c, "\n  \t\nPING\r\n\n", "14:*1\r\n$4\r\nPING\r\n,");
    EXPECT(c, "SET \"a b\" 'c\\'d' \"\"\n",
           "37:*4\r\n$3\r\nSET\r\n$3\r\na b\r\n$3\r\nc'd\r\n$0\r\n\r\n,");
    EXPECT(c, "\"\\x41\\n\\\"\\q\" 'x\\ny'\n", "24:*2\r\n$4\r\nA\n\"q\r\n$4\r\nx\\ny\r\n,");
    EXPECT(c, "a\"b c\" d\n", "21:*2\r\n$4\r\nab c\r\n$1\r\nd\r\n,");
    EXPECT(c, "PING\nGET \"unterminated\nPING\n", harness_err("14:*1\r\n$4\r\nPING\r\n,", EBADMSG, 9));
    EXPECT(c, "GET \"a\"b\n", harness_err("", EBADMSG, 7));
    EXPECT(c, "PING", harness_err("", EBADMSG, 4));      /* no line end */
    c->flags |= AEH_CODEC_PARTIAL_AT_EOF;
    EXPECT(c, "PING", "14:*1\r\n$4\r\nPING\r\n,");
    c->max_frame = 8;
    EXPECT(c, "GET abcdefgh\n", harness_err("", ENOSPC, 8));
    EXPECT(c, "a b c\n", harness_err("", ENOSPC, 5));      /* the command is longer */
    aeh_codec_free(c);

    aeh_buf out = { 0 };
    ck_assert_int_eq(aeh_resp_command("  ", 2, &out, &e), 0);
    ck_assert_uint_eq(aeh_buf_len(&out), 0);
    ck_assert_int_eq(aeh_resp_command("GET 'k", 6, &out, &e), -1);
    ck_assert_int_eq(e.code, EBADMSG);
    ck_assert_uint_eq(e.offset, 4);
    ck_assert_int_eq(aeh_resp_command("GET k", 5, &out, &e), 2);
    ck_assert(harness_buf_is(&out, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 20));
    aeh_buf_free(&out);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("frame_resp");
    TCase *t = tcase_create("resp");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, every_type_is_one_frame);
    tcase_add_test(t, errors_at_their_byte);
    tcase_add_test(t, max_frame_before_the_body);
    tcase_add_test(t, depth_limit);
    tcase_add_test(t, encoder_sends_one_checked_value);
    tcase_add_test(t, values_as_json_lines);
    tcase_add_test(t, command_lines);
    suite_add_tcase(s, t);
    return s;
}

UNIT_MAIN(make_suite)
