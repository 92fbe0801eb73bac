/* SPDX-License-Identifier: MIT */
/* len: a frame whose length is a field somewhere in its header, as Netty's
 * LengthFieldBasedFrameDecoder, generalised:
 *
 *   FMT[@OFF][,adj=N][,strip=hdr|N][,mask=HEX][,last=HEX][,max=SIZE]
 *   or PRESET[,option...]
 *
 * FMT is u8, u16be ... u64le, a Perl pack letter for an unsigned fixed-size
 * integer (n N v V C S L Q J I with < > !, frame_packstring.c's table), or
 * one of the variable-width fields: varint (LEB128, up to 10 bytes),
 * varint4 (MQTT's remaining length: 1 to 4 bytes) and ber (an ASN.1
 * definite length: one byte under 0x80, or 0x81..0x88 and that many bytes).
 * Variable-width fields must be in their shortest form.  The frame ends at
 * OFF + width + value + adj (the width the field has in this frame; signed
 * 64-bit, checked); strip drops that many bytes of its start from what is
 * delivered: by default the header (hdr = OFF + width) when OFF is 0, none
 * when OFF > 0 (the frame is the whole message).
 *
 * mask= keeps only those bits of a fixed-size field as the value; last=
 * makes frames records of fragments (ONC RPC record marking, RFC 5531
 * section 11): a fragment whose field has the last bit is the record's
 * last, and the frame is the fragments' payloads joined.  Fragments have
 * their header at 0 and always drop it (strip=hdr): a record with its
 * fragment headers inside would be neither the payload nor a message the
 * encoder could check, so strip=0 is refused with last=.
 *
 * Decoding errors are at the byte: the start of the length field (OFF) for
 * a frame that would end inside its header or past 2^63 (EBADMSG), and for
 * one whose delivered size is over max / max_frame (ENOSPC, before any of
 * the body is buffered; for records, at the fragment's header that makes
 * the joined payload too long); the byte at fault in a malformed
 * variable-width field; EOF inside a frame is truncation.
 *
 * Sending is defined for two strips only.  strip = 0: a record is a whole
 * message, header included; its length field is checked against its size
 * (EINVAL naming both).  strip = hdr with OFF = 0: a record is the payload
 * and the encoder writes the length field, in its shortest form, as one
 * fragment with the last bit when last= is given (EMSGSIZE when it does
 * not fit).  Any other strip drops bytes the encoder cannot invent (the
 * OFF bytes before the field, or part of the header): such a codec has no
 * encoder (encode is NULL), and aecat refuses it as a send framing. */
#include <limits.h>
#include "codec_int.h"

typedef enum { LEN_FIXED, LEN_VARINT, LEN_VARINT4, LEN_BER } len_format;

typedef struct {
    size_t off, strip;            /* where the length field starts; bytes dropped */
    bool strip_hdr;               /* strip = the header, whose width varies (varint, ber) */
    len_format format;
    unsigned width;               /* bytes in a fixed-size length field */
    bool big_endian;
    int64_t adj;                  /* added to the field's value */
    uint64_t mask, last;          /* the value's bits; the last-fragment bit (0: none) */
    size_t max;                   /* max= (0: only the codec's max_frame) */
} len_conf;

/* The largest frame (as delivered) the decoder accepts. */
static uint64_t len_limit(const aeh_codec *c, const len_conf *cf)
{
    uint64_t limit = SIZE_MAX - 16;
    if (c->max_frame && c->max_frame < limit)
        limit = c->max_frame;
    if (cf->max && cf->max < limit)
        limit = cf->max;
    return limit;
}

/* An ASN.1 definite length (X.690 8.1.3) in its shortest form: see
 * codec_varint_load for the answers. */
