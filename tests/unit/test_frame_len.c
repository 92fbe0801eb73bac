/* SPDX-License-Identifier: MIT */
/* The len codec: every length format and its pack-letter aliases, @OFF,
 * adj and strip, each preset on a real message of its protocol, all at
 * every split; the errors at their byte (inside the header, over 2^63,
 * over max before the body, truncated); the encoders (header written,
 * whole records checked) and the specs refused with their offset. */
#include "codec_harness.h"

/* A string literal (NULs allowed) decodes to want at every split. */
#define EXPECT(codec, lit, want) HARNESS_EXPECT(codec, lit, sizeof(lit) - 1, want)
#define EXPECT_N(codec, lit, want) HARNESS_EXPECT_N(codec, lit, sizeof(lit) - 1, want, sizeof(want) - 1)

static aeh_codec *len(const char *spec)
{
    aeh_error e;
    aeh_codec *c = aeh_codec_parse(spec, &e);
    ck_assert_msg(c != NULL, "'%s': %s", spec, e.msg);
    ck_assert_int_eq(c->kind, AEH_CODEC_KIND_LEN);
    return c;
}

/* A format and the header it writes before a 3-byte payload. */
typedef struct {
    const char *spec;
    const char *header;
    size_t header_len;
} format_case;

#define H(lit) lit, sizeof(lit) - 1
static const format_case formats[] = {
    { "len:u8", H("\x03") },
    { "len:u16be", H("\x00\x03") },         { "len:u16le", H("\x03\x00") },
    { "len:u24be", H("\x00\x00\x03") },     { "len:u24le", H("\x03\x00\x00") },
    { "len:u32be", H("\x00\x00\x00\x03") }, { "len:u32le", H("\x03\x00\x00\x00") },
    { "len:u64be", H("\0\0\0\0\0\0\0\x03") }, { "len:u64le", H("\x03\0\0\0\0\0\0\0") },
    { "len:C", H("\x03") },
    { "len:n", H("\x00\x03") },             { "len:v", H("\x03\x00") },
    { "len:N", H("\x00\x00\x00\x03") },     { "len:V", H("\x03\x00\x00\x00") },
    { "len:S>", H("\x00\x03") },            { "len:S<", H("\x03\x00") },
    { "len:L>", H("\x00\x00\x00\x03") },    { "len:L<", H("\x03\x00\x00\x00") },
    { "len:Q>", H("\0\0\0\0\0\0\0\x03") },  { "len:Q<", H("\x03\0\0\0\0\0\0\0") },
    { "len:J>", H("\0\0\0\0\0\0\0\x03") },
};

START_TEST(every_format_writes_and_reads_its_header)
{
    const format_case *fc = &formats[_i];
    aeh_codec *c = len(fc->spec);
    aeh_buf out = { 0 };
    aeh_error e;
    ck_assert_int_eq(harness_encode(c, "abc", 3, &out, &e), 0);
    ck_assert_msg(aeh_buf_len(&out) == fc->header_len + 3 &&
                  memcmp(aeh_buf_data(&out), fc->header, fc->header_len) == 0 &&
                  memcmp(aeh_buf_data(&out) + fc->header_len, "abc", 3) == 0,
                  "%s: wrong header", fc->spec);
    static const char *const frames[] = { "abc", "", "x", "hello world" };
    harness_roundtrip(c, frames, 4);
    aeh_buf_free(&out);
    aeh_codec_free(c);
}
END_TEST

START_TEST(offset_adjustment_and_strip)
{
    /* u16be at 2: two bytes before the field; whole messages by default */
    aeh_codec *c = len("len:u16be@2");
    EXPECT_N(c, "XY\x00\x03" "abcPQ\x00\x00", "7:XY\x00\x03" "abc,4:PQ\x00\x00,");
    aeh_codec_free(c);
    /* adj counts what follows the body (a trailer) */
    c = len("len:u8,adj=2");
    EXPECT(c, "\x01" "a!!" "\x00" "!!", "3:a!!,2:!!,");
    aeh_codec_free(c);
    /* strip=N drops N bytes of the start, header or not */
    c = len("len:u8@1,strip=1");
    EXPECT(c, "T\x02" "ab" "U\x00", "3:\x02" "ab,1:\x00,");
    aeh_codec_free(c);
    c = len("len:u8@1,strip=hdr");
    EXPECT(c, "T\x02" "abU\x01" "c", "2:ab,1:c,");
    aeh_codec_free(c);
    c = len("len:u16le,strip=0,adj=-2");
    EXPECT(c, "\x05\x00" "abc\x02\x00", "5:\x05\x00" "abc,2:\x02\x00,");
    aeh_codec_free(c);
    /* adj=-N with a length field counting itself */
    c = len("len:u32be,adj=-4");
    EXPECT(c, "\x00\x00\x00\x06" "ab\x00\x00\x00\x04", "2:ab,0:,");
    aeh_codec_free(c);
}
END_TEST

