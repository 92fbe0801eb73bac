/* SPDX-License-Identifier: MIT */
/* The cbor codec: every example of RFC 8949 appendix A (one at a time and
 * back to back), a table of malformed items with exact error offsets (each
 * the same at every split), messages, the depth limit, max_frame (ENOSPC as
 * soon as a header declares too much), huge declared counts without
 * allocation, the encoder (validation, round trips), the spec grammar, and
 * linear work on long strings and deep nesting fed a byte at a time. */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "codec_harness.h"

static aeh_codec *cbor(unsigned depth, size_t max)
{
    aeh_error e;
    aeh_codec *c = aeh_codec_cbor(depth, &e);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->name, "cbor");
    c->max_frame = max;
    return c;
}

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

/* Hex (lower case, spaces ignored) into out; returns the byte count. */
static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; hex[i]; i++) {
        if (hex[i] == ' ')
            continue;
        int hi = hex_digit(hex[i]);
        int lo = hex_digit(hex[i + 1]);
        ck_assert_msg(hi >= 0 && lo >= 0 && n < cap, "bad test hex %s", hex);
        out[n++] = (uint8_t)(hi << 4 | lo);
        i++;
    }
    return n;
}

/* The rendering of frames given as hex separated by '|', then of an error
 * when code is not 0.  Returns its length (it may hold NULs). */
static size_t render(const char *frames, int code, unsigned off, char *out, size_t cap)
{
    size_t m = 0;
    char seg[8192];
    const char *s = frames;
    while (s && *s) {
        const char *bar = strchr(s, '|');
        size_t k = bar ? (size_t)(bar - s) : strlen(s);
        ck_assert_uint_lt(k, sizeof seg);
        memcpy(seg, s, k);
        seg[k] = 0;
        uint8_t bytes[4096];
        size_t n = unhex(seg, bytes, sizeof bytes);
        int w = snprintf(out + m, cap - m, "%zu:", n);
        m += (size_t)w;
        ck_assert_uint_lt(m + n + 1, cap);
        memcpy(out + m, bytes, n);
        m += n;
        out[m++] = ',';
        s = bar ? bar + 1 : NULL;
    }
    if (code)
        m += (size_t)snprintf(out + m, cap - m, "E%d@%u", code, off);
    out[m] = 0;
    return m;
}

/* in (hex) decodes at every split to the frames (hex, '|'-separated;
 * NULL: the whole input is one frame) and then the error, if code. */
static void expect_hex(const aeh_codec *c, const char *in, const char *frames, int code,
                       unsigned off)
{
    static uint8_t bytes[8192];
    static char want[20000];
    size_t n = unhex(in, bytes, sizeof bytes);
    size_t m = render(frames ? frames : in, code, off, want, sizeof want);
    HARNESS_EXPECT_N(c, bytes, n, want, m);
}

#define OK(hex) expect_hex(c, hex, NULL, 0, 0)

/* RFC 8949 appendix A, in the RFC's order and hex.  All of them use
 * shortest-form arguments, so all are accepted (float widths are not
 * checked in any case).  RFC 7049's list also had simple(24) as 0xf818,
 * which RFC 8949 dropped: it is not well-formed (see the error table). */
static const char *const appendix_a[] = {
    "00", "01", "0a", "17", "1818", "1819", "1864", "1903e8", "1a000f4240",
    "1b000000e8d4a51000", "1bffffffffffffffff",
    "c249010000000000000000",                         /* 18446744073709551616 */
    "3bffffffffffffffff",                             /* -18446744073709551616 */
    "c349010000000000000000",                         /* -18446744073709551617 */
    "20", "29", "3863", "3903e7",
    "f90000", "f98000", "f93c00", "fb3ff199999999999a", "f93e00", "f97bff",
    "fa47c35000", "fa7f7fffff", "fb7e37e43c8800759c", "f90001", "f90400", "f9c400",
    "fbc010666666666666",
    "f97c00", "f97e00", "f9fc00", "fa7f800000", "fa7fc00000", "faff800000",
    "fb7ff0000000000000", "fb7ff8000000000000", "fbfff0000000000000",
    "f4", "f5", "f6", "f7", "f0", "f8ff",             /* ..., simple(16), simple(255) */
    "c074323031332d30332d32315432303a30343a30305a",   /* 0("2013-03-21T20:04:00Z") */
    "c11a514b67b0", "c1fb41d452d9ec200000",          /* 1(1363896240), 1(1363896240.5) */
    "d74401020304",                                   /* 23(h'01020304') */
    "d818456449455446",                               /* 24(h'6449455446') */
    "d82076687474703a2f2f7777772e6578616d706c652e636f6d",   /* 32("http://...") */
    "40", "4401020304", "60", "6161", "6449455446", "62225c",
    "62c3bc", "63e6b0b4", "64f0908591",               /* "\u00fc" "\u6c34" "\ud800\udd51" */
    "80", "83010203", "8301820203820405",
    "98190102030405060708090a0b0c0d0e0f101112131415161718181819",
    "a0", "a201020304", "a26161016162820203", "826161a161626163",
    "a56161614161626142616361436164614461656145",
    "5f42010243030405ff",                             /* (_ h'0102', h'030405') */
    "7f657374726561646d696e67ff",                     /* (_ "strea", "ming") */
    "9fff", "9f018202039f0405ffff", "9f01820203820405ff", "83018202039f0405ff",
    "83019f0203ff820405",
    "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff",
    "bf61610161629f0203ffff", "826161bf61626163ff", "bf6346756ef563416d7421ff",
};
#define N_APPENDIX_A (sizeof appendix_a / sizeof appendix_a[0])

