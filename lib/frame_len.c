/* SPDX-License-Identifier: MIT */
/* len: a frame whose length is a fixed-size unsigned field somewhere in its
 * header, as Netty's LengthFieldBasedFrameDecoder:
 *
 *   FMT[@OFF][,adj=N][,strip=hdr|N][,max=SIZE]    or    PRESET[,option...]
 *
 * FMT is u8, u16be ... u64le, or a Perl pack letter for an unsigned
 * fixed-size integer (n N v V C S L Q J I with < > !, frame_packstring.c's
 * table).  The frame ends at OFF + width + value + adj (signed 64-bit,
 * checked); strip drops that many bytes of its start from what is
 * delivered: by default the header (hdr = OFF + width) when OFF is 0, none
 * when OFF > 0 (the frame is the whole message).
 *
 * Decoding errors are at the byte: the start of the length field (OFF) for
 * a frame that would end inside its header or past 2^63 (EBADMSG), and for
 * one whose delivered size is over max / max_frame (ENOSPC, before any of
 * the body is buffered); EOF inside a frame is truncation.
 *
 * Sending is defined for two strips only.  strip = 0: a record is a whole
 * message, header included; its length field is checked against its size
 * (EINVAL naming both).  strip = hdr with OFF = 0: a record is the payload
 * and the encoder writes the length field (EMSGSIZE when it does not fit).
 * Any other strip drops bytes the encoder cannot invent (the OFF bytes
 * before the field, or part of the header): such a codec has no encoder
 * (encode is NULL), and aecat refuses it as a send framing. */
#include <limits.h>
#include "codec_int.h"

typedef struct {
    size_t off, strip;            /* where the length field starts; bytes dropped */
    unsigned width;               /* bytes in the length field */
    bool big_endian;
    int64_t adj;                  /* added to the field's value */
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

/* The end of the frame starting at buf: 1 with *end, 0 if the header is
 * not all here, -1 with err (EBADMSG or ENOSPC at the length field). */
CODEC_PER_FRAME int len_end(const aeh_codec *c, const len_conf *cf, const uint8_t *buf,
                            size_t len, uint64_t limit, size_t *end, aeh_error *err)
{
    size_t hdr = cf->off + cf->width;
    if (len < hdr)
        return 0;
    uint64_t v = codec_load_uint(buf + cf->off, cf->width, cf->big_endian);
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
    if (total - cf->strip > limit) {
        if (limit == c->max_frame || limit == cf->max)
            return aeh_fail(err, ENOSPC, cf->off, "%s: frame of %llu bytes is longer than %llu",
                            c->name, (unsigned long long)(total - cf->strip),
                            (unsigned long long)limit);
        return aeh_fail(err, ENOSPC, cf->off, "%s: length %llu does not fit in memory", c->name,
                        (unsigned long long)v);
    }
    *end = (size_t)total;
    return 1;
}

static int len_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                      bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    const len_conf *cf = c->priv;
    size_t end = 0;
    int rc = len_end(c, cf, buf, len, len_limit(c, cf), &end, err);
    if (rc < 0)
        return AEH_DEC_ERROR;
    if (rc == 0 || len < end)
        return eof && len ? codec_truncated(c, err, len) : AEH_DEC_MORE;
    return codec_frame(st, buf + cf->strip, end - cf->strip, end, frame, consumed);
}

/* Whole frames back to back; len_decode keeps no state between calls, so
 * this may start anywhere, and leaves anything else (errors, a frame not
 * all here) to it. */
static size_t len_decode_many(const aeh_codec *c, const aeh_dstate *st, const uint8_t *buf,
                              size_t len, aeh_span *frames, size_t *used, size_t max)
{
    (void)st;
    const len_conf *cf = c->priv;
    const uint64_t limit = len_limit(c, cf);
    size_t k = 0, off = 0, end = 0;
    aeh_error unused;
    while (k < max && len_end(c, cf, buf + off, len - off, limit, &end, &unused) == 1 &&
           end <= len - off) {
        frames[k] = (aeh_span){ buf + off + cf->strip, end - cf->strip };
        used[k++] = end;
        off += end;
    }
    return k;
}

/* The value the length field holds for a frame of `total` bytes, or -1. */
static int64_t len_field_for(const len_conf *cf, size_t total)
{
    int64_t v;
    if (total > INT64_MAX || __builtin_sub_overflow((int64_t)total, (int64_t)(cf->off + cf->width), &v) ||
        __builtin_sub_overflow(v, cf->adj, &v) || v < 0 ||
        (cf->width < 8 && (uint64_t)v >> (8 * cf->width)))
        return -1;
    return v;
}

/* strip = hdr, OFF = 0: the length field, then the payload. */
static int len_encode_payload(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                              aeh_error *err)
{
    const len_conf *cf = c->priv;
    if (codec_check_encode_size(c, n, err) < 0)
        return -1;
    int64_t v = n <= SIZE_MAX - cf->width ? len_field_for(cf, cf->width + n) : -1;
    if (v < 0)
        return aeh_fail(err, EMSGSIZE, 0, "%s: a frame of %zu bytes cannot be given a length field",
                        c->name, n);
    uint8_t *w = codec_room(out, cf->width + n);
    if (!w)
        return aeh_fail(err, ENOMEM, 0, "%s: out of memory", c->name);
    codec_store_uint(w, (uint64_t)v, cf->width, cf->big_endian);
    if (n)
        memcpy(w + cf->width, p, n);
    out->tail += cf->width + n;   /* within the room codec_room gave */
    return 0;
}