/* Real messages of each preset's protocol. */
START_TEST(presets_on_real_messages)
{
    /* PostgreSQL: Query 'Q', Int32 length counting itself; ReadyForQuery */
    aeh_codec *c = len("len:pg");
    EXPECT_N(c, "Q\x00\x00\x00\x0eSELECT 1;\x00" "Z\x00\x00\x00\x05I",
             "15:Q\x00\x00\x00\x0eSELECT 1;\x00,6:Z\x00\x00\x00\x05I,");
    aeh_codec_free(c);
    /* PostgreSQL SSLRequest: length 8, code 80877103; the answer is one byte */
    c = len("len:pg-startup");
    EXPECT_N(c, "\x00\x00\x00\x08\x04\xd2\x16\x2f", "8:\x00\x00\x00\x08\x04\xd2\x16\x2f,");
    aeh_codec_free(c);
    /* MySQL COM_QUIT: length 1, sequence id 0, command 0x01 */
    c = len("len:mysql");
    EXPECT_N(c, "\x01\x00\x00\x00\x01", "5:\x01\x00\x00\x00\x01,");
    aeh_codec_free(c);
    /* DNS over TCP: a query for example.com A, 29 bytes after its length */
    c = len("len:dns");
    EXPECT_N(c, "\x00\x1d\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                "\x07" "example\x03" "com\x00\x00\x01\x00\x01",
             "29:\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
             "\x07" "example\x03" "com\x00\x00\x01\x00\x01,");
    aeh_codec_free(c);
    /* TLS: an alert record (type 21, TLS 1.2, length 2: fatal, handshake_failure) */
    c = len("len:tls");
    EXPECT_N(c, "\x15\x03\x03\x00\x02\x02\x28", "7:\x15\x03\x03\x00\x02\x02\x28,");
    aeh_codec_free(c);
    /* HTTP/2: SETTINGS with MAX_CONCURRENT_STREAMS=100, then the SETTINGS ack */
    c = len("len:h2");
    EXPECT_N(c, "\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x64"
                "\x00\x00\x00\x04\x01\x00\x00\x00\x00",
             "15:\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x64,"
             "9:\x00\x00\x00\x04\x01\x00\x00\x00\x00,");
    aeh_codec_free(c);
    /* AMQP 0-9-1: a heartbeat frame (type 8, channel 0, size 0, frame-end 0xCE) */
    c = len("len:amqp");
    EXPECT_N(c, "\x08\x00\x00\x00\x00\x00\x00\xce", "8:\x08\x00\x00\x00\x00\x00\x00\xce,");
    aeh_codec_free(c);
    /* MongoDB: messageLength (little-endian, counting itself) of a 16-byte header */
    c = len("len:mongo");
    EXPECT_N(c, "\x10\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xdd\x07\x00\x00",
             "16:\x10\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xdd\x07\x00\x00,");
    aeh_codec_free(c);
    /* Kafka and Thrift's framed transport: a 4-byte size, then the message */
    c = len("len:kafka");
    EXPECT_N(c, "\x00\x00\x00\x04\x00\x12\x00\x00", "4:\x00\x12\x00\x00,");
    aeh_codec_free(c);
    c = len("len:thrift");
    EXPECT_N(c, "\x00\x00\x00\x01\x00", "1:\x00,");
    aeh_codec_free(c);
    /* Modbus TCP: MBAP (transaction 1, protocol 0, length 6), unit 1, read
     * holding registers 0, count 1 */
    c = len("len:modbus");
    EXPECT_N(c, "\x00\x01\x00\x00\x00\x06\x01\x03\x00\x00\x00\x01",
             "12:\x00\x01\x00\x00\x00\x06\x01\x03\x00\x00\x00\x01,");
    aeh_codec_free(c);
}
END_TEST

