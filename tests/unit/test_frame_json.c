/* SPDX-License-Identifier: MIT */
/* The json codec: a table of valid and invalid texts (each frame and each
 * error offset the same at every split), back-to-back texts, whitespace,
 * UTF-8 and \u surrogates across reads, the depth limit, max_frame, and
 * the encoder (validation, compact output, round trip). */
#include "codec_harness.h"

#define S(lit) (lit), sizeof(lit) - 1
#define EXPECT(codec, lit, want) HARNESS_EXPECT(codec, lit, sizeof(lit) - 1, want)

static aeh_codec *json(unsigned depth, size_t max)
{
    aeh_error e;
    aeh_codec *c = aeh_codec_json(depth, &e);
    ck_assert_ptr_nonnull(c);
    c->max_frame = max;
    return c;
}

/* in (len 0: strlen); frames: the rendering of the frames before the error,
 * NULL: the whole input is one frame; code 0: no error. */
typedef struct {
    const char *in;
    size_t len;
    const char *frames;
    int code;
    unsigned off;
} json_case;

#define OK(s) { s, 0, NULL, 0, 0 }
#define OKN(s) { s, sizeof(s) - 1, NULL, 0, 0 }
#define FR(s, f) { s, 0, f, 0, 0 }
#define BAD(s, o) { s, 0, "", EBADMSG, o }
#define BADN(s, o) { s, sizeof(s) - 1, "", EBADMSG, o }
#define FRBAD(s, f, o) { s, 0, f, EBADMSG, o }

