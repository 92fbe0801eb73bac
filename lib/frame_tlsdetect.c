/* SPDX-License-Identifier: MIT */
/* tls_detect: does the input start with a TLS ClientHello?  Looks, never
 * consumes.  The frame is the two version bytes (major, minor) of the
 * record when it does, and empty when it does not. */
#include "codec_int.h"

static int detect_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                         bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    (void)c; (void)st; (void)consumed; (void)err;
    /* a TLS record: 0x16 (handshake), version 3.0-3.4, 2 length bytes, then
     * handshake type 1 (ClientHello); or an SSL 2 compatible ClientHello:
     * high bit set, 1 length byte, type 1, version 3.0-3.4 */
    typedef struct { uint8_t at, lo, hi; } rule;
    static const rule tls[] = {
        { 0, 0x16, 0x16 }, { 1, 3, 3 }, { 2, 0, 4 }, { 5, 1, 1 },
    }, sslv2[] = {
        { 0, 0x80, 0xff }, { 2, 1, 1 }, { 3, 3, 3 }, { 4, 0, 4 },
    };
    if (!len && !eof)
        return AEH_DEC_MORE;
    bool v2 = len && buf[0] >= 0x80;
    const rule *r = v2 ? sslv2 : tls;
    for (size_t i = 0; i < 4; i++) {
        if (r[i].at >= len) {
            if (!eof)
                return AEH_DEC_MORE;
            break;
        }
        uint8_t b = buf[r[i].at];
        if (b < r[i].lo || b > r[i].hi)
            break;
        if (i == 3) {
            frame->p = buf + (v2 ? 3 : 1);
            frame->n = 2;
            return AEH_DEC_FRAME;
        }
    }
    frame->p = buf;
    frame->n = 0;
    return AEH_DEC_FRAME;
}

static int detect_encode(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out, aeh_error *err)
{
    (void)c; (void)p; (void)n; (void)out;
    return aeh_fail(err, EINVAL, 0, "tls_detect is a read type only");
}

static aeh_codec tls_detect_codec = { .name = "tls_detect", .decode = detect_decode,
                                      .encode = detect_encode, .kind = AEH_CODEC_KIND_TLS_DETECT };

aeh_codec *aeh_codec_tls_detect(void)
{
    return &tls_detect_codec;
}
