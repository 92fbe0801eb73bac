/* SPDX-License-Identifier: MIT */
/* packstring: a payload after an encoded length, as AnyEvent's packstring
 * read and write types, with one Perl pack letter as the length format:
 *
 *   c C        8-bit signed / unsigned
 *   s S        16-bit, native byte order      s! S!  native short
 *   l L        32-bit, native byte order      l! L!  native long
 *   q Q j J    64-bit, native byte order      (j J: Perl's IV/UV, 64-bit here)
 *   i I        native int, native byte order  i! I!  the same
 *   n N        16 / 32-bit big-endian         n! N!  signed
 *   v V        16 / 32-bit little-endian      v! V!  signed
 *   w          BER compressed integer (base 128, big-endian, high bit = more)
 *   < >        little / big endian, allowed after s S i I l L q Q j J
 * plus "varint" (unsigned LEB128, protobuf's) and "grpc" (a flag byte, 0 or
 * 1 = compressed, then a 32-bit big-endian length; the frame is the message,
 * left compressed if it was; the encoder always writes flag 0).
 *
 * As perlfunc pack: '!' only after sSlLiInNvV, '<' '>' only after
 * sSiIlLqQjJ, each modifier at most once, in any order.  Anything else is
 * EINVAL at construction, with the offset of the bad character: AnyEvent
 * hangs on a bad format, a usage error is better.
 *
 * Decoding fixes where AnyEvent is lax: a negative length (signed formats),
 * a BER length starting with the 0x80 "leading zero" group, a varint with a
 * trailing 0x00 group or more than 64 bits, and BER over 64 bits are all
 * EBADMSG.  A length over max_frame is ENOSPC at offset 0 (the start of the
 * length) as soon as the length is complete, before any payload arrives.
 * The encoder refuses (EMSGSIZE) a frame whose length does not fit the
 * prefix, never wrapping it. */
#include <limits.h>
#include "codec_int.h"

enum { PK_FIXED, PK_BER, PK_VARINT, PK_GRPC };

typedef struct {
    int kind;
    unsigned size;                /* PK_FIXED: bytes in the length */
    bool big_endian, is_signed;
} pk_conf;

/* The largest payload a decoded length may announce: max_frame, or what a
 * size_t can hold with the prefix. */
static uint64_t pk_limit(const aeh_codec *c)
{
    return c->max_frame ? c->max_frame : SIZE_MAX - 16;
}

/* The bit of a fixed-size length that makes it negative: 0 when unsigned. */
static inline uint64_t sign_bit(const pk_conf *cf)
{
    return cf->is_signed ? UINT64_C(1) << (8 * cf->size - 1) : 0;
}

/* Decodes the length prefix: 1 with *value and *hlen, 0 if more bytes are
 * needed, -1 with *err. */
CODEC_PER_FRAME int pk_prefix(const aeh_codec *c, const uint8_t *buf, size_t len, uint64_t *value,
                     size_t *hlen, aeh_error *err)
{
    const pk_conf *cf = c->priv;
    uint64_t v = 0;
    switch (cf->kind) {
    case PK_FIXED:
        if (len < cf->size)
            return 0;
        v = codec_load_uint(buf, cf->size, cf->big_endian);
        if (v & sign_bit(cf))
            return codec_malformed(c, err, 0, "negative length");
        *hlen = cf->size;
        break;
    case PK_GRPC:
        if (len && buf[0] > 1)
            return codec_malformed(c, err, 0, "gRPC flag byte is neither 0 nor 1");
        if (len < 5)
            return 0;
        v = codec_load_uint(buf + 1, 4, true);
        *hlen = 5;
        break;
    case PK_BER:
        for (size_t i = 0;; i++) {
            if (i == len)
                return 0;
            if (i == 0 && buf[0] == 0x80)
                return codec_malformed(c, err, 0, "non-canonical BER length (leading zero group)");
            if (v > UINT64_MAX >> 7)
                return codec_malformed(c, err, i, "BER length over 64 bits");
            v = v << 7 | (buf[i] & 0x7f);
            if (!(buf[i] & 0x80)) {
                *hlen = i + 1;
                break;
            }
        }
        break;
    case PK_VARINT: {
        unsigned width = 0;
        size_t bad = 0;
        const char *why = NULL;
        int rc = codec_varint_load(buf, len, 10, &v, &width, &bad, &why);
        if (rc <= 0)
            return rc < 0 ? codec_malformed(c, err, bad, why) : 0;
        *hlen = width;
        break;
    }
    }
    *value = v;
    return 1;
}