START_TEST(errors_at_their_byte)
{
    /* the adjusted length ends the frame inside its header */
    aeh_codec *c = len("len:u32be,adj=-4");
    EXPECT(c, "\x00\x00\x00\x05" "a" "\x00\x00\x00\x03", harness_err("1:a,", EBADMSG, 5));
    aeh_codec_free(c);
    c = len("len:u16be@2,adj=-3");
    EXPECT(c, "ab\x00\x02", harness_err("", EBADMSG, 2));
    aeh_codec_free(c);
    aeh_error e;
    aeh_dstate st = { 0 };
    aeh_span f;
    size_t used;
    c = len("len:pg");
    ck_assert_int_eq(c->decode(c, &st, (const uint8_t *)"Z\x00\x00\x00\x03", 5, false, &f,
                               &used, &e), AEH_DEC_ERROR);
    ck_assert_str_eq(e.msg, "len: length 3-4 ends the frame inside its 5-byte header");
    ck_assert_int_eq(c->decode(c, &st, (const uint8_t *)"Z\x7f\xff\xff\xff", 5, false, &f,
                               &used, &e), AEH_DEC_MORE);   /* 2^31 is fine without a limit */
    aeh_codec_free(c);
    /* over 2^63, and over it only with adj */
    c = len("len:u64be");
    EXPECT(c, "\x80\x00\x00\x00\x00\x00\x00\x00", harness_err("", EBADMSG, 0));
    aeh_span g;
    ck_assert_int_eq(c->decode(c, &st, (const uint8_t *)"\x80\0\0\0\0\0\0\0", 8, false, &g,
                               &used, &e), AEH_DEC_ERROR);
    ck_assert_str_eq(e.msg, "len: length 9223372036854775808+0 is over 2^63");
    aeh_codec_free(c);
    c = len("len:u64le,adj=9223372036854775807");
    EXPECT(c, "\x01\x00\x00\x00\x00\x00\x00\x00", harness_err("", EBADMSG, 0));
    aeh_codec_free(c);
    /* truncated: in the header, in the body */
    c = len("len:u16be");
    EXPECT(c, "\x00\x01" "a\x00", harness_err("1:a,", EBADMSG, 4));
    EXPECT(c, "\x00\x03" "ab", harness_err("", EBADMSG, 4));
    aeh_codec_free(c);
}
END_TEST

START_TEST(over_max_refused_at_the_header)
{
    /* max= counts what is delivered, refused at the length field before
     * any of the body (the body here never arrives) */
    aeh_codec *c = len("len:u16be,max=3");
    EXPECT(c, "\x00\x03" "abc\x00\x04", harness_err("3:abc,", ENOSPC, 5));
    aeh_codec_free(c);
    c = len("len:u8@2,strip=0,max=4");
    EXPECT(c, "xy\x02", harness_err("", ENOSPC, 2));
    aeh_codec_free(c);
    /* the codec's max_frame too (--max-frame), the smaller of the two wins */
    c = len("len:u32le,max=1k");
    c->max_frame = 2;
    EXPECT(c, "\x02\x00\x00\x00" "ab" "\x03\x00\x00\x00", harness_err("2:ab,", ENOSPC, 6));
    aeh_codec_free(c);
}
END_TEST