START_TEST(rfc8949_appendix_a)
{
    aeh_codec *c = cbor(0, 0);
    ck_assert_uint_eq(N_APPENDIX_A, 81);
    for (size_t k = 0; k < N_APPENDIX_A; k++)
        OK(appendix_a[k]);
    /* all of them back to back: one frame each */
    static char all[4096], frames[4096];
    size_t m = 0, f = 0;
    for (size_t k = 0; k < N_APPENDIX_A; k++) {
        m += (size_t)snprintf(all + m, sizeof all - m, "%s", appendix_a[k]);
        f += (size_t)snprintf(frames + f, sizeof frames - f, "%s%s", k ? "|" : "",
                              appendix_a[k]);
    }
    expect_hex(c, all, frames, 0, 0);
    aeh_codec_free(c);
}
END_TEST

START_TEST(more_valid_items)
{
    aeh_codec *c = cbor(0, 0);
    /* each argument width at its smallest and largest canonical value */
    OK("17"); OK("1818"); OK("18ff"); OK("190100"); OK("19ffff"); OK("1a00010000");
    OK("1affffffff"); OK("1b0000000100000000"); OK("37"); OK("3818"); OK("d7 00");
    OK("d818 00"); OK("dbffffffffffffffff 00");
    /* 0x78 0x19 is canonical (25 does not fit in the initial byte), unlike
     * 0x78 0x17 in the error table */
    OK("7819 61626364656667686970717273747576777879616263646566");
    OK("5818 000102030405060708090a0b0c0d0e0f1011121314151617");
    /* simple values: direct 0-23, two-byte 32-255 */
    OK("e0"); OK("f3"); OK("f820"); OK("f8ff");
    /* floats: any width, any bits (shorter-float forms are not checked) */
    OK("f93c00"); OK("fa3f800000"); OK("fb3ff0000000000000"); OK("f90000");
    /* empty chunks, an empty indefinite string, tags on containers */
    OK("5fff"); OK("7fff"); OK("5f40ff"); OK("7f6060ff"); OK("5f4100 40 4201 02ff");
    OK("c1 9f c2 80 ff"); OK("d9ffff 80"); OK("c1 c2 c3 00");
    /* maps with any keys, nested */
    OK("a2 80 a0 bf ff 9f ff"); OK("bf 00 00 01 01 ff"); OK("a1 a1 00 00 a1 00 00");
    OK("bf 9f ff bf ff ff");
    /* UTF-8 at each length edge, and in chunks */
    OK("62c280"); OK("62dfbf"); OK("63e0a080"); OK("63efbfbf"); OK("63ed9fbf");
    OK("63ee8080"); OK("64f0908080"); OK("64f48fbfbf"); OK("617f");
    OK("7f 62c3bc 63e6b0b4 64f0908591 60 ff");
    /* items back to back are frames of their own; a break closes only the
     * innermost indefinite item */
    expect_hex(c, "00 01 8100 a0 9f9fffff 6161", "00|01|8100|a0|9f9fffff|6161", 0, 0);
    expect_hex(c, "c1 00 c1 00", "c100|c100", 0, 0);
    expect_hex(c, "", "", 0, 0);
    aeh_codec_free(c);
}
END_TEST

typedef struct {
    const char *in;               /* hex */
    const char *frames;           /* frames before the error, '|'-separated */
    int code;
    unsigned off;
} bad_case;

#define BAD(h, o) { h, "", EBADMSG, o }
#define FRBAD(h, f, o) { h, f, EBADMSG, o }