static const json_case cases[] = {
    /* valid single texts */
    OK("{}"), OK("[]"), OK("0"), OK("-0"), OK("123"), OK("-12.5e+3"), OK("1E5"),
    OK("0.0001"), OK("1e-0"), OK("0e10"), OK("-0.0E-00"), OK("true"), OK("false"),
    OK("null"), OK("\"\""), OK("\"abc\""), OK("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""),
    OK("\"\\u00e9\\u0000\\uFFFF\""), OK("\"\\ud83d\\ude00\""), OK("\"\\uDBFF\\uDFFF\""),
    OK("\"\xc3\xa9\""), OK("\"\xe2\x82\xac\""), OK("\"\xf0\x9f\x98\x80\""),
    OK("\"\xf4\x8f\xbf\xbf\""), OK("\"\xed\x9f\xbf\""), OK("\"\xee\x80\x80\""),
    OK("\"\x7f\""), OK("\"\xdf\xbf\xe0\xa0\x80\xf0\x90\x80\x80\""),
    OK("[1,2,3]"), OK("{\"a\":1,\"b\":[true,false,null],\"c\":{}}"),
    OK("[[[[[]]]]]"), OK("[{\"\":[{}]}]"), OK("{\"k\\u0022\":\"v\"}"),
    OK("[ 1 ,\t2 ,\n3\r]"), OK("{ \"a\" : [ ] , \"b\" : { } }"),
    OK("[-1.0e+10,0,0.5,1E-2]"),
    /* leading and trailing whitespace is not part of a frame */
    FR(" [ 1 , { \"a\" : 2 } ] ", "19:[ 1 , { \"a\" : 2 } ],"),
    FR("  \n\t\r ", ""), FR("", ""),
    FR(" 1 \n [ ] \n", "1:1,3:[ ],"),
    /* back to back: objects and arrays may touch what follows; after a
     * scalar text whitespace must come */
    FR("{}[]1 2 \"x\"\ntrue", "2:{},2:[],1:1,1:2,3:\"x\",4:true,"),
    FR("[1]{}\"s\" 7", "3:[1],2:{},3:\"s\",1:7,"), FR("{}1", "2:{},1:1,"),
    FRBAD("{}[]1 2\"x\"true", "2:{},2:[],1:1,", 7),
    FRBAD("1[2]", "", 1), FRBAD("truefalse", "4:true,", 4),
    FRBAD("\"a\"\"b\"", "3:\"a\",", 3), FRBAD("-1-2", "", 2),
    FR("1.5e3 ", "5:1.5e3,"), FR("[]{}\n\"\"", "2:[],2:{},2:\"\","),
    FRBAD("null{\"a\":null}", "4:null,", 4),
    FRBAD("0x", "", 1), FRBAD("1 x", "1:1,", 2), FRBAD("null x", "4:null,", 5),
    FRBAD("{} }", "2:{},", 3), FRBAD("[1] 01", "3:[1],", 5), FRBAD("2 [", "1:2,", 3),
    /* numbers */
    BAD("01", 1), BAD("-01", 2), BAD("00", 1), BAD("1.", 2), BAD("1. ", 2), BAD(".5", 0),
    BAD("+1", 0), BAD("-", 1), BAD("-a", 1), BAD("1e", 2), BAD("1e+", 3), BAD("1ex", 2),
    BAD("1e+x", 3), BAD("1.e5", 2), BAD("NaN", 0), BAD("Infinity", 0), BAD("-Infinity", 1),
    BAD("[01]", 2), BAD("[-]", 2), BAD("[1.]", 3), BAD("[1e]", 3), BAD("- 1", 1),
    /* literals */
    BAD("tru", 3), BAD("trux", 3), BAD("nul", 3), BAD("nulL", 3), BAD("True", 0),
    BAD("fals e", 4), BAD("[tru]", 4), BAD("nan", 1),
    /* strings */
    BAD("\"abc", 4), BAD("\"a\tb\"", 2), BAD("\"a\x01\"", 2), BAD("\"\x1f\"", 1),
    BADN("\"a\0\"", 2), BAD("\"a\nb\"", 2), BAD("\"\\x\"", 2), BAD("\"\\", 2),
    BAD("\"\\u12\"", 5), BAD("\"\\u12G4\"", 5), BAD("\"\\U0041\"", 2), BAD("'a'", 0),
    /* UTF-8 */
    BAD("\"\x80\"", 1), BAD("\"\xc0\x80\"", 1), BAD("\"\xc1\xbf\"", 1),
    BAD("\"\xe0\x80\x80\"", 2), BAD("\"\xe0\x9f\xbf\"", 2), BAD("\"\xed\xa0\x80\"", 2),
    BAD("\"\xed\xbf\xbf\"", 2), BAD("\"\xf0\x80\x80\x80\"", 2), BAD("\"\xf0\x8f\xbf\xbf\"", 2),
    BAD("\"\xf4\x90\x80\x80\"", 2), BAD("\"\xf5\x80\x80\x80\"", 1), BAD("\"\xff\"", 1),
    BAD("\"\xfe\"", 1), BAD("\"\xc3\"", 2), BAD("\"\xe2\x82\"", 3), BAD("\"\xe2\x82", 3),
    BAD("\"\xc3", 2), BAD("\"\xf0\x9f\x98", 4), BAD("\"\xf0\x9f\x98\x41\"", 4),
    BAD("\"\xc3\xa9\xa9\"", 3), BAD("\xef\xbb\xbf{}", 0), BAD("\xc3\xa9", 0),
    /* surrogate escapes */
    BAD("\"\\udc00\"", 4), BAD("\"\\uDFFF\"", 4), BAD("\"\\ud800\"", 7),
    BAD("\"\\ud800\\n\"", 8), BAD("\"\\ud800\\u0041\"", 9), BAD("\"\\ud800\\ud800\"", 10),
    BAD("\"\\ud800x\"", 7), BAD("\"\\ud800", 7), BAD("\"\\ud800\\", 8),
    BAD("\"\\ude00\\ud83d\"", 4),
    /* structure */
    BAD("[1,]", 3), BAD("[,1]", 1), BAD("[1 2]", 3), BAD("{\"a\" 1}", 5), BAD("{\"a\":}", 5),
    BAD("{1:2}", 1), BAD("{\"a\":1,}", 7), BAD("[1}", 2), BAD("{\"a\":1]", 6), BAD("]", 0),
    BAD("}", 0), BAD("[", 1), BAD("{\"a\":[1,2", 9), BAD(":", 0), BAD(",", 0),
    BAD("{'a':1}", 1), BAD("[\"a\"\"b\"]", 4), BAD("{\"a\":1 \"b\":2}", 7), BAD("[}", 1),
    BAD("{]", 1), BAD("{\"a\"", 4), BAD("{\"a\":", 5), BAD("[1,", 3), BAD("x", 0),
    FRBAD("[1]]", "3:[1],", 3),
    /* implementation-defined (RFC 8259 sections 4, 6, 8.1, 8.2), documented
     * in aecat(1): accepted as they are, nothing rounded or merged */
    OK("{\"a\":1,\"a\":2}"), OK("123456789012345678901234567890"),
    OK("1e99999"), OK("-1E-99999"), OK("0.00000000000000000000000001"),
    OK("\"\\uFFFE\\uFDD0\""), OK("\"\xef\xbf\xbf\xef\xb7\x90\""), OK("\"\\u0000\""),
    OK("[\"\xf4\x8f\xbf\xbf\\uDBFF\\uDFFF\"]"),
};

START_TEST(table)
{
    aeh_codec *c = json(0, 0);
    ck_assert_uint_ge(sizeof cases / sizeof cases[0], 150);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const json_case *t = &cases[k];
        size_t n = t->len ? t->len : strlen(t->in);
        char want[4096];
        if (!t->frames)
            snprintf(want, sizeof want, "%zu:%.*s,", n, (int)n, t->in);
        else if (t->code)
            snprintf(want, sizeof want, "%s", harness_err(t->frames, t->code, t->off));
        else
            snprintf(want, sizeof want, "%s", t->frames);
        if (!t->frames && memchr(t->in, 0, n)) /* rendering with a NUL: compare by hand */
            ck_abort_msg("case %zu: a valid text with NUL", k);
        HARNESS_EXPECT(c, t->in, n, want);
    }
    aeh_codec_free(c);
}
END_TEST