START_TEST(encoders)
{
    aeh_buf out = { 0 };
    aeh_error e;
    /* strip=0: whole records, their length field checked */
    aeh_codec *c = len("len:pg");
    static const char query[] = "Q\x00\x00\x00\x0eSELECT 1;";
    ck_assert_int_eq(harness_encode(c, query, sizeof query, &out, &e), 0);
    ck_assert(harness_buf_is(&out, query, sizeof query));
    ck_assert_int_eq(harness_encode(c, query, sizeof query - 1, &out, &e), -1);
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_uint_eq(e.offset, 1);
    ck_assert_ptr_nonnull(strstr(e.msg, "says 14"));
    ck_assert_int_eq(aeh_buf_len(&out), 0);
    ck_assert_int_eq(harness_encode(c, "Q\x00\x00", 3, &out, &e), -1);   /* no whole header */
    ck_assert_int_eq(e.code, EINVAL);
    aeh_codec_free(c);
    c = len("len:h2");
    static const char *const h2_frames[] = { "\x00\x00\x01\x08\x00\x00\x00\x00\x01X" };
    ck_assert_int_eq(harness_encode(c, h2_frames[0], 10, &out, &e), 0);
    aeh_codec_free(c);
    /* strip=hdr: the header written; a payload the field cannot hold refused */
    c = len("len:u8,adj=1");
    ck_assert_int_eq(harness_encode(c, "ab", 2, &out, &e), 0);
    ck_assert(harness_buf_is(&out, "\x01" "ab", 3));
    static const char *const frames[] = { "abc", "z" };
    harness_roundtrip(c, frames, 2);
    char big[256];
    memset(big, 'x', sizeof big);
    ck_assert_int_eq(harness_encode(c, big, 256, &out, &e), 0);          /* field 255 */
    ck_assert_int_eq(harness_encode(c, "", 0, &out, &e), -1);            /* field -1 */
    ck_assert_int_eq(e.code, EMSGSIZE);
    aeh_codec_free(c);
    c = len("len:u8");
    ck_assert_int_eq(harness_encode(c, big, 256, &out, &e), -1);
    ck_assert_int_eq(e.code, EMSGSIZE);
    c->max_frame = 2;
    ck_assert_int_eq(harness_encode(c, "abc", 3, &out, &e), -1);
    ck_assert_int_eq(e.code, EMSGSIZE);
    aeh_codec_free(c);
    /* strips the sender cannot undo: no encoder */
    static const char *const undefined[] = { "len:pg,strip=hdr", "len:u16be,strip=1",
                                             "len:u8@1,strip=1", "len:tls,strip=5" };
    for (size_t k = 0; k < sizeof undefined / sizeof undefined[0]; k++) {
        c = len(undefined[k]);
        ck_assert_msg(c->encode == NULL, "%s has an encoder", undefined[k]);
        aeh_codec_free(c);
    }
    aeh_buf_free(&out);
}
END_TEST

START_TEST(bad_specs_name_their_offset)
{
    static const struct {
        const char *spec;
        int code;
        size_t offset;
    } bad[] = {
        { "len", EINVAL, 3 },                 { "len:", EINVAL, 4 },
        { "len:u32", EINVAL, 4 },             { "len:n!", EINVAL, 4 },
        { "len:c", EINVAL, 4 },               { "len:w", EINVAL, 4 },
        { "len:S<<", EINVAL, 6 },             { "len:u16be@", EINVAL, 10 },
        { "len:u16be@1x", EINVAL, 11 },       { "len:u16be,adj", EINVAL, 10 },
        { "len:u16be,adj=", EINVAL, 14 },     { "len:u16be,adj=1.5", EINVAL, 15 },
        { "len:u16be,strip=3", EINVAL, 10 },  { "len:u16be,strip=x", EINVAL, 16 },
        { "len:u16be,max=0", EINVAL, 14 },    { "len:u16be,max=1T", EINVAL, 15 },
        { "len:u16be,foo=1", EINVAL, 10 },    { "len:pg@1", EINVAL, 6 },
        { "len:varint,mask=7f", EINVAL, 11 }, { "len:ber,last=80", EINVAL, 8 },
        { "len:rpc,strip=0", EINVAL, 8 },     { "len:u32be@1,mask=ff,last=100", EINVAL, 20 },
        { "len:u32be,mask=0x", EINVAL, 16 },  { "len:u32be,mask=0", EINVAL, 15 },
        { "len:u32be,mask=fg", EINVAL, 16 },  { "len:u32be,mask=11112222333344445", EINVAL, 15 },
        { "len:u8,mask=f,last=1", EINVAL, 14 }, { "len:u32be,mask", EINVAL, 10 },
        { "len:varint,strip=2", EINVAL, 11 }, { "len:mqtt,strip=3", EINVAL, 9 },
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        aeh_error e = { 0 };
        ck_assert_msg(aeh_codec_parse(bad[k].spec, &e) == NULL, "'%s' accepted", bad[k].spec);
        ck_assert_msg(e.code == bad[k].code && e.offset == bad[k].offset,
                      "'%s': code %d offset %llu (%s)", bad[k].spec, e.code,
                      (unsigned long long)e.offset, e.msg);
    }
}
END_TEST

/* Netty's LengthFieldBasedFrameDecoder documentation, its seven examples
 * (the 12-byte "HELLO, WORLD" with each header layout) */