static const bad_case bad_cases[] = {
    /* reserved additional information 28-30, in every major type */
    BAD("1c", 0), BAD("1d", 0), BAD("1e", 0), BAD("3c", 0), BAD("5d", 0), BAD("7e", 0),
    BAD("9c", 0), BAD("bd", 0), BAD("de", 0), BAD("fc", 0), BAD("fd", 0), BAD("fe", 0),
    BAD("82 01 1c", 2), BAD("5f 5c", 1),
    /* break outside an indefinite-length item */
    BAD("ff", 0), BAD("81 ff", 1), BAD("a1 ff", 1), BAD("c1 ff", 1), BAD("9f c1 ff", 2),
    BAD("82 9f ff ff", 3), FRBAD("00 ff", "00", 1), FRBAD("9fff ff", "9fff", 2),
    /* indefinite length for integers and tags */
    BAD("1f", 0), BAD("3f", 0), BAD("df", 0), BAD("9f 1f", 1),
    /* non-canonical arguments: at the header's last byte */
    BAD("1805", 1), BAD("1817", 1), BAD("190005", 2), BAD("1900ff", 2),
    BAD("1a00000005", 4), BAD("1a0000ffff", 4), BAD("1b0000000000000005", 8),
    BAD("1b00000000ffffffff", 8), BAD("3800", 1), BAD("5800", 1), BAD("590001 00", 2),
    BAD("7817 6161616161616161616161616161616161616161616161", 1), BAD("9800", 1),
    BAD("b800", 1), BAD("d800 00", 1), BAD("d90017 00", 2), BAD("5f 5800 ff", 2),
    BAD("82 00 1801", 3),
    /* two-byte simple values below 32 */
    BAD("f818", 1), BAD("f800", 1), BAD("f81f", 1), BAD("f817", 1), BAD("81 f814", 2),
    /* chunks of indefinite-length strings */
    BAD("7f 4161 ff", 1), BAD("5f 6161 ff", 1), BAD("5f 00 ff", 1), BAD("7f 80 ff", 1),
    BAD("5f 4100 a0", 3), BAD("5f 5f ff ff", 1), BAD("7f 7f ff ff", 1),
    BAD("7f 6161 5f ff", 3),
    /* UTF-8: overlong, surrogate, past U+10FFFF, bad bytes, a character
     * cut by the end of its string or chunk (at the byte after it) */
    BAD("62 c0af", 1), BAD("62 c1bf", 1), BAD("63 e08080", 2), BAD("63 e09fbf", 2),
    BAD("64 f0808080", 2), BAD("64 f08fbfbf", 2), BAD("63 eda080", 2),
    BAD("63 edbfbf", 2), BAD("64 f4908080", 2), BAD("64 f5808080", 1), BAD("61 ff", 1),
    BAD("61 80", 1), BAD("61 c3", 2), BAD("62 61c3", 3), BAD("63 e282 41", 3),
    BAD("63 c3a9a9", 3), BAD("82 61c3 00", 3), BAD("7f 61c3 61a9 ff", 3),
    BAD("7f 6161 61a9 ff", 4), BAD("7f 62e282 61ac ff", 4),
    /* maps: a break after a key */
    BAD("bf 01 ff", 2), BAD("bf 01 02 03 ff", 4), BAD("a1 bf 00 ff", 3),
    /* truncated at EOF: the offset is the stream's end */
    BAD("18", 1), BAD("19 01", 2), BAD("1b 0000", 3), BAD("62 61", 2), BAD("82 01", 2),
    BAD("a1 01", 2), BAD("a2 01 02 03", 4), BAD("9f 01", 2), BAD("c1", 1),
    BAD("5f 41 00", 3), BAD("bf 01", 2), BAD("fb 0000", 3), BAD("f8", 1),
    BAD("63 e6b0", 3), BAD("7f 61c3", 3), FRBAD("00 83 01", "00", 3),
    BAD("9b ffffffffffffffff 01 02 03", 12), BAD("bb ffffffffffffffff 01", 10),
    BAD("5b ffffffffffffffff 0102", 11), BAD("7b ffffffffffffffff 61", 10),
};

START_TEST(malformed_table)
{
    aeh_codec *c = cbor(0, 0);
    ck_assert_uint_ge(sizeof bad_cases / sizeof bad_cases[0], 100);
    for (size_t k = 0; k < sizeof bad_cases / sizeof bad_cases[0]; k++) {
        const bad_case *t = &bad_cases[k];
        expect_hex(c, t->in, t->frames, t->code, t->off);
    }
    aeh_codec_free(c);
}
END_TEST