START_TEST(messages)
{
    aeh_codec *c = json(0, 0);
    static const struct { const char *in, *msg; } m[] = {
        { "01", "json: leading zero" },
        { "\"\xc0\x80\"", "json: invalid UTF-8 in string" },
        { "\"\t\"", "json: control character in string" },
        { "\"\\udc00\"", "json: low surrogate escape without a high one" },
        { "\"\\ud800\"", "json: high surrogate escape without a low one" },
        { "1.x", "json: expected a digit after '.'" },
        { "[1}", "json: mismatched bracket" },
        { "\"ab", "json: truncated frame: stream ended after 3 bytes" },
    };
    for (size_t k = 0; k < sizeof m / sizeof m[0]; k++) {
        harness_out o;
        harness_decode(c, m[k].in, strlen(m[k].in), &o);
        ck_assert_int_eq(o.error, EBADMSG);
        ck_assert_str_eq(o.msg, m[k].msg);
        harness_out_free(&o);
    }
    aeh_codec_free(c);
}
END_TEST

START_TEST(utf8_and_escapes_split)
{
    aeh_codec *c = json(0, 0);
    /* explicit cuts inside a 4-byte character and inside a surrogate pair */
    static const char in[] = "[\"\xf0\x9f\x98\x80\",\"\\ud83d\\ude00\"]";
    size_t n = sizeof in - 1;
    char want[128];
    snprintf(want, sizeof want, "%zu:%s,", n, in);
    for (size_t a = 1; a < n; a++) {
        for (size_t b = a + 1; b < n; b++) {
            size_t cuts[2] = { a, b };
            harness_out o;
            harness_decode_cuts(c, (const uint8_t *)in, n, cuts, 2, &o);
            ck_assert_str_eq(harness_text(&o), want);
            harness_out_free(&o);
        }
    }
    /* an invalid continuation arriving in a later read */
    static const char bad[] = "\"\xe2\x82\x20\"";
    size_t cut = 2;
    harness_out o;
    harness_decode_cuts(c, (const uint8_t *)bad, sizeof bad - 1, &cut, 1, &o);
    ck_assert_str_eq(harness_text(&o), harness_err("", EBADMSG, 3));
    harness_out_free(&o);
    aeh_codec_free(c);
}
END_TEST

static char *nest(size_t depth, const char *inner)
{
    size_t n = strlen(inner);
    char *s = malloc(2 * depth + n + 1);
    memset(s, '[', depth);
    memcpy(s + depth, inner, n);
    memset(s + depth + n, ']', depth);
    s[2 * depth + n] = 0;
    return s;
}