static int len_ber_load(const uint8_t *p, size_t n, uint64_t *v, unsigned *width, size_t *bad,
                        const char **why)
{
    if (n == 0)
        return 0;
    *bad = 0;
    if (p[0] < 0x80) {
        *v = p[0];
        *width = 1;
        return 1;
    }
    unsigned k = p[0] & 0x7f;
    *why = p[0] == 0x80 ? "BER indefinite length (0x80) is not a length"
         : p[0] == 0xff ? "BER length byte 0xff is reserved"
         : k > 8 ? "BER length of more than 8 bytes" : NULL;
    if (*why)
        return -1;
    if (n > 1 && p[1] == 0) {
        *bad = 1;
        *why = "non-minimal BER length (leading zero byte)";
        return -1;
    }
    if (n < 1 + k)
        return 0;
    *v = codec_load_uint(p + 1, k, true);
    if (k == 1 && *v < 0x80) {
        *why = "non-minimal BER length (0x81 before a value under 0x80)";
        return -1;
    }
    *width = 1 + k;
    return 1;
}

/* The length field at p[0, n): 1 with its value, width and last-fragment
 * bit, 0 if not all here, -1 with err at its byte (offsets from p).
 * `plain`: the caller knows the field is fixed-size and there are no
 * fragments (a constant, so that the batch loop has no other path). */
CODEC_PER_FRAME int len_field(const aeh_codec *c, const len_conf *cf, const uint8_t *p, size_t n,
                              bool plain, uint64_t *v, unsigned *width, bool *last, aeh_error *err)
{
    if (plain || cf->format == LEN_FIXED) {
        if (n < cf->width)
            return 0;
        uint64_t field = codec_load_uint(p, cf->width, cf->big_endian);
        *v = field & cf->mask;
        *width = cf->width;
        *last = plain || !cf->last || (field & cf->last);
        return 1;
    }
    size_t bad = 0;
    const char *why = NULL;
    int rc = cf->format == LEN_BER ? len_ber_load(p, n, v, width, &bad, &why)
                                   : codec_varint_load(p, n, cf->format == LEN_VARINT4 ? 4 : 10,
                                                       v, width, &bad, &why);
    *last = true;
    return rc < 0 ? codec_malformed(c, err, bad, why) : rc;
}

/* The end of the frame (or fragment) starting at buf and the bytes of it
 * that are dropped: 1 with *end and *skip, 0 if the header is not all here,
 * -1 with err (at the length field).  `joined`: payload bytes of the
 * record's earlier fragments, which count against the limit. */
CODEC_PER_FRAME int len_end(const aeh_codec *c, const len_conf *cf, const uint8_t *buf,
                            size_t len, bool plain, uint64_t limit, uint64_t joined, size_t *end,
                            size_t *skip, bool *last, aeh_error *err)
{
    uint64_t v = 0;
    unsigned width = 0;
    int rc = len < cf->off ? 0 : len_field(c, cf, buf + cf->off, len - cf->off, plain, &v, &width,
                                           last, err);
    if (rc <= 0) {
        if (rc < 0)
            err->offset += cf->off;
        return rc;
    }
    size_t hdr = cf->off + width;
    int64_t body;
    bool overflow = v > INT64_MAX || __builtin_add_overflow((int64_t)v, cf->adj, &body);
    if (!overflow && body < 0)
        return aeh_fail(err, EBADMSG, cf->off,
                        "%s: length %llu%+lld ends the frame inside its %zu-byte header", c->name,
                        (unsigned long long)v, (long long)cf->adj, hdr);
    if (overflow || (uint64_t)body > INT64_MAX - hdr)
        return aeh_fail(err, EBADMSG, cf->off, "%s: length %llu%+lld is over 2^63", c->name,
                        (unsigned long long)v, (long long)cf->adj);
    uint64_t total = hdr + (uint64_t)body;
    *skip = !plain && cf->strip_hdr ? hdr : cf->strip;   /* strip=N is at most OFF + 1 */
    if (total - *skip > limit || joined > limit - (total - *skip)) {
        if (limit == c->max_frame || limit == cf->max)
            return aeh_fail(err, ENOSPC, cf->off, "%s: frame of %llu bytes is longer than %llu",
                            c->name, (unsigned long long)(total - *skip + joined),
                            (unsigned long long)limit);
        return aeh_fail(err, ENOSPC, cf->off, "%s: length %llu does not fit in memory", c->name,
                        (unsigned long long)v);
    }
    *end = (size_t)total;
    return 1;
}

