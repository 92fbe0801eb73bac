/* SPDX-License-Identifier: MIT */
/* Codec plumbing: release, trust between codecs, and C escapes
 * (aeh_unescape).  Below the codecs (frame_*.c call it); the grammar that
 * builds them is codec_parse.c. */
#include <stdio.h>
#include <stdlib.h>
#include "codec_int.h"

void aeh_codec_free(aeh_codec *c)
{
    if (c && c->destroy)
        c->destroy(c);
}

bool aeh_codec_trust(aeh_codec *enc, const aeh_codec *dec)
{
    bool carries = false;
    if (enc->kind == dec->kind) {
        switch (enc->kind) {
        case AEH_CODEC_KIND_JSON:
        case AEH_CODEC_KIND_CBOR:
        case AEH_CODEC_KIND_RESP:
            carries = true;
            break;
        case AEH_CODEC_KIND_LINE:
            carries = aeh__line_carries(enc, dec);
            break;
        default:
            break;
        }
    }
    if (carries)
        enc->flags |= AEH_CODEC_TRUSTED;
    return carries;
}

long aeh__codec_verbatim_extra(const aeh_codec *enc, const aeh_codec *dec)
{
    if (enc->kind == AEH_CODEC_KIND_LINE && dec->kind == AEH_CODEC_KIND_LINE &&
        aeh__line_verbatim(enc, dec))
        return 1;
    return -1;
}

bool aeh_codec_verbatim(const aeh_codec *enc, const aeh_codec *dec)
{
    return dec->decode_run && enc->encode && aeh__codec_verbatim_extra(enc, dec) >= 0 &&
           (!enc->max_frame || (dec->max_frame && dec->max_frame <= enc->max_frame));
}

/* ------------------------------------------------------------------ escapes */

/* The escape starting at s[i] (a backslash): its byte in *byte and its
 * length, or 0 when it is not one.  \xH and \xHH as in printf(1); octal
 * takes up to three digits and must stay within a byte. */
static size_t unescape_one(const char *s, size_t i, uint8_t *byte)
{
    static const char simple_from[] = "rnteabfv\\'\"?";
    static const char simple_to[] = "\r\n\t\033\a\b\f\v\\'\"?";
    char ch = s[i + 1];
    if (ch == 'x') {
        int hi = textenc_hex_value((unsigned char)s[i + 2]);
        if (hi < 0)
            return 0;
        int lo = textenc_hex_value((unsigned char)s[i + 3]);
        *byte = (uint8_t)(lo < 0 ? hi : hi << 4 | lo);
        return lo < 0 ? 3 : 4;
    }
    if (ch >= '0' && ch <= '7') {
        unsigned v = 0;
        size_t k = 1;
        while (k <= 3 && s[i + k] >= '0' && s[i + k] <= '7')
            v = v * 8 + (unsigned)(s[i + k++] - '0');
        if (v > 255)
            return 0;
        *byte = (uint8_t)v;
        return k;
    }
    const char *hit = ch ? strchr(simple_from, ch) : NULL;
    if (!hit)
        return 0;
    *byte = (uint8_t)simple_to[hit - simple_from];
    return 2;
}

size_t aeh_escape(const void *p, size_t n, char *out, size_t cap)
{
    const uint8_t *b = p;
    size_t o = 0;
    if (!cap)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char e[5];
        uint8_t ch = b[i];
        const char *named = ch == '\r' ? "\\r" : ch == '\n' ? "\\n" : ch == '\t' ? "\\t"
                          : ch == '\\' ? "\\\\" : ch == '"' ? "\\\"" : NULL;
        size_t len;
        if (named) {
            len = 2;
            memcpy(e, named, 2);
        } else if (ch < 0x20 || ch >= 0x7f) {
            e[0] = '\\';
            e[1] = 'x';
            textenc_hex_byte((uint8_t *)e + 2, ch);
            len = 4;
        } else {
            e[0] = (char)ch;
            len = 1;
        }
        if (o + len >= cap)
            break;
        memcpy(out + o, e, len);
        o += len;
    }
    out[o] = 0;
    return o;
}

long aeh_unescape(const char *s, aeh_buf *out, aeh_error *err)
{
    size_t start = aeh_buf_len(out);
    size_t i = 0, plain = 0;      /* s[plain, i) is copied as is */
    for (; s[i]; i++) {
        if (s[i] != '\\')
            continue;
        uint8_t byte;
        size_t n = unescape_one(s, i, &byte);
        if (!n) {
            aeh_fail(err, EINVAL, i, "bad escape sequence at offset %zu", i);
            return -1;
        }
        if (aeh_buf_append(out, s + plain, i - plain) < 0 || aeh_buf_append(out, &byte, 1) < 0)
            goto nomem;
        i += n - 1;
        plain = i + 1;
    }
    if (aeh_buf_append(out, s + plain, i - plain) < 0)
        goto nomem;
    return (long)(aeh_buf_len(out) - start);
nomem:
    aeh_fail(err, ENOMEM, 0, "out of memory");
    return -1;
}