START_TEST(depth_limit)
{
    aeh_codec *c = json(3, 0);
    EXPECT(c, "[[[1]]]", "7:[[[1]]],");
    EXPECT(c, "[{\"a\":[]}]", "10:[{\"a\":[]}],");
    EXPECT(c, "[[[[1]]]]", harness_err("", EBADMSG, 3));
    EXPECT(c, "[[[]]] [{\"a\":[{}]}]", harness_err("6:[[[]]],", EBADMSG, 14));
    aeh_codec_free(c);

    c = json(0, 0);               /* default 512 */
    char *ok = nest(512, "1");
    char want[2048];
    snprintf(want, sizeof want, "%zu:%s,", strlen(ok), ok);
    HARNESS_EXPECT(c, ok, strlen(ok), want);
    char *deep = nest(513, "");
    HARNESS_EXPECT(c, deep, strlen(deep), harness_err("", EBADMSG, 512));
    harness_out o;
    harness_decode(c, deep, strlen(deep), &o);
    ck_assert_str_eq(o.msg, "json: depth 513 over limit");
    harness_out_free(&o);
    free(ok);
    free(deep);
    aeh_codec_free(c);

    c = json(1, 0);
    EXPECT(c, "[1,2] {}", "5:[1,2],2:{},");
    EXPECT(c, "[[]]", harness_err("", EBADMSG, 1));
    aeh_codec_free(c);
}
END_TEST

START_TEST(max_frame)
{
    aeh_codec *c = json(0, 5);
    EXPECT(c, "[1,2]", "5:[1,2],");
    EXPECT(c, "[1,22]", harness_err("", ENOSPC, 5));
    EXPECT(c, "12345", "5:12345,");
    EXPECT(c, "12345 ", "5:12345,");
    EXPECT(c, "123456", harness_err("", ENOSPC, 5));
    EXPECT(c, "1234.5", harness_err("", ENOSPC, 5));
    EXPECT(c, "12345x", harness_err("", EBADMSG, 5));
    EXPECT(c, "12345 [1]", "5:12345,3:[1],");
    EXPECT(c, "\"abc\"", "5:\"abc\",");
    EXPECT(c, "\"abcd\"", harness_err("", ENOSPC, 5));
    EXPECT(c, "\"abcdefghij", harness_err("", ENOSPC, 5));
    EXPECT(c, "          [1,2]          [3,4]     ", "5:[1,2],5:[3,4],");
    EXPECT(c, "[1] [1,2,3]", harness_err("3:[1],", ENOSPC, 9));
    c->max_frame = 3;
    EXPECT(c, "true", harness_err("", ENOSPC, 3));
    EXPECT(c, "nul", harness_err("", EBADMSG, 3));
    c->max_frame = 1;
    EXPECT(c, "1 2 3", "1:1,1:2,1:3,");
    EXPECT(c, "12", harness_err("", ENOSPC, 1));
    aeh_codec_free(c);
}
END_TEST

static void encode_is(const aeh_codec *c, const char *in, const char *want)
{
    aeh_buf out = { 0 };
    aeh_error e;
    ck_assert_msg(harness_encode(c, in, strlen(in), &out, &e) == 0, "%s: %s", in, e.msg);
    ck_assert_msg(harness_buf_is(&out, want, strlen(want)), "%s: got %.*s", in,
                  (int)aeh_buf_len(&out), (const char *)aeh_buf_data(&out));
    aeh_buf_free(&out);
}

static void encode_fails(const aeh_codec *c, const char *in, int code, unsigned off)
{
    aeh_buf out = { 0 };
    aeh_error e;
    ck_assert_msg(harness_encode(c, in, strlen(in), &out, &e) == -1, "%s accepted", in);
    ck_assert_int_eq(e.code, code);
    ck_assert_msg(e.offset == off, "%s: offset %llu, want %u", in,
                  (unsigned long long)e.offset, off);
    ck_assert_uint_eq(aeh_buf_len(&out), 0);
    aeh_buf_free(&out);
}