START_TEST(messages)
{
    aeh_codec *c = cbor(2, 4);
    static const struct {
        const char *in, *msg;
        int code;
    } m[] = {
        { "1c", "cbor: reserved additional information 28", EBADMSG },
        { "fe", "cbor: reserved additional information 30", EBADMSG },
        { "81ff", "cbor: break outside an indefinite-length item", EBADMSG },
        { "1f", "cbor: indefinite length is not allowed for major type 0", EBADMSG },
        { "df", "cbor: indefinite length is not allowed for major type 6", EBADMSG },
        { "1805", "cbor: non-canonical length", EBADMSG },
        { "5800", "cbor: non-canonical length", EBADMSG },
        { "f818", "cbor: simple value 24 in two bytes is not well-formed", EBADMSG },
        { "7f4161ff",
          "cbor: chunk of an indefinite-length text string is not a text string", EBADMSG },
        { "5f6161ff",
          "cbor: chunk of an indefinite-length byte string is not a byte string", EBADMSG },
        { "5f5fffff", "cbor: indefinite-length chunk in an indefinite-length string",
          EBADMSG },
        { "62c0af", "cbor: invalid UTF-8 in text string", EBADMSG },
        { "7f61c361a9ff", "cbor: text string ends inside a UTF-8 character", EBADMSG },
        { "bf01ff", "cbor: indefinite-length map ends after a key", EBADMSG },
        { "818181", "cbor: depth 3 over limit", EBADMSG },
        { "c1c1c1", "cbor: depth 3 over limit", EBADMSG },
        { "8201", "cbor: truncated frame: stream ended after 2 bytes", EBADMSG },
        { "44", "cbor: frame longer than 4 bytes", ENOSPC },
        { "8401", "cbor: frame longer than 4 bytes", ENOSPC },
    };
    for (size_t k = 0; k < sizeof m / sizeof m[0]; k++) {
        uint8_t in[64];
        size_t n = unhex(m[k].in, in, sizeof in);
        harness_out o;
        harness_decode(c, in, n, &o);
        ck_assert_msg(o.error == m[k].code, "%s: error %d", m[k].in, o.error);
        ck_assert_str_eq(o.msg, m[k].msg);
        harness_out_free(&o);
    }
    aeh_codec_free(c);
}
END_TEST

static uint8_t *repeat(uint8_t byte, size_t n, const char *tail_hex, size_t *len)
{
    uint8_t *s = malloc(n + 64);
    ck_assert_ptr_nonnull(s);
    memset(s, byte, n);
    *len = n + unhex(tail_hex, s + n, 64);
    return s;
}

START_TEST(depth_limit)
{
    aeh_codec *c = cbor(3, 0);
    OK("818181 00"); OK("c1c1c1 00"); OK("81 c1 9f 00 ff"); OK("81 81 5f 4100 ff");
    OK("a1 00 a1 00 a1 00 00"); OK("bf 00 bf 00 bf 00 00 ff ff ff"); OK("818180");
    /* arrays, maps, tags and indefinite strings all count, at the byte that
     * would open level 4, even an empty container */
    expect_hex(c, "81818181 00", "", EBADMSG, 3);
    expect_hex(c, "c1c1c1c1 00", "", EBADMSG, 3);
    expect_hex(c, "81 c1 9f a1", "", EBADMSG, 3);
    expect_hex(c, "81 81 81 5f ff", "", EBADMSG, 3);
    expect_hex(c, "81 81 81 80", "", EBADMSG, 3);
    expect_hex(c, "a1 00 a1 00 a1 00 a0", "", EBADMSG, 6);
    expect_hex(c, "818100 81818181", "818100", EBADMSG, 6);
    /* definite strings and scalars do not nest */
    OK("818181 4100");
    OK("818181 f93c00");
    aeh_codec_free(c);

    c = cbor(0, 0);               /* default 512 */
    size_t n;
    uint8_t *ok = repeat(0x81, 512, "00", &n);
    static char want[4096];
    int m = snprintf(want, sizeof want, "%zu:", n);
    memcpy(want + m, ok, n);
    want[m + (int)n] = ',';
    HARNESS_EXPECT_N(c, ok, n, want, (size_t)m + n + 1);
    uint8_t *deep = repeat(0xc1, 513, "00", &n);
    HARNESS_EXPECT(c, deep, n, harness_err("", EBADMSG, 512));
    harness_out o;
    harness_decode(c, deep, n, &o);
    ck_assert_str_eq(o.msg, "cbor: depth 513 over limit");
    harness_out_free(&o);
    free(ok);
    free(deep);
    aeh_codec_free(c);

    c = cbor(1, 0);
    expect_hex(c, "820000 a0 c100", "820000|a0|c100", 0, 0);
    expect_hex(c, "81 80", "", EBADMSG, 1);
    aeh_codec_free(c);
}
END_TEST