/* A record of several fragments, all in buf[0, record_end) (already
 * checked by len_decode): their payloads joined in st->out. */
static int len_join(const aeh_codec *c, const len_conf *cf, aeh_dstate *st, const uint8_t *buf,
                    size_t len, size_t record_end, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    aeh_buf_clear(&st->out);
    for (size_t pos = 0; pos < record_end;) {
        size_t end = 0, skip = 0;
        bool last;
        len_end(c, cf, buf + pos, len - pos, false, SIZE_MAX, 0, &end, &skip, &last, err);
        if (codec_put(c, &st->out, buf + pos + skip, end - skip, err) < 0)
            return AEH_DEC_ERROR;
        pos += end;
    }
    return codec_frame(st, aeh_buf_data(&st->out), aeh_buf_len(&st->out), record_end, frame,
                       consumed);
}

/* st->u[0]: where the next fragment header is (0 before the first or
 * without last=); u[1]: the bytes of the fragments before it, headers
 * included, which count against the limit. */
static int len_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                      bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    const len_conf *cf = c->priv;
    const uint64_t limit = len_limit(c, cf);
    size_t pos = (size_t)st->u[0], end = 0, skip = 0;
    bool last = false;
    for (;;) {
        int rc = len_end(c, cf, buf + pos, len - pos, false, limit, st->u[1], &end, &skip, &last,
                         err);
        if (rc < 0) {
            err->offset += pos;
            return AEH_DEC_ERROR;
        }
        if (rc == 0 || len - pos < end)
            return eof && len ? codec_truncated(c, err, len) : AEH_DEC_MORE;
        if (last)
            break;
        /* an earlier fragment counts with its header, so that a record of
         * empty fragments cannot grow without bound */
        st->u[1] += end;
        st->u[0] = pos += end;
    }
    if (pos)
        return len_join(c, cf, st, buf, len, pos + end, frame, consumed, err);
    return codec_frame(st, buf + skip, end - skip, end, frame, consumed);
}

CODEC_PER_FRAME size_t len_frames(const aeh_codec *c, const len_conf *cf, const uint8_t *buf,
                                  size_t len, bool plain, aeh_span *frames, size_t *used,
                                  size_t max)
{
    const uint64_t limit = len_limit(c, cf);
    size_t k = 0, off = 0, end = 0, skip = 0;
    bool last = false;
    aeh_error unused;
    while (k < max &&
           len_end(c, cf, buf + off, len - off, plain, limit, 0, &end, &skip, &last, &unused) == 1 &&
           last && end <= len - off) {
        frames[k] = (aeh_span){ buf + off + skip, end - skip };
        used[k++] = end;
        off += end;
    }
    return k;
}

/* Whole frames back to back; len_decode keeps no state between frames, so
 * this may start anywhere, and leaves anything else (errors, a frame not
 * all here, a record of several fragments) to it. */
/* A fixed-size field at 0 counting the payload alone, dropped: the wire
 * of packstring's fixed formats, with their batch loops. */
static bool len_plain(const len_conf *cf)
{
    return cf->format == LEN_FIXED && !cf->last && cf->mask == UINT64_MAX && cf->off == 0 &&
           cf->adj == 0 && (cf->strip_hdr || cf->strip == cf->width);
}

static size_t len_decode_many(const aeh_codec *c, const aeh_dstate *st, const uint8_t *buf,
                              size_t len, aeh_span *frames, size_t *used, size_t max)
{
    const len_conf *cf = c->priv;
    if (st->u[0])
        return 0;
    if (len_plain(cf)) {          /* a loop per field size, as packstring's */
        uint64_t limit = len_limit(c, cf);
        switch (cf->width) {
        case 2: return codec_fixed_frames(buf, len, frames, used, max, 2, cf->big_endian, 0, limit);
        case 4: return codec_fixed_frames(buf, len, frames, used, max, 4, cf->big_endian, 0, limit);
        default: return codec_fixed_frames(buf, len, frames, used, max, cf->width, cf->big_endian, 0, limit);
        }
    }
    if (cf->format == LEN_FIXED && !cf->last)
        return len_frames(c, cf, buf, len, true, frames, used, max);
    return len_frames(c, cf, buf, len, false, frames, used, max);
}

