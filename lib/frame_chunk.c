/* SPDX-License-Identifier: MIT */
/* chunk:N: every frame is exactly N bytes (AnyEvent's chunk read).  A frame
 * size over max_frame is refused as soon as the first byte of such a frame
 * arrives (offset 0 of the frame): no chunk of that size can ever be legal. */
#include "codec_int.h"

typedef struct {
    size_t size;
} chunk_conf;

static int chunk_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                        bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    const chunk_conf *cf = c->priv;
    if (!len)
        return AEH_DEC_MORE;
    if (c->max_frame && cf->size > c->max_frame)
        return codec_too_long(c, err, 0);
    if (len >= cf->size)
        return codec_frame(st, buf, cf->size, cf->size, frame, consumed);
    return eof ? codec_truncated(c, err, len) : AEH_DEC_MORE;
}

/* The receiver cuts every N bytes, so any other length would shift all the
 * frames after it: refuse it instead of padding or splitting silently. */
static int chunk_encode(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                        aeh_error *err)
{
    const chunk_conf *cf = c->priv;
    if (n != cf->size)
        return aeh_fail(err, EINVAL, 0, "chunk: frame of %zu bytes, expected exactly %zu",
                        n, cf->size);
    if (codec_check_encode_size(c, n, err) < 0)
        return -1;
    return codec_put(c, out, p, n, err);
}

aeh_codec *aeh_codec_chunk(size_t n, aeh_error *err)
{
    if (!n) {
        aeh_fail(err, EINVAL, 0, "chunk: size must be at least 1");
        return NULL;
    }
    aeh_codec *c = codec_alloc(AEH_CODEC_KIND_CHUNK, "chunk", chunk_decode, chunk_encode, sizeof(chunk_conf), err);
    if (c)
        ((chunk_conf *)c->priv)->size = n;
    return c;
}