START_TEST(max_frame)
{
    aeh_codec *c = cbor(0, 10);
    /* declared lengths and counts: ENOSPC at the header's last byte, before
     * the bytes arrive (so also when they never do) */
    OK("49 010203040506070809");
    expect_hex(c, "4a 01020304050607080900", "", ENOSPC, 0);
    expect_hex(c, "4a", "", ENOSPC, 0);
    expect_hex(c, "6a", "", ENOSPC, 0);
    expect_hex(c, "5a 00010000", "", ENOSPC, 4);
    expect_hex(c, "5b ffffffffffffffff", "", ENOSPC, 8);
    expect_hex(c, "9b ffffffffffffffff 00", "", ENOSPC, 8);
    expect_hex(c, "bb 8000000000000000", "", ENOSPC, 8);
    expect_hex(c, "81 82 48", "", ENOSPC, 2);      /* 3 + 8 bytes */
    OK("81 82 46 010203040506 00");
    OK("89 000000000000000000");
    expect_hex(c, "8a", "", ENOSPC, 0);            /* 10 elements: 11 bytes at least */
    OK("a4 0000000000000000");
    expect_hex(c, "a5", "", ENOSPC, 0);            /* 5 pairs: 11 bytes at least */
    expect_hex(c, "7f 69 616161616161616161", "", ENOSPC, 1);
    /* what is already due counts: a break, a tag's content, the rest of
     * the enclosing items */
    expect_hex(c, "9f 00000000000000000000 ff", "", ENOSPC, 9);   /* no room for ff */
    expect_hex(c, "9f 0000000000000000 ff", NULL, 0, 0);
    expect_hex(c, "c1c1c1c1c1c1c1c1c1c1 00", "", ENOSPC, 9);
    expect_hex(c, "c1c1c1c1c1c1c1c1c1 00", NULL, 0, 0);
    expect_hex(c, "83 00 47", "", ENOSPC, 2);      /* 3 + 7 + the third element */
    expect_hex(c, "83 00 46 010203040506 00", NULL, 0, 0);
    expect_hex(c, "81 a5", "", ENOSPC, 1);         /* 2 + 10 */
    expect_hex(c, "81 a4", "", EBADMSG, 2);        /* 2 + 8 fit: truncated */
    expect_hex(c, "bf 00 c1 c1 c1 c1 c1 c1 00 ff", NULL, 0, 0);
    expect_hex(c, "bf 00 c1 c1 c1 c1 c1 c1 c1 00 ff", "", ENOSPC, 8);
    expect_hex(c, "bf 4100 00 ff", NULL, 0, 0);
    expect_hex(c, "bf 48", "", ENOSPC, 1);         /* 2 + 8 + a break */
    expect_hex(c, "bf 46 010203040506 00 ff", NULL, 0, 0);
    /* 2 + 7 + a break fit, but once the key is read its value is due */
    expect_hex(c, "bf 47 01020304050607 00 ff", "", ENOSPC, 8);
    expect_hex(c, "1a", "", EBADMSG, 1);           /* 5 bytes fit: truncated */
    expect_hex(c, "1b 0102030405060708 0102", "1b0102030405060708|01|02", 0, 0);
    expect_hex(c, "49 010203040506070809 49 010203040506070809 8a",
               "49010203040506070809|49010203040506070809", ENOSPC, 20);
    c->max_frame = 1;
    expect_hex(c, "00 01 f5 40 60 80 a0", "00|01|f5|40|60|80|a0", 0, 0);
    expect_hex(c, "18", "", ENOSPC, 0);            /* its argument byte cannot fit */
    expect_hex(c, "9f", "", ENOSPC, 0);            /* nor a break */
    expect_hex(c, "c1", "", ENOSPC, 0);            /* nor a tag's content */
    expect_hex(c, "41", "", ENOSPC, 0);
    aeh_codec_free(c);
}
END_TEST

/* The frame limit is exact: every valid item fits a max_frame of its own
 * size, and one byte less is ENOSPC (never a frame, never EBADMSG), at
 * every split. */