START_TEST(encoder)
{
    aeh_codec *c = json(0, 0);
    encode_is(c, "{}", "{}\n");
    encode_is(c, " 1 ", "1\n");
    encode_is(c, "{ \"a b\" : [ 1 , 2.5e3 , \"x y\\n\\\" \" ] ,\n\t\"c\" : null }",
              "{\"a b\":[1,2.5e3,\"x y\\n\\\" \"],\"c\":null}\n");
    encode_is(c, "\"  \\\\\"", "\"  \\\\\"\n");
    encode_is(c, "-0.0e-0", "-0.0e-0\n");
    encode_fails(c, "", EINVAL, 0);
    encode_fails(c, "   ", EINVAL, 3);
    encode_fails(c, "1 2", EINVAL, 2);
    encode_fails(c, "{}x", EINVAL, 2);
    encode_fails(c, "[1,]", EINVAL, 3);
    encode_fails(c, "01", EINVAL, 1);
    encode_fails(c, "  \"\xc0\x80\"", EINVAL, 3);
    encode_fails(c, "[1", EINVAL, 2);
    c->max_frame = 3;
    encode_is(c, " [ 1 ] ", "[1]\n");
    encode_fails(c, "[1,2]", EMSGSIZE, 0);
    aeh_codec_free(c);
}
END_TEST

START_TEST(round_trip)
{
    aeh_codec *c = json(0, 0);
    /* decode -> encode -> decode: the compact form, stable */
    static const char in[] = " { \"a\" : [ 1 , 2 ] }\n[ true ,\tnull ] \"s p\" 12 ";
    static const char *const compact[] = { "{\"a\":[1,2]}", "[true,null]", "\"s p\"", "12" };
    aeh_dstate st;
    memset(&st, 0, sizeof st);
    size_t head = 0, n = sizeof in - 1;
    int k = 0;
    for (;;) {
        aeh_span f;
        size_t used = 0;
        aeh_error e;
        int rc = c->decode(c, &st, (const uint8_t *)in + head, n - head, true, &f, &used, &e);
        ck_assert_int_ne(rc, AEH_DEC_ERROR);
        head += used;
        if (rc == AEH_DEC_MORE) {
            if (!used)
                break;
            continue;
        }
        ck_assert_int_lt(k, 4);
        aeh_buf out = { 0 };
        ck_assert_int_eq(harness_encode(c, f.p, f.n, &out, &e), 0);
        size_t m = strlen(compact[k]);
        ck_assert_uint_eq(aeh_buf_len(&out), m + 1);
        ck_assert(memcmp(aeh_buf_data(&out), compact[k], m) == 0);
        /* and encoding the compact form again gives the same bytes */
        aeh_buf again = { 0 };
        ck_assert_int_eq(harness_encode(c, compact[k], m, &again, &e), 0);
        ck_assert(harness_buf_is(&again, (const char *)aeh_buf_data(&out), m + 1));
        aeh_buf_free(&again);
        aeh_buf_free(&out);
        k++;
    }
    ck_assert_int_eq(k, 4);
    aeh_buf_free(&st.out);
    harness_roundtrip(c, compact, 4);
    static const char *const more[] = { "[]", "0", "-1.5E+2", "\"\\ud83d\\ude00\xc3\xa9\"",
                                        "{\"\":{\"\":[[],{}]}}", "false", "true", "null" };
    harness_roundtrip(c, more, sizeof more / sizeof more[0]);
    aeh_codec_free(c);
}
END_TEST

/* The word-at-a-time string scan: every kind of byte that ends a plain run,
 * at every position of a word, in strings long enough for several words. */
START_TEST(plain_run_positions)
{
    aeh_codec *c = json(0, 0);
    static const struct { const char *ins; size_t n; int bad; } kinds[] = {
        { "\\n", 2, 0 }, { "\\\"", 2, 0 }, { "\xc3\xa9", 2, 0 }, { "\x7f", 1, 0 },
        { "\xf0\x9f\x98\x80", 4, 0 }, { "~", 1, 0 }, { " ", 1, 0 },
        { "\x01", 1, 1 }, { "\x1f", 1, 1 }, { "\n", 1, 1 }, { "\x80", 1, 1 },
        { "\xff", 1, 1 }, { "\xc0\xaf", 2, 1 },
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        for (size_t pos = 0; pos < 20; pos++) {
            char in[64];
            size_t n = 0;
            in[n++] = '"';
            memset(in + n, 'a', pos);
            n += pos;
            memcpy(in + n, kinds[k].ins, kinds[k].n);
            n += kinds[k].n;
            memset(in + n, 'b', 19 - pos);
            n += 19 - pos;
            in[n++] = '"';
            char want[128];
            if (kinds[k].bad)
                snprintf(want, sizeof want, "%s", harness_err("", EBADMSG, 1 + pos));
            else
                snprintf(want, sizeof want, "%zu:%.*s,", n, (int)n, in);
            HARNESS_EXPECT(c, in, n, want);
        }
    }
    /* a quote ends the string early: what follows is the next text */
    EXPECT(c, "\"aaaaaaaaaa\"bbbb\"", harness_err("12:\"aaaaaaaaaa\",", EBADMSG, 12));
    aeh_codec_free(c);
}
END_TEST