START_TEST(netty_examples)
{
    static const struct {
        const char *spec, *in, *want;
        size_t in_len, want_len;
    } ex[] = {
#define EX(spec, in, want) { spec, in, want, sizeof(in) - 1, sizeof(want) - 1 }
        /* 1: 2-byte length, nothing stripped */
        EX("len:u16be,strip=0", "\x00\x0cHELLO, WORLD", "14:\x00\x0cHELLO, WORLD,"),
        /* 2: 2-byte length stripped */
        EX("len:u16be,strip=2", "\x00\x0cHELLO, WORLD", "12:HELLO, WORLD,"),
        /* 3: the length counts itself */
        EX("len:u16be,adj=-2,strip=0", "\x00\x0eHELLO, WORLD", "14:\x00\x0eHELLO, WORLD,"),
        /* 4: a 3-byte length after a 2-byte header */
        EX("len:u24be@2", "\xca\xfe\x00\x00\x0cHELLO, WORLD",
           "17:\xca\xfe\x00\x00\x0cHELLO, WORLD,"),
        /* 5: a 3-byte length before a 2-byte header */
        EX("len:u24be,adj=2,strip=0", "\x00\x00\x0c\xca\xfeHELLO, WORLD",
           "17:\x00\x00\x0c\xca\xfeHELLO, WORLD,"),
        /* 6: HDR1, length, HDR2; HDR1 and the length stripped */
        EX("len:u16be@1,adj=1,strip=3", "\xca\x00\x0c\xfeHELLO, WORLD",
           "13:\xfeHELLO, WORLD,"),
        /* 7: as 6, the length counting the whole message */
        EX("len:u16be@1,adj=-3,strip=3", "\xca\x00\x10\xfeHELLO, WORLD",
           "13:\xfeHELLO, WORLD,"),
#undef EX
    };
    for (size_t k = 0; k < sizeof ex / sizeof ex[0]; k++) {
        aeh_codec *c = len(ex[k].spec);
        HARNESS_EXPECT_N(c, ex[k].in, ex[k].in_len, ex[k].want, ex[k].want_len);
        aeh_codec_free(c);
    }
}
END_TEST

static void same_at_every_split(const aeh_codec *c, const void *in, size_t n)
{
    harness_out o;
    harness_check_splits(c, in, n, &o);
    harness_out_free(&o);
}

START_TEST(variable_width_fields)
{
    /* varint: LEB128, 300 is ac 02 */
    aeh_codec *c = len("len:varint");
    char big[300], wire[3 + 300];
    memset(big, 'x', sizeof big);
    memcpy(wire, "\xac\x02", 2);
    memcpy(wire + 2, big, sizeof big);
    same_at_every_split(c, wire, 2 + 300);
    harness_out o;
    harness_decode(c, wire, 2 + 300, &o);
    ck_assert_int_eq(o.frames, 1);
    ck_assert_int_eq(o.error, 0);
    harness_out_free(&o);
    EXPECT(c, "\x03" "abc\x00\x01" "z", "3:abc,0:,1:z,");
    static const char *const frames[] = { "", "a", "hello world" };
    harness_roundtrip(c, frames, 3);
    aeh_codec_free(c);
    /* varint4 at @1 with adj: MQTT-like, a type byte and a trailer */
    c = len("len:varint4@1,adj=1");
    EXPECT(c, "T\x02" "ab!" "U\x00" "!", "5:T\x02" "ab!,3:U\x00" "!,");
    aeh_codec_free(c);
    /* ber: short and long forms; at @1 an ASN.1 SEQUENCE (LDAP's messages) */
    c = len("len:ber");
    EXPECT(c, "\x02" "ab" "\x00", "2:ab,0:,");
    memcpy(wire, "\x82\x01\x2c", 3);
    memcpy(wire + 3, big, sizeof big);
    same_at_every_split(c, wire, 3 + 300);
    aeh_buf out = { 0 };
    aeh_error e;
    static const struct { size_t n; const char *head; size_t head_len; } ber[] = {
        { 0, H("\x00") }, { 127, H("\x7f") }, { 128, H("\x81\x80") },
        { 255, H("\x81\xff") }, { 256, H("\x82\x01\x00") }, { 300, H("\x82\x01\x2c") },
    };
    for (size_t k = 0; k < sizeof ber / sizeof ber[0]; k++) {
        aeh_buf_clear(&out);
        ck_assert_int_eq(harness_encode(c, big, ber[k].n, &out, &e), 0);
        ck_assert_msg(aeh_buf_len(&out) == ber[k].head_len + ber[k].n &&
                      memcmp(aeh_buf_data(&out), ber[k].head, ber[k].head_len) == 0,
                      "ber header of %zu", ber[k].n);
    }
    harness_roundtrip(c, frames, 3);
    aeh_codec_free(c);
    c = len("len:ber@1");
    /* LDAP unbindRequest: SEQUENCE { messageID 2, [APPLICATION 2] NULL } */
    EXPECT_N(c, "\x30\x05\x02\x01\x02\x42\x00", "7:\x30\x05\x02\x01\x02\x42\x00,");
    aeh_codec_free(c);
    /* varint's encoder writes the shortest form */
    c = len("len:varint");
    aeh_buf_clear(&out);
    ck_assert_int_eq(harness_encode(c, big, 300, &out, &e), 0);
    ck_assert(aeh_buf_len(&out) == 302 && memcmp(aeh_buf_data(&out), "\xac\x02", 2) == 0);
    aeh_codec_free(c);
    /* varint4 refuses what 4 bytes cannot hold */
    c = len("len:varint4,adj=-268435456");
    ck_assert_int_eq(harness_encode(c, "", 0, &out, &e), -1);
    ck_assert_int_eq(e.code, EMSGSIZE);
    aeh_codec_free(c);
    aeh_buf_free(&out);
}
END_TEST