/* The length field a payload of n bytes needs (value n - adj), written
 * in its shortest form to w (room for 16 bytes); its size, or 0 when the
 * format cannot hold it. */
static unsigned len_field_store(const len_conf *cf, size_t n, uint8_t *w)
{
    int64_t v;
    if (n > INT64_MAX || __builtin_sub_overflow((int64_t)n, cf->adj, &v) || v < 0)
        return 0;
    uint64_t u = (uint64_t)v;
    switch (cf->format) {
    case LEN_FIXED:
        if ((u & cf->mask) != u || (cf->width < 8 && u >> (8 * cf->width)))
            return 0;
        codec_store_uint(w, u | cf->last, cf->width, cf->big_endian);
        return cf->width;
    case LEN_VARINT4:
        if (u > 268435455)
            return 0;
        /* fall through */
    case LEN_VARINT:
        return codec_varint_store(w, u);
    case LEN_BER:
        if (u < 0x80) {
            w[0] = (uint8_t)u;
            return 1;
        }
        unsigned k = (unsigned)(8 - __builtin_clzll(u) / 8);
        w[0] = (uint8_t)(0x80 | k);
        codec_store_uint(w + 1, u, k, true);
        return 1 + k;
    }
    return 0;
}

/* strip = hdr, OFF = 0: the length field, then the payload. */
static int len_encode_payload(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                              aeh_error *err)
{
    const len_conf *cf = c->priv;
    if (codec_check_encode_size(c, n, err) < 0)
        return -1;
    uint8_t head[16];
    unsigned width = len_field_store(cf, n, head);
    if (!width)
        return aeh_fail(err, EMSGSIZE, 0, "%s: a frame of %zu bytes cannot be given a length field",
                        c->name, n);
    uint8_t *w = codec_room(out, width + n);
    if (!w)
        return aeh_fail(err, ENOMEM, 0, "%s: out of memory", c->name);
    memcpy(w, head, width);
    if (n)
        memcpy(w + width, p, n);
    out->tail += width + n;       /* within the room codec_room gave */
    return 0;
}

/* len_plain's batches: one reservation for all (the first frame refused,
 * len_encode_payload says why). */
static size_t len_encode_many(const aeh_codec *c, const aeh_span *frames, size_t n, aeh_buf *out,
                              aeh_error *err)
{
    const len_conf *cf = c->priv;
    bool nomem;
    size_t k = codec_fixed_encode(frames, n, out, cf->width, cf->big_endian, 8 * cf->width,
                                  c->max_frame ? c->max_frame : SIZE_MAX, &nomem);
    if (nomem)
        aeh_fail(err, ENOMEM, 0, "%s: out of memory", c->name);
    else if (k < n)
        len_encode_payload(c, frames[k].p, frames[k].n, out, err);   /* refuses it, and says why */
    return k;
}

/* strip = 0: the record is the whole message; its length field must say so. */
static int len_encode_whole(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                            aeh_error *err)
{
    const len_conf *cf = c->priv;
    if (codec_check_encode_size(c, n, err) < 0)
        return -1;
    uint64_t v = 0;
    unsigned width = 0;
    bool last;
    int rc = n < cf->off ? 0 : len_field(c, cf, p + cf->off, n - cf->off, false, &v, &width, &last,
                                         err);
    if (rc < 0) {
        err->code = EINVAL;
        err->offset += cf->off;
        return -1;
    }
    size_t hdr = cf->off + (rc ? width : cf->format == LEN_FIXED ? cf->width : 1);
    if (rc == 0)
        return aeh_fail(err, EINVAL, n, "%s: a record of %zu bytes is shorter than the %zu-byte header",
                        c->name, n, hdr);
    int64_t want;
    if (__builtin_sub_overflow((int64_t)(n - hdr), cf->adj, &want) || want < 0 ||
        (uint64_t)want != v)
        return aeh_fail(err, EINVAL, cf->off,
                        "%s: the length field says %llu, a record of %zu bytes needs %lld", c->name,
                        (unsigned long long)v, n, (long long)want);
    return codec_put(c, out, p, n, err);
}