START_TEST(max_frame_is_exact)
{
    static const char *const more[] = {
        "9f 00 00 00 ff", "bf 00 00 01 c1 02 ff", "c1 c2 c3 9f ff", "5f 4100 4201 02 ff",
        "7f 6161 60 ff", "a2 80 a0 bf ff 9f ff", "82 9f 9f ff ff bf bf ff 80 ff",
        "bf 9f ff 5f ff 7f ff bf ff ff", "818181 00",
    };
    aeh_codec *c = cbor(0, 0);
    for (size_t k = 0; k < N_APPENDIX_A + sizeof more / sizeof more[0]; k++) {
        const char *hex = k < N_APPENDIX_A ? appendix_a[k] : more[k - N_APPENDIX_A];
        uint8_t in[256];
        size_t n = unhex(hex, in, sizeof in);
        c->max_frame = n;
        expect_hex(c, hex, NULL, 0, 0);
        if (n < 2)
            continue;
        c->max_frame = n - 1;
        harness_out o;
        harness_check_splits(c, in, n, &o);
        ck_assert_msg(o.error == ENOSPC && o.frames == 0, "%s with max_frame %zu: %s", hex,
                      n - 1, harness_text(&o));
        harness_out_free(&o);
    }
    aeh_codec_free(c);
}
END_TEST

/* A declared count of 2^64 - 1 is a number in the state, not memory: the
 * decoder waits for more with a stack of one 16-byte level. */
START_TEST(huge_counts_do_not_allocate)
{
    aeh_codec *c = cbor(0, 0);
    static const char *const huge[] = {
        "9b ffffffffffffffff 01 02 03",
        "bb ffffffffffffffff 01 02 03",
        "5b ffffffffffffffff 01 02 03",
        "9b ffffffffffffffff 9b ffffffffffffffff bb ffffffffffffffff 01",
        "dbffffffffffffffff 9bffffffffffffffff 00",
    };
    for (size_t k = 0; k < sizeof huge / sizeof huge[0]; k++) {
        uint8_t in[64];
        size_t n = unhex(huge[k], in, sizeof in);
        aeh_dstate st;
        memset(&st, 0, sizeof st);
        aeh_span f;
        size_t used = 0;
        aeh_error e;
        ck_assert_int_eq(c->decode(c, &st, in, n, false, &f, &used, &e), AEH_DEC_MORE);
        ck_assert_uint_eq(used, 0);
        ck_assert_uint_le(st.out.cap, 256);        /* the buffer's first block */
        ck_assert_uint_le(aeh_buf_len(&st.out), 3 * 16);
        ck_assert_int_eq(c->decode(c, &st, in, n, true, &f, &used, &e), AEH_DEC_ERROR);
        ck_assert_int_eq(e.code, EBADMSG);
        ck_assert_uint_eq(e.offset, n);
        aeh_buf_free(&st.out);
        expect_hex(c, huge[k], "", EBADMSG, (unsigned)n);
    }
    aeh_codec_free(c);
}
END_TEST

static void encode_ok(const aeh_codec *c, const char *hex)
{
    uint8_t in[256];
    size_t n = unhex(hex, in, sizeof in);
    aeh_buf out = { 0 };
    aeh_error e;
    ck_assert_msg(harness_encode(c, in, n, &out, &e) == 0, "%s: %s", hex, e.msg);
    ck_assert_msg(harness_buf_is(&out, (const char *)in, n), "%s: not written as is", hex);
    aeh_buf_free(&out);
}

static void encode_fails(const aeh_codec *c, const char *hex, int code, unsigned off)
{
    uint8_t in[256];
    size_t n = unhex(hex, in, sizeof in);
    aeh_buf out = { 0 };
    aeh_error e;
    ck_assert_msg(harness_encode(c, in, n, &out, &e) == -1, "%s accepted", hex);
    ck_assert_int_eq(e.code, code);
    ck_assert_msg(e.offset == off, "%s: offset %llu, want %u (%s)", hex,
                  (unsigned long long)e.offset, off, e.msg);
    ck_assert_uint_eq(aeh_buf_len(&out), 0);
    aeh_buf_free(&out);
}