CODEC_PER_FRAME int pk_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                     bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    uint64_t n = 0;
    size_t h = 0;
    int rc = pk_prefix(c, buf, len, &n, &h, err);
    if (rc < 0)
        return AEH_DEC_ERROR;
    if (rc == 0)
        return eof && len ? codec_truncated(c, err, len) : AEH_DEC_MORE;
    if (n > pk_limit(c)) {
        if (c->max_frame)
            return codec_too_long(c, err, 0);
        return aeh_fail(err, ENOSPC, 0, "packstring: length %llu does not fit in memory",
                        (unsigned long long)n);
    }
    if (len - h < n)
        return eof ? codec_truncated(c, err, len) : AEH_DEC_MORE;
    return codec_frame(st, buf + h, (size_t)n, h + (size_t)n, frame, consumed);
}

static int pk_too_big(size_t n, aeh_error *err)
{
    return aeh_fail(err, EMSGSIZE, 0, "packstring: frame of %zu bytes is too long for its length prefix", n);
}

CODEC_PER_FRAME int pk_encode(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                     aeh_error *err)
{
    const pk_conf *cf = c->priv;
    if (codec_check_encode_size(c, n, err) < 0)
        return -1;
    uint8_t head[16] = { 0 };
    size_t h = 0;
    uint64_t v = n;
    switch (cf->kind) {
    case PK_FIXED: {
        unsigned bits = 8 * cf->size - (cf->is_signed ? 1 : 0);
        if (bits < 64 && v >> bits)
            return pk_too_big(n, err);
        codec_store_uint(head, v, cf->size, cf->big_endian);
        h = cf->size;
        break;
    }
    case PK_GRPC:
        if (v > UINT32_MAX)
            return pk_too_big(n, err);
        head[0] = 0;
        codec_store_uint(head + 1, v, 4, true);
        h = 5;
        break;
    case PK_BER: {
        uint8_t rev[10];
        size_t k = 0;
        do {
            rev[k++] = v & 0x7f;
            v >>= 7;
        } while (v);
        while (k--)
            head[h++] = rev[k] | (k ? 0x80 : 0);
        break;
    }
    case PK_VARINT:
        h = codec_varint_store(head, v);
        break;
    }
    /* room for a whole head[] so that it is copied in one fixed-size move;
     * the payload then lands over the bytes past the prefix */
    uint8_t *w = codec_room(out, sizeof head + n);
    if (!w)
        return aeh_fail(err, ENOMEM, 0, "%s: out of memory", c->name);
    memcpy(w, head, sizeof head);
    if (n)
        memcpy(w + h, p, n);
    out->tail += h + n;           /* within the room codec_room gave */
    return 0;
}

/* Whole frames back to back: a prefix pk_prefix accepts, a length within
 * the limit, the payload all here.  pk_decode keeps no state between
 * calls, so this may start anywhere; anything else is left to it. */
static size_t pk_decode_many(const aeh_codec *c, const aeh_dstate *st, const uint8_t *buf,
                             size_t len, aeh_span *frames, size_t *used, size_t max)
{
    (void)st;
    const pk_conf *cf = c->priv;
    const uint64_t limit = pk_limit(c);
    size_t k = 0, off = 0, h = 0;
    uint64_t n = 0;
    if (cf->kind == PK_FIXED) {   /* the common case: a loop per prefix size */
        switch (cf->size) {
        case 2: return codec_fixed_frames(buf, len, frames, used, max, 2, cf->big_endian, sign_bit(cf), limit);
        case 4: return codec_fixed_frames(buf, len, frames, used, max, 4, cf->big_endian, sign_bit(cf), limit);
        default: return codec_fixed_frames(buf, len, frames, used, max, cf->size, cf->big_endian, sign_bit(cf), limit);
        }
    }
    aeh_error unused;
    while (k < max && pk_prefix(c, buf + off, len - off, &n, &h, &unused) == 1 && n <= limit &&
           n <= len - off - h) {
        frames[k] = (aeh_span){ buf + off + h, (size_t)n };
        used[k++] = h + (size_t)n;
        off += h + (size_t)n;
    }
    return k;
}