/* ------------------------------------------------------------------ spec */

typedef struct {
    const char *name, *spec;
} len_preset;

/* Each checked against its protocol: see man/aecat.1, FRAMING. */
static const len_preset presets[] = {
    { "pg", "u32be@1,adj=-4" },          /* type byte, Int32 length counting itself */
    { "pg-startup", "u32be,adj=-4,strip=0" }, /* StartupMessage, SSLRequest: no type byte */
    { "mysql", "u24le,adj=1,strip=0" },  /* 3-byte length, sequence id, payload */
    { "dns", "u16be" },                  /* RFC 1035 4.2.2: 2-byte length over TCP */
    { "tls", "u16be@3" },                /* type, version(2), length(2), fragment */
    { "h2", "u24be,adj=6,strip=0" },     /* length(3), type, flags, stream id(4) */
    { "amqp", "u32be@3,adj=1" },         /* type, channel(2), size(4), payload, frame-end */
    { "mongo", "u32le,adj=-4,strip=0" }, /* messageLength counts the whole message */
    { "kafka", "u32be" },                /* Size, then the request or response */
    { "thrift", "u32be" },               /* TFramedTransport */
    { "modbus", "u16be@4" },             /* MBAP: transaction(2), protocol(2), length(2) */
    { "mqtt", "varint4@1" },             /* fixed header byte, Remaining Length, the rest */
    { "rpc", "u32be,mask=0x7fffffff,last=0x80000000" },  /* RFC 5531 11: record marking */
};

static int len_fmt(const char *fmt, size_t n, size_t at, len_conf *cf, aeh_error *err)
{
    static const struct { const char *name; unsigned width; bool big; } named[] = {
        { "u8", 1, true },      { "u16be", 2, true }, { "u16le", 2, false },
        { "u24be", 3, true },   { "u24le", 3, false }, { "u32be", 4, true },
        { "u32le", 4, false },  { "u64be", 8, true },  { "u64le", 8, false },
    };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (strlen(named[i].name) == n && memcmp(fmt, named[i].name, n) == 0) {
            cf->width = named[i].width;
            cf->big_endian = named[i].big;
            return 0;
        }
    static const struct { const char *name; len_format format; } variable[] = {
        { "varint", LEN_VARINT }, { "varint4", LEN_VARINT4 }, { "ber", LEN_BER },
    };
    for (size_t i = 0; i < sizeof variable / sizeof variable[0]; i++)
        if (strlen(variable[i].name) == n && memcmp(fmt, variable[i].name, n) == 0) {
            cf->format = variable[i].format;
            return 0;
        }
    char letter[8] = { 0 };
    if (n == 0 || n >= sizeof letter || !strchr("CSLQJInNvV", fmt[0]))
        return aeh_fail(err, EINVAL, at, "len: '%.*s' is not a length format (expected u8, "
                        "u16be ... u64le, varint, varint4, ber, an unsigned pack letter or a preset)", (int)n, fmt);
    memcpy(letter, fmt, n);
    bool is_signed = false;
    int rc = aeh__pack_fixed_format(letter, &cf->width, &cf->big_endian, &is_signed, err);
    if (rc < 0) {
        err->offset += at;
        return -1;
    }
    if (rc == 0 || is_signed)
        return aeh_fail(err, EINVAL, at, "len: '%s' is not a fixed-size unsigned length", letter);
    return 0;
}

/* A decimal number within [lo, hi] at s (n bytes), with an optional k, M or
 * G (powers of 1024) when `units`. */