START_TEST(encoder)
{
    aeh_codec *c = cbor(0, 0);
    for (size_t k = 0; k < N_APPENDIX_A; k++)
        encode_ok(c, appendix_a[k]);
    encode_fails(c, "", EINVAL, 0);
    encode_fails(c, "00 01", EINVAL, 1);                  /* two items */
    encode_fails(c, "8101 00", EINVAL, 2);                /* trailing bytes */
    encode_fails(c, "9fff ff", EINVAL, 2);
    encode_fails(c, "82 01", EINVAL, 2);                  /* truncated */
    encode_fails(c, "1805", EINVAL, 1);                   /* non-canonical */
    encode_fails(c, "ff", EINVAL, 0);
    encode_fails(c, "62 c0af", EINVAL, 1);
    encode_fails(c, "bf 01 ff", EINVAL, 2);
    aeh_buf out = { 0 };
    aeh_error e;
    ck_assert_int_eq(harness_encode(c, "\x82\x01\x18\x05", 4, &out, &e), -1);
    ck_assert_str_eq(e.msg, "cbor: non-canonical length");
    ck_assert_int_eq(harness_encode(c, "\x00\x00", 2, &out, &e), -1);
    ck_assert_str_eq(e.msg, "cbor: data after the data item");
    aeh_buf_free(&out);
    c->max_frame = 3;
    encode_ok(c, "82 01 02");
    encode_fails(c, "83 01 02 03", EMSGSIZE, 0);
    encode_fails(c, "83 01 02", EINVAL, 3);               /* malformed first */
    aeh_codec_free(c);
    c = cbor(2, 0);
    encode_ok(c, "81 81 00");
    encode_fails(c, "81 81 81 00", EINVAL, 2);            /* its depth limit applies */
    aeh_codec_free(c);
}
END_TEST

START_TEST(round_trip)
{
    aeh_codec *c = cbor(0, 0);
    /* every appendix A item encoded into one stream reads back as itself,
     * at every split */
    aeh_buf wire = { 0 };
    static char frames[4096];
    size_t f = 0;
    for (size_t k = 0; k < N_APPENDIX_A; k++) {
        uint8_t in[256];
        size_t n = unhex(appendix_a[k], in, sizeof in);
        aeh_error e;
        ck_assert_int_eq(c->encode(c, in, n, &wire, &e), 0);
        f += (size_t)snprintf(frames + f, sizeof frames - f, "%s%s", k ? "|" : "",
                              appendix_a[k]);
    }
    static char want[20000];
    size_t m = render(frames, 0, 0, want, sizeof want);
    HARNESS_EXPECT_N(c, aeh_buf_data(&wire), aeh_buf_len(&wire), want, m);
    aeh_buf_free(&wire);
    ck_assert_uint_eq(c->flags & AEH_CODEC_VERBATIM, 0);   /* frames must be checked */
    aeh_codec_free(c);
}
END_TEST

START_TEST(spec_grammar)
{
    aeh_error e;
    aeh_codec *c = aeh_codec_parse("cbor", &e);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->name, "cbor");
    OK("81818181818181 00");
    aeh_codec_free(c);
    c = aeh_codec_parse("cbor:2", &e);
    ck_assert_ptr_nonnull(c);
    OK("8181 00");
    expect_hex(c, "818181 00", "", EBADMSG, 2);
    aeh_codec_free(c);
    c = aeh_codec_parse("cbor:100000", &e);
    ck_assert_ptr_nonnull(c);
    aeh_codec_free(c);
    static const struct {
        const char *spec;
        size_t offset;
    } bad[] = {
        { "cbor:", 5 }, { "cbor:0", 5 }, { "cbor:x", 5 }, { "cbor:100001", 5 },
        { "cbor:12a", 7 }, { "cbor:-1", 5 }, { "cbor:99999999999999999999", 11 },
        { "cborx", 0 }, { "CBOR", 0 },
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        memset(&e, 0, sizeof e);
        ck_assert_msg(aeh_codec_parse(bad[k].spec, &e) == NULL, "'%s' accepted", bad[k].spec);
        ck_assert_int_eq(e.code, EINVAL);
        ck_assert_msg(e.offset == bad[k].offset, "'%s': offset %llu, want %zu (%s)",
                      bad[k].spec, (unsigned long long)e.offset, bad[k].offset, e.msg);
    }
    ck_assert_ptr_null(aeh_codec_parse("cbor:0", &e));
    ck_assert_str_eq(e.msg, "cbor: depth is not a number from 1 to 100000");
    ck_assert_ptr_null(aeh_codec_parse("json:0", &e));   /* shared, still json's own */
    ck_assert_str_eq(e.msg, "json: depth is not a number from 1 to 100000");
    ck_assert_ptr_null(aeh_codec_parse("foo", &e));
    ck_assert_ptr_nonnull(strstr(e.msg, "json, cbor, resp, smtp, http)"));
}
END_TEST

/* Linear work: a wrapper decoder adds up, per call, the bytes the real one
 * has not yet examined (len - st->scan), which bounds what it may look at;
 * a decoder that rescanned from the frame's start would sum n^2 / 2. */
