/* SPDX-License-Identifier: MIT */
/* A>>B: the first frame of a stream by framing A, every later one by B
 * (a PostgreSQL StartupMessage then typed messages, SSH's banner line then
 * binary packets, HTTP/2's preface then frames).
 *
 * Decoding is pure: st->frames, which the driver keeps (the frames of the
 * stream already delivered with this codec), says which side reads.  The
 * decoders share st: A leaves it reset by its frame, as every decoder
 * does, for B.
 *
 * Encoding has no such state to be given (aeh_encode_fn has no stream), so
 * the switch keeps it: `first_sent` becomes true when A has encoded a
 * frame.  A switch codec therefore encodes for one stream: make one per
 * handle and direction, as aecat does for each connection.  This is safe
 * where the same trick would not be for decoding: an encoder is called
 * once per frame, in order, while a decoder may decode a frame again (a
 * batch whose callback took fewer frames, a request restarted). */
#include <stdio.h>
#include "codec_int.h"

typedef struct {
    aeh_codec *first, *then;      /* owned */
    bool first_sent;              /* the encoder: A has written its frame */
} switch_conf;

/* The switch's limits and line rule, set on it by its user, hold on both sides. */
static aeh_codec *switch_side(const aeh_codec *c, bool second)
{
    const switch_conf *sw = c->priv;
    aeh_codec *side = second ? sw->then : sw->first;
    side->max_frame = c->max_frame;
    side->flags = (side->flags & ~AEH_CODEC_PARTIAL_AT_EOF) | (c->flags & AEH_CODEC_PARTIAL_AT_EOF);
    return side;
}

/* Says which side of the switch an error came from. */
static int switch_fail(aeh_error *err, bool second)
{
    char inner[sizeof err->msg];
    memcpy(inner, err->msg, sizeof inner);
    snprintf(err->msg, sizeof err->msg, "%s: %.150s",
             second ? "after the first frame (B of A>>B)" : "first frame (A of A>>B)", inner);
    return -1;
}

static int switch_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                         bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    bool second = st->frames > 0;
    const aeh_codec *side = switch_side(c, second);
    int rc = side->decode(side, st, buf, len, eof, frame, consumed, err);
    if (rc == AEH_DEC_ERROR)
        switch_fail(err, second);
    return rc;
}

/* Only B's frames come in batches: the first is decode's. */
static size_t switch_decode_many(const aeh_codec *c, const aeh_dstate *st, const uint8_t *buf,
                                 size_t len, aeh_span *frames, size_t *used, size_t max)
{
    const aeh_codec *side = switch_side(c, true);
    if (st->frames == 0 || !side->decode_many)
        return 0;
    return side->decode_many(side, st, buf, len, frames, used, max);
}

static int switch_encode(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                         aeh_error *err)
{
    switch_conf *sw = c->priv;
    bool second = sw->first_sent;
    const aeh_codec *side = switch_side(c, second);
    if (side->encode(side, p, n, out, err) < 0)
        return switch_fail(err, second);
    sw->first_sent = true;
    return 0;
}

static void switch_free(aeh_codec *c)
{
    switch_conf *sw = c->priv;
    aeh_codec_free(sw->first);
    aeh_codec_free(sw->then);
    free(c);
}

aeh_codec *aeh_codec_switch(aeh_codec *first, aeh_codec *then, aeh_error *err)
{
    aeh_codec *c = NULL;
    if (!first || !then)
        aeh_fail(err, EINVAL, 0, "switch: a side of A>>B is missing");
    else
        c = codec_alloc(AEH_CODEC_KIND_SWITCH, "switch", switch_decode,
                        first->encode && then->encode ? switch_encode : NULL,
                        sizeof(switch_conf), err);
    if (!c) {
        aeh_codec_free(first);
        aeh_codec_free(then);
        return NULL;
    }
    *(switch_conf *)c->priv = (switch_conf){ .first = first, .then = then };
    c->destroy = switch_free;
    c->decode_many = switch_decode_many;
    return c;
}