static int len_number(const char *s, size_t n, size_t at, bool units, int64_t lo, int64_t hi,
                      const char *what, int64_t *out, aeh_error *err)
{
    size_t i = 0;
    bool neg = n && s[0] == '-';
    if (neg || (n && s[0] == '+'))
        i++;
    uint64_t v = 0;
    size_t digits = i;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > (UINT64_MAX - 9) / 10)
            return aeh_fail(err, EINVAL, at + i, "len: %s is too large", what);
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (i == digits)
        return aeh_fail(err, EINVAL, at + i, "len: %s is not a number", what);
    if (units && i + 1 == n && strchr("kKMG", s[i])) {
        unsigned shift = s[i] == 'G' ? 30 : s[i] == 'M' ? 20 : 10;
        if (v > UINT64_MAX >> shift)
            return aeh_fail(err, EINVAL, at, "len: %s is too large", what);
        v <<= shift;
        i++;
    }
    if (i != n)
        return aeh_fail(err, EINVAL, at + i, "len: %s is not a number", what);
    if (v > (uint64_t)INT64_MAX || (neg ? -(int64_t)v : (int64_t)v) < lo ||
        (neg ? -(int64_t)v : (int64_t)v) > hi)
        return aeh_fail(err, EINVAL, at, "len: %s is out of range", what);
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

/* A 64-bit bit mask in hex (0x optional) at s (n bytes), not zero. */
static int len_bits(const char *s, size_t n, size_t at, const char *what, uint64_t *out,
                    aeh_error *err)
{
    size_t i = n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 2 : 0;
    uint64_t v = 0;
    if (i == n)
        return aeh_fail(err, EINVAL, at + i, "len: %s is not a hex number", what);
    for (; i < n; i++) {
        int d = textenc_hex_value((unsigned char)s[i]);
        if (d < 0)
            return aeh_fail(err, EINVAL, at + i, "len: %s is not a hex number", what);
        if (v >> 60)
            return aeh_fail(err, EINVAL, at, "len: %s is over 64 bits", what);
        v = v << 4 | (unsigned)d;
    }
    if (!v)
        return aeh_fail(err, EINVAL, at, "len: %s is zero", what);
    *out = v;
    return 0;
}

/* Where options were given in the spec, 1 + their offset (0: not given),
 * for the checks that need the whole spec. */
typedef struct {
    size_t strip, mask, last;
} len_option_at;

/* One ",key=value" option of s[0, n), at offset `at` of the whole spec. */
static int len_option(const char *s, size_t n, size_t at, len_conf *cf, len_option_at *where,
                      aeh_error *err)
{
    const char *eq = memchr(s, '=', n);
    size_t klen = eq ? (size_t)(eq - s) : n, vat = at + klen + 1;
    const char *val = s + klen + 1;
    size_t vlen = eq ? n - klen - 1 : 0;
    int64_t v = 0;
#define KEY_IS(k) (klen == sizeof(k) - 1 && memcmp(s, k, klen) == 0)
    if (!eq)
        return aeh_fail(err, EINVAL, at, "len: option '%.*s' has no value (KEY=VALUE)", (int)n, s);
    if (KEY_IS("adj")) {
        if (len_number(val, vlen, vat, false, -INT64_MAX, INT64_MAX, "adj", &v, err) < 0)
            return -1;
        cf->adj = v;
    } else if (KEY_IS("strip")) {
        where->strip = at + 1;
        cf->strip_hdr = vlen == 3 && memcmp(val, "hdr", 3) == 0;
        if (cf->strip_hdr)
            cf->strip = 0;
        else if (len_number(val, vlen, vat, false, 0, INT64_MAX, "strip", &v, err) < 0)
            return -1;
        else
            cf->strip = (size_t)v;
    } else if (KEY_IS("max")) {
        if (len_number(val, vlen, vat, true, 1, (int64_t)(SIZE_MAX >> 1), "max", &v, err) < 0)
            return -1;
        cf->max = (size_t)v;
    } else if (KEY_IS("mask")) {
        where->mask = at + 1;
        return len_bits(val, vlen, vat, "mask", &cf->mask, err);
    } else if (KEY_IS("last")) {
        where->last = at + 1;
        return len_bits(val, vlen, vat, "last", &cf->last, err);
    } else {
        return aeh_fail(err, EINVAL, at, "len: unknown option '%.*s' (expected adj, strip, "
                        "mask, last, max)", (int)klen, s);
    }
#undef KEY_IS
    return 0;
}

/* FMT[@OFF] or PRESET, then the options; `at` is spec's offset in what the
 * user wrote, so that a preset's own spec never shows in an error. */