static size_t pk_encode_many(const aeh_codec *c, const aeh_span *frames, size_t n,
                             aeh_buf *out, aeh_error *err)
{
    const pk_conf *cf = c->priv;
    size_t k = 0;
    if (cf->kind != PK_FIXED) {
        while (k < n && pk_encode(c, frames[k].p, frames[k].n, out, err) == 0)
            k++;                  /* pk_encode appends nothing when it refuses */
        return k;
    }
    /* the common case in two passes: the sizes, then one reservation */
    bool nomem;
    k = codec_fixed_encode(frames, n, out, cf->size, cf->big_endian,
                           8 * cf->size - (cf->is_signed ? 1 : 0), c->max_frame ? c->max_frame : SIZE_MAX,
                           &nomem);
    if (nomem)
        aeh_fail(err, ENOMEM, 0, "%s: out of memory", c->name);
    else if (k < n)
        pk_encode(c, frames[k].p, frames[k].n, out, err);   /* refuses it, and says why */
    return k;
}

/* Fills cf from a single pack letter with modifiers; -1 + err (offset of
 * the bad character) when perlfunc pack would refuse it or it is no integer. */
static int pk_parse(const char *fmt, pk_conf *cf, aeh_error *err)
{
    if (!fmt || !*fmt)
        return aeh_fail(err, EINVAL, 0, "packstring: empty format (expected one of cCsSlLqQiInNvVjJw, varint or grpc)");
    if (strcmp(fmt, "varint") == 0) {
        cf->kind = PK_VARINT;
        return 0;
    }
    if (strcmp(fmt, "grpc") == 0) {
        cf->kind = PK_GRPC;
        return 0;
    }
    char letter = fmt[0];
    cf->kind = PK_FIXED;
    cf->big_endian = NATIVE_BIG_ENDIAN;
    cf->is_signed = letter >= 'a' && letter <= 'z';
    switch (letter) {
    case 'c': case 'C': cf->size = 1; break;
    case 's': case 'S': cf->size = 2; break;
    case 'l': case 'L': cf->size = 4; break;
    case 'q': case 'Q': case 'j': case 'J': cf->size = 8; break;
    case 'i': case 'I': cf->size = sizeof(int); break;
    case 'n': case 'N': cf->size = letter == 'n' ? 2 : 4; cf->big_endian = true; cf->is_signed = false; break;
    case 'v': case 'V': cf->size = letter == 'v' ? 2 : 4; cf->big_endian = false; cf->is_signed = false; break;
    case 'w': cf->kind = PK_BER; cf->is_signed = false; break;
    default:
        return aeh_fail(err, EINVAL, 0, "packstring: '%c' is not a length format (expected one of cCsSlLqQiInNvVjJw, varint or grpc)", letter);
    }
    bool bang = false, endian = false;
    for (size_t i = 1; fmt[i]; i++) {
        char m = fmt[i];
        if (m == '!' && !bang && strchr("sSlLiInNvV", letter)) {
            bang = true;
            if (letter == 's' || letter == 'S')
                cf->size = sizeof(short);
            else if (letter == 'l' || letter == 'L')
                cf->size = sizeof(long);
            else if (letter == 'i' || letter == 'I')
                cf->size = sizeof(int);
            else
                cf->is_signed = true;   /* n! N! v! V! */
        } else if ((m == '<' || m == '>') && !endian && strchr("sSiIlLqQjJ", letter)) {
            endian = true;
            cf->big_endian = m == '>';
        } else {
            return aeh_fail(err, EINVAL, i, "packstring: '%c' not allowed here in '%s'", m, fmt);
        }
    }
    return 0;
}

int aeh__pack_fixed_format(const char *fmt, unsigned *size, bool *big_endian, bool *is_signed,
                           aeh_error *err)
{
    pk_conf cf = { 0 };
    if (pk_parse(fmt, &cf, err) < 0)
        return -1;
    *size = cf.size;
    *big_endian = cf.big_endian;
    *is_signed = cf.is_signed;
    return cf.kind == PK_FIXED;
}

aeh_codec *aeh_codec_packstring(const char *fmt, aeh_error *err)
{
    pk_conf cf = { 0 };
    if (pk_parse(fmt, &cf, err) < 0)
        return NULL;
    aeh_codec *c = codec_alloc(AEH_CODEC_KIND_PACKSTRING, "packstring", pk_decode, pk_encode, sizeof cf, err);
    if (c) {
        memcpy(c->priv, &cf, sizeof cf);
        c->decode_many = pk_decode_many;
        c->encode_many = pk_encode_many;
    }
    return c;
}