START_TEST(mqtt_packets)
{
    /* CONNECT (MQTT 3.1.1, client id "test", keep-alive 60), CONNACK, a
     * PUBLISH whose Remaining Length takes two bytes, PINGREQ: whole packets */
    aeh_codec *c = len("len:mqtt");
    static const char connect[] = "\x10\x10\x00\x04MQTT\x04\x02\x00\x3c\x00\x04test";
    EXPECT_N(c, "\x10\x10\x00\x04MQTT\x04\x02\x00\x3c\x00\x04test" "\x20\x02\x00\x00\xc0\x00",
             "18:\x10\x10\x00\x04MQTT\x04\x02\x00\x3c\x00\x04test,4:\x20\x02\x00\x00,2:\xc0\x00,");
    char publish[3 + 130];
    memset(publish, 'p', sizeof publish);
    memcpy(publish, "\x30\x82\x01", 3);
    harness_out o;
    harness_decode(c, publish, sizeof publish, &o);
    ck_assert_int_eq(o.frames, 1);
    ck_assert_int_eq(o.error, 0);
    harness_out_free(&o);
    same_at_every_split(c, publish, sizeof publish);
    /* sending: a whole packet, its Remaining Length checked */
    aeh_buf out = { 0 };
    aeh_error e;
    ck_assert_int_eq(harness_encode(c, connect, sizeof connect - 1, &out, &e), 0);
    ck_assert_int_eq(harness_encode(c, connect, sizeof connect - 2, &out, &e), -1);
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "says 16"));
    ck_assert_int_eq(harness_encode(c, "\x20\x80\x00", 3, &out, &e), -1);
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_uint_eq(e.offset, 2);
    ck_assert_int_eq(harness_encode(c, "\x20", 1, &out, &e), -1);
    ck_assert_int_eq(e.code, EINVAL);
    aeh_buf_free(&out);
    aeh_codec_free(c);
}
END_TEST

START_TEST(rpc_records)
{
    aeh_codec *c = len("len:rpc");
    /* one fragment; two (joined); an empty last fragment; then one more */
    EXPECT(c, "\x80\x00\x00\x03" "abc"
              "\x00\x00\x00\x02" "de" "\x80\x00\x00\x01" "f"
              "\x00\x00\x00\x01" "g" "\x80\x00\x00\x00"
              "\x80\x00\x00\x00",
           "3:abc,3:def,1:g,0:,");
    /* sending: one fragment with the last bit */
    aeh_buf out = { 0 };
    aeh_error e;
    ck_assert_int_eq(harness_encode(c, "abc", 3, &out, &e), 0);
    ck_assert(harness_buf_is(&out, "\x80\x00\x00\x03" "abc", 7));
    static const char *const frames[] = { "call", "", "reply" };
    harness_roundtrip(c, frames, 3);
    aeh_buf_free(&out);
    aeh_codec_free(c);
    /* max= counts the joined payload (and earlier fragments' headers),
     * refused at the header that passes it */
    c = len("len:rpc,max=8");
    EXPECT(c, "\x00\x00\x00\x02" "ab" "\x80\x00\x00\x02" "cd"
              "\x00\x00\x00\x02" "ef" "\x80\x00\x00\x03",
           harness_err("4:abcd,", ENOSPC, 18));
    aeh_codec_free(c);
    /* mask= alone: flag bits above the length are not part of it */
    c = len("len:u16be,mask=0fff");
    EXPECT(c, "\xf0\x02" "ab", "2:ab,");
    aeh_codec_free(c);
    /* truncated inside a later fragment */
    c = len("len:rpc");
    EXPECT(c, "\x00\x00\x00\x01" "a" "\x80\x00", harness_err("", EBADMSG, 7));
    aeh_codec_free(c);
}
END_TEST