static int len_parse(const char *spec, size_t at, len_conf *cf, len_option_at *where,
                     aeh_error *err)
{
    size_t head = strcspn(spec, ",");
    size_t fmt_len = strcspn(spec, "@,");
    bool preset = false;
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strlen(presets[i].name) == fmt_len && memcmp(spec, presets[i].name, fmt_len) == 0) {
            if (fmt_len != head)
                return aeh_fail(err, EINVAL, at + fmt_len, "len: preset '%s' takes no @OFF",
                                presets[i].name);
            aeh_error inner;
            if (len_parse(presets[i].spec, 0, cf, where, &inner) < 0)
                return aeh_fail(err, inner.code, at, "len: preset '%s': %s", presets[i].name,
                                inner.msg);
            preset = true;
        }
    if (!preset && len_fmt(spec, fmt_len, at, cf, err) < 0)
        return -1;
    if (fmt_len < head) {             /* @OFF */
        int64_t off;
        if (len_number(spec + fmt_len + 1, head - fmt_len - 1, at + fmt_len + 1, false, 0,
                       1 << 20, "@OFF", &off, err) < 0)
            return -1;
        cf->off = (size_t)off;
    }
    for (size_t i = head; spec[i];) {
        size_t n = strcspn(spec + i + 1, ",");
        if (len_option(spec + i + 1, n, at + i + 1, cf, where, err) < 0)
            return -1;
        i += 1 + n;
    }
    return 0;
}

/* What the options mean together; *encode: the encoder the strip allows. */
static int len_resolve(len_conf *cf, const len_option_at *where, aeh_encode_fn **encode,
                       aeh_error *err)
{
    bool fixed = cf->format == LEN_FIXED;
    size_t min_hdr = cf->off + (fixed ? cf->width : 1);
    if ((where->mask || where->last) && !fixed)
        return aeh_fail(err, EINVAL, (where->mask ? where->mask : where->last) - 1,
                        "len: mask= and last= need a fixed-size length field");
    if (cf->last && (cf->off || (where->strip && !cf->strip_hdr)))
        return aeh_fail(err, EINVAL, (cf->off ? where->last : where->strip) - 1,
                        "len: last= joins fragments' payloads: their header is at 0 and "
                        "stripped (strip=hdr)");
    if (cf->last & cf->mask)
        return aeh_fail(err, EINVAL, where->last - 1, "len: the last= bit is also in mask=");
    if (!where->strip)
        cf->strip_hdr = cf->off == 0;
    if (cf->strip_hdr && fixed) {    /* a fixed header: strip is known now */
        cf->strip = min_hdr;
        cf->strip_hdr = false;
    }
    if (!cf->strip_hdr && cf->strip > min_hdr)
        return aeh_fail(err, EINVAL, where->strip - 1, "len: strip=%zu is more than the %zu-byte header",
                        cf->strip, min_hdr);
    bool payload = cf->off == 0 && (cf->strip_hdr || (fixed && cf->strip == min_hdr));
    *encode = payload ? len_encode_payload : cf->strip == 0 && !cf->strip_hdr ? len_encode_whole : NULL;
    return 0;
}

aeh_codec *aeh_codec_len(const char *spec, aeh_error *err)
{
    len_conf cf = { .mask = UINT64_MAX };
    len_option_at where = { 0 };
    aeh_encode_fn *encode = NULL;
    if (!spec || !*spec) {
        aeh_fail(err, EINVAL, 0, "len: empty spec (expected FMT[@OFF][,adj=N][,strip=hdr|N]"
                 "[,mask=HEX][,last=HEX][,max=SIZE] or a preset)");
        return NULL;
    }
    if (len_parse(spec, 0, &cf, &where, err) < 0 || len_resolve(&cf, &where, &encode, err) < 0)
        return NULL;
    aeh_codec *c = codec_alloc(AEH_CODEC_KIND_LEN, "len", len_decode, encode, sizeof cf, err);
    if (c) {
        memcpy(c->priv, &cf, sizeof cf);
        c->decode_many = len_decode_many;
        if (encode == len_encode_payload && len_plain(&cf))
            c->encode_many = len_encode_many;   /* else aeh_push_frames' own loop */
    }
    return c;
}
