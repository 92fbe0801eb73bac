/* SPDX-License-Identifier: MIT */
/* raw: a byte stream.  Each decode call hands over everything buffered as
 * one frame, so frames follow the reads (this is the one framing whose
 * frames depend on the split: it has no boundaries of its own).  With
 * max_frame set, a frame is cut at max_frame bytes rather than refused: raw
 * data has no frame to be "too long", and the cut keeps memory bounded. */
#include "codec_int.h"

int aeh__codec_raw_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                          bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    (void)eof;
    (void)err;
    if (!len)
        return AEH_DEC_MORE;
    size_t n = c->max_frame && len > c->max_frame ? c->max_frame : len;
    return codec_frame(st, buf, n, n, frame, consumed);
}

static int raw_encode(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                      aeh_error *err)
{
    return codec_put(c, out, p, n, err);
}

aeh_codec *aeh_codec_raw(void)
{
    aeh_error err;
    aeh_codec *c = codec_alloc(AEH_CODEC_KIND_RAW, "raw", aeh__codec_raw_decode, raw_encode, 0, &err);
    if (c)
        c->flags |= AEH_CODEC_VERBATIM;
    return c;
}