/* The compact writer against a byte-at-a-time reference, with whitespace,
 * quotes and backslash runs at every position of a word, validated and
 * trusted. */
static size_t reference_compact(const char *p, size_t n, char *w)
{
    size_t m = 0;
    bool in_str = false, esc = false;
    for (size_t k = 0; k < n; k++) {
        char ch = p[k];
        if (in_str) {
            w[m++] = ch;
            if (esc)
                esc = false;
            else if (ch == '\\')
                esc = true;
            else if (ch == '"')
                in_str = false;
        } else if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') {
            w[m++] = ch;
            in_str = ch == '"';
        }
    }
    return m;
}

START_TEST(compact_writer)
{
    static const char *const texts[] = {
        "{\"k\" : [ 1 , \"a b\" , { } ] }",
        " [ \"\\\\\" , \"\\\"\" , \"x\\\\\\\"y\" ] ",
        "[\"        \",\"  \\\"  \",   true  ,\n\t-0.5e3\r\n]",
        "{\"a\":{\"b\":{\"c\":[ [ [ \"\xc3\xa9 \" ] ] ]}}}",
        "\"a string with spaces and a \\\\ backslash\"",
        "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]",
    };
    for (int trusted = 0; trusted < 2; trusted++) {
        aeh_codec *c = json(0, 0);
        if (trusted)
            c->flags |= AEH_CODEC_TRUSTED;
        for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
            /* shift each text through every position of a word */
            for (size_t pad = 0; pad < 9; pad++) {
                char in[256], want[256];
                size_t n = 0;
                if (!trusted) {   /* leading whitespace: only the validator strips it */
                    memset(in, ' ', pad);
                    n = pad;
                }
                size_t tl = strlen(texts[t]);
                memcpy(in + n, texts[t], tl);
                n += tl;
                const char *body = in;
                size_t bn = n;
                if (trusted) {    /* a decoder's frame: no whitespace around it */
                    while (bn && (*body == ' ')) {
                        body++;
                        bn--;
                    }
                    while (bn && strchr(" \t\r\n", body[bn - 1])) {
                        bn--;
                    }
                }
                size_t wn = reference_compact(body, bn, want);
                want[wn++] = '\n';
                aeh_buf out = { 0 };
                /* put the output at every alignment too */
                for (size_t k = 0; k < pad; k++)
                    aeh_buf_append(&out, "x", 1);
                aeh_error e;
                ck_assert_msg(c->encode(c, (const uint8_t *)body, bn, &out, &e) == 0, "%s: %s",
                              texts[t], e.msg);
                ck_assert_uint_eq(aeh_buf_len(&out), pad + wn);
                ck_assert_msg(memcmp((const char *)aeh_buf_data(&out) + pad, want, wn) == 0,
                              "%s: got %.*s", texts[t], (int)(aeh_buf_len(&out) - pad),
                              (const char *)aeh_buf_data(&out) + pad);
                aeh_buf_free(&out);
            }
        }
        aeh_codec_free(c);
    }
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("frame_json");
    TCase *t = tcase_create("json");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, table);
    tcase_add_test(t, messages);
    tcase_add_test(t, utf8_and_escapes_split);
    tcase_add_test(t, depth_limit);
    tcase_add_test(t, max_frame);
    tcase_add_test(t, encoder);
    tcase_add_test(t, round_trip);
    tcase_add_test(t, plain_run_positions);
    tcase_add_test(t, compact_writer);
    suite_add_tcase(s, t);
    return s;
}

UNIT_MAIN(make_suite)