/* strip = 0: the record is the whole message; its length field must say so. */
static int len_encode_whole(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                            aeh_error *err)
{
    const len_conf *cf = c->priv;
    if (codec_check_encode_size(c, n, err) < 0)
        return -1;
    size_t hdr = cf->off + cf->width;
    if (n < hdr)
        return aeh_fail(err, EINVAL, n, "%s: a record of %zu bytes is shorter than the %zu-byte header",
                        c->name, n, hdr);
    uint64_t v = codec_load_uint(p + cf->off, cf->width, cf->big_endian);
    int64_t want = len_field_for(cf, n);
    if (want < 0 || (uint64_t)want != v)
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
};

/* Things of the grammar that a later slice will do. */
static const char *const not_yet[] = { "varint", "varint4", "ber", "mqtt", "rpc" };

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
    char letter[8] = { 0 };
    if (n == 0 || n >= sizeof letter || !strchr("CSLQJInNvV", fmt[0]))
        return aeh_fail(err, EINVAL, at, "len: '%.*s' is not a length format (expected u8, "
                        "u16be ... u64le, an unsigned pack letter or a preset)", (int)n, fmt);
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

/* One ",key=value" option of s[0, n), at offset `at` of the whole spec;
 * *strip_at is 1 + the offset of a strip option. */
static int len_option(const char *s, size_t n, size_t at, len_conf *cf, size_t *strip_at,
                      aeh_error *err)
{
    const char *eq = memchr(s, '=', n);
    size_t klen = eq ? (size_t)(eq - s) : n, vat = at + klen + 1;
    const char *val = s + klen + 1;
    size_t vlen = eq ? n - klen - 1 : 0;
    int64_t v = 0;
#define KEY_IS(k) (klen == sizeof(k) - 1 && memcmp(s, k, klen) == 0)
    if (!eq && !KEY_IS("mask") && !KEY_IS("last"))
        return aeh_fail(err, EINVAL, at, "len: option '%.*s' has no value (KEY=VALUE)", (int)n, s);
    if (KEY_IS("adj")) {
        if (len_number(val, vlen, vat, false, -INT64_MAX, INT64_MAX, "adj", &v, err) < 0)
            return -1;
        cf->adj = v;
    } else if (KEY_IS("strip")) {
        *strip_at = at + 1;           /* 0: strip not given */
        if (vlen == 3 && memcmp(val, "hdr", 3) == 0)
            cf->strip = SIZE_MAX;     /* resolved once OFF and the width are known */
        else if (len_number(val, vlen, vat, false, 0, INT64_MAX, "strip", &v, err) < 0)
            return -1;
        else
            cf->strip = (size_t)v;
    } else if (KEY_IS("max")) {
        if (len_number(val, vlen, vat, true, 1, (int64_t)(SIZE_MAX >> 1), "max", &v, err) < 0)
            return -1;
        cf->max = (size_t)v;
    } else if (KEY_IS("mask") || KEY_IS("last")) {
        return aeh_fail(err, ENOTSUP, at, "len: '%.*s=' (record marking) is not supported yet",
                        (int)klen, s);
    } else {
        return aeh_fail(err, EINVAL, at, "len: unknown option '%.*s' (expected adj, strip, max)",
                        (int)klen, s);
    }
#undef KEY_IS
    return 0;
}

/* FMT[@OFF] or PRESET, then the options; `at` is spec's offset in what the
 * user wrote, so that a preset's own spec never shows in an error. */
static int len_parse(const char *spec, size_t at, len_conf *cf, size_t *strip_at, aeh_error *err)
{
    size_t head = strcspn(spec, ",");
    size_t fmt_len = strcspn(spec, "@,");
    for (size_t i = 0; i < sizeof not_yet / sizeof not_yet[0]; i++)
        if (strlen(not_yet[i]) == fmt_len && memcmp(spec, not_yet[i], fmt_len) == 0)
            return aeh_fail(err, ENOTSUP, at, "len: '%s' is not supported yet", not_yet[i]);
    bool preset = false;
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strlen(presets[i].name) == fmt_len && memcmp(spec, presets[i].name, fmt_len) == 0) {
            if (fmt_len != head)
                return aeh_fail(err, EINVAL, at + fmt_len, "len: preset '%s' takes no @OFF",
                                presets[i].name);
            aeh_error inner;
            if (len_parse(presets[i].spec, 0, cf, strip_at, &inner) < 0)
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
        if (len_option(spec + i + 1, n, at + i + 1, cf, strip_at, err) < 0)
            return -1;
        i += 1 + n;
    }
    return 0;
}

aeh_codec *aeh_codec_len(const char *spec, aeh_error *err)
{
    len_conf cf = { 0 };
    size_t strip_at = 0;
    if (!spec || !*spec) {
        aeh_fail(err, EINVAL, 0, "len: empty spec (expected FMT[@OFF][,adj=N][,strip=hdr|N][,max=SIZE] or a preset)");
        return NULL;
    }
    if (len_parse(spec, 0, &cf, &strip_at, err) < 0)
        return NULL;
    size_t hdr = cf.off + cf.width;
    if (!strip_at)
        cf.strip = cf.off == 0 ? hdr : 0;
    else if (cf.strip == SIZE_MAX)
        cf.strip = hdr;
    if (cf.strip > hdr) {
        aeh_fail(err, EINVAL, strip_at - 1, "len: strip=%zu is more than the %zu-byte header", cf.strip, hdr);
        return NULL;
    }
    aeh_encode_fn *encode = cf.strip == 0 ? len_encode_whole
                          : cf.off == 0 && cf.strip == hdr ? len_encode_payload : NULL;
    aeh_codec *c = codec_alloc(AEH_CODEC_KIND_LEN, "len", len_decode, encode, sizeof cf, err);
    if (c) {
        memcpy(c->priv, &cf, sizeof cf);
        c->decode_many = len_decode_many;   /* encoding: aeh_push_frames' own loop */
    }
    return c;
}