START_TEST(variable_width_errors_at_their_byte)
{
    static const struct {
        const char *spec, *in;
        size_t in_len;
        const char *frames;
        int code;
        uint64_t offset;
        const char *msg;
    } bad[] = {
#define BAD(spec, in, frames, code, off, msg) { spec, in, sizeof(in) - 1, frames, code, off, msg }
        BAD("len:varint", "\x01" "a" "\x83\x00", "1:a,", EBADMSG, 3, "non-canonical varint"),
        BAD("len:varint", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", "", EBADMSG, 9,
            "over 64 bits"),
        BAD("len:varint", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x81", "", EBADMSG, 9,
            "over 64 bits"),
        BAD("len:varint", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", "", EBADMSG, 0,
            "over 2^63"),
        BAD("len:varint,max=3", "\x04", "", ENOSPC, 0, "longer than 3"),
        BAD("len:varint", "\x80", "", EBADMSG, 1, "truncated"),
        BAD("len:varint4", "\xff\xff\xff\x80", "", EBADMSG, 3, "longer than 4 bytes"),
        BAD("len:mqtt", "\x20\x02\x01\x01" "\x10\x80\x00", "4:\x20\x02\x01\x01,", EBADMSG, 6,
            "non-canonical varint"),
        BAD("len:ber", "\x80", "", EBADMSG, 0, "indefinite"),
        BAD("len:ber", "\xff", "", EBADMSG, 0, "reserved"),
        BAD("len:ber", "\x89", "", EBADMSG, 0, "more than 8 bytes"),
        BAD("len:ber", "\x82\x00\x80", "", EBADMSG, 1, "leading zero"),
        BAD("len:ber", "\x81\x05", "", EBADMSG, 0, "0x81 before a value under 0x80"),
        BAD("len:ber", "\x88\x80\x00\x00\x00\x00\x00\x00\x00", "", EBADMSG, 0,
            "over 2^63"),
        BAD("len:ber@1", "\x30\x80", "", EBADMSG, 1, "indefinite"),
        BAD("len:ber,max=1k", "\x83\x01\x00\x00", "", ENOSPC, 0, "longer than 1024"),
        BAD("len:varint,adj=-2", "\x01" "a", "", EBADMSG, 0, "inside its 1-byte header"),
        BAD("len:varint@2", "ab", "", EBADMSG, 2, "truncated"),
#undef BAD
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        aeh_codec *c = len(bad[k].spec);
        HARNESS_EXPECT(c, bad[k].in, bad[k].in_len,
                       harness_err(bad[k].frames, bad[k].code, bad[k].offset));
        harness_out o;
        harness_decode(c, bad[k].in, bad[k].in_len, &o);
        ck_assert_msg(strstr(o.msg, bad[k].msg), "%s: '%s' has no '%s'", bad[k].spec, o.msg,
                      bad[k].msg);
        harness_out_free(&o);
        aeh_codec_free(c);
    }
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("frame_len");
    TCase *t = tcase_create("len");
    tcase_set_timeout(t, 60);
    tcase_add_loop_test(t, every_format_writes_and_reads_its_header, 0,
                        (int)(sizeof formats / sizeof formats[0]));
    tcase_add_test(t, offset_adjustment_and_strip);
    tcase_add_test(t, presets_on_real_messages);
    tcase_add_test(t, errors_at_their_byte);
    tcase_add_test(t, over_max_refused_at_the_header);
    tcase_add_test(t, encoders);
    tcase_add_test(t, bad_specs_name_their_offset);
    tcase_add_test(t, netty_examples);
    tcase_add_test(t, variable_width_fields);
    tcase_add_test(t, mqtt_packets);
    tcase_add_test(t, rpc_records);
    tcase_add_test(t, variable_width_errors_at_their_byte);
    suite_add_tcase(s, t);
    return s;
}

UNIT_MAIN(make_suite)