static const aeh_codec *wrapped;
static size_t examined;

static int counting_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                           bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    (void)c;
    examined += len - st->scan;
    return wrapped->decode(wrapped, st, buf, len, eof, frame, consumed, err);
}

static void one_byte_reads(const aeh_codec *c, const uint8_t *in, size_t n, size_t *work,
                           double *secs)
{
    aeh_codec counting = *c;
    counting.decode = counting_decode;
    wrapped = c;
    examined = 0;
    size_t *cuts = malloc(n * sizeof *cuts);
    ck_assert_ptr_nonnull(cuts);
    for (size_t k = 0; k + 1 < n; k++)
        cuts[k] = k + 1;
    harness_out o;
    clock_t t0 = clock();
    harness_decode_cuts(&counting, in, n, cuts, n - 1, &o);
    *secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    ck_assert_msg(o.error == 0, "%s", o.msg);
    ck_assert_int_eq(o.frames, 1);
    ck_assert_uint_le(o.calls, n + 2);    /* a call per read, + the frame, EOF */
    char head[32];
    int m = snprintf(head, sizeof head, "%zu:", n);
    ck_assert_int_eq(strncmp(harness_text(&o), head, (size_t)m), 0);
    harness_out_free(&o);
    free(cuts);
    *work = examined;
}

START_TEST(linear_in_one_byte_reads)
{
    aeh_codec *c = cbor(0, 0);
    const size_t body = 1 << 20;
    uint8_t *s = malloc(body + 5);
    ck_assert_ptr_nonnull(s);
    /* a 1 MiB text string of 1- to 4-byte characters */
    s[0] = 0x7a;
    s[1] = (uint8_t)(body >> 24);
    s[2] = (uint8_t)(body >> 16);
    s[3] = (uint8_t)(body >> 8);
    s[4] = (uint8_t)body;
    static const uint8_t chars[10] = { 'a', 0xc3, 0xbc, 0xe6, 0xb0, 0xb4, 0xf0, 0x90, 0x85, 0x91 };
    for (size_t k = 0; k < body; k++)
        s[5 + k] = chars[k % 10];
    for (size_t k = body - body % 10; k < body; k++)
        s[5 + k] = 'z';           /* no character cut by the end */
    size_t work;
    double secs;
    one_byte_reads(c, s, body + 5, &work, &secs);
    ck_assert_uint_le(work, 2 * (body + 5));
    ck_assert_uint_ge(work, body);
    /* a quadratic decoder would take hours; generous for sanitizer builds */
    ck_assert_msg(secs < 10, "%.1f s", secs);
    /* the same as a byte string: skipped, never examined */
    s[0] = 0x5a;
    one_byte_reads(c, s, body + 5, &work, &secs);
    ck_assert_uint_le(work, 2 * (body + 5));
    ck_assert_msg(secs < 10, "%.1f s", secs);
    free(s);
    aeh_codec_free(c);

    /* nesting as deep as cbor:100000 allows, and as many elements */
    aeh_error e;
    c = aeh_codec_parse("cbor:100000", &e);
    ck_assert_ptr_nonnull(c);
    size_t n;
    uint8_t *deep = repeat(0x81, 100000, "00", &n);
    one_byte_reads(c, deep, n, &work, &secs);
    ck_assert_uint_le(work, 2 * n);
    ck_assert_msg(secs < 10, "%.1f s", secs);
    free(deep);
    uint8_t *flat = repeat(0x00, 100005, "", &n);
    memcpy(flat, "\x9a\x00\x01\x86\xa0", 5);   /* [100000 zeros] */
    one_byte_reads(c, flat, n, &work, &secs);
    ck_assert_uint_le(work, 2 * n);
    free(flat);
    aeh_codec_free(c);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("frame_cbor");
    TCase *t = tcase_create("cbor");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, rfc8949_appendix_a);
    tcase_add_test(t, more_valid_items);
    tcase_add_test(t, malformed_table);
    tcase_add_test(t, messages);
    tcase_add_test(t, depth_limit);
    tcase_add_test(t, max_frame);
    tcase_add_test(t, max_frame_is_exact);
    tcase_add_test(t, huge_counts_do_not_allocate);
    tcase_add_test(t, encoder);
    tcase_add_test(t, round_trip);
    tcase_add_test(t, spec_grammar);
    tcase_add_test(t, linear_in_one_byte_reads);
    suite_add_tcase(s, t);
    return s;
}

UNIT_MAIN(make_suite)
