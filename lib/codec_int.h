/* SPDX-License-Identifier: MIT */
/* Internal helpers shared by the frame_*.c codecs: one allocation per codec,
 * the "frame found" / "truncated" / "too long" answers every decoder gives,
 * and the encoders' common checks.  Not installed; not part of aeh.h. */
#ifndef AEH_CODEC_INT_H
#define AEH_CODEC_INT_H

#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "aeh.h"
#include "textenc_int.h"

/* A codec and its configuration live in one block, aligned for any type, so
 * that destroy is a single free() and a codec never half-exists.  Inline
 * (not in codec.c) so that a program using one framing does not pull in
 * the spec parser and, through it, PCRE2. */
typedef struct {
    aeh_codec codec;
    alignas(max_align_t) unsigned char priv[];
} codec_block;

static inline void codec_block_free(aeh_codec *c)
{
    free(c);
}

static inline aeh_codec *codec_alloc(aeh_codec_kind kind, const char *name,
                                     aeh_decode_fn *decode, aeh_encode_fn *encode,
                                     size_t priv_size, aeh_error *err)
{
    codec_block *b = NULL;
    if (priv_size <= SIZE_MAX - sizeof *b)
        b = calloc(1, sizeof *b + priv_size);
    if (!b) {
        aeh_fail(err, ENOMEM, 0, "%s: out of memory", name);
        return NULL;
    }
    b->codec = (aeh_codec){ .name = name, .decode = decode, .encode = encode,
                            .destroy = codec_block_free, .priv = priv_size ? b->priv : NULL,
                            .kind = kind };
    return &b->codec;
}

/* A frame buf[0]+[0, n) of the input, `used` bytes consumed (frame + its
 * delimiters).  The state is reset for the input that follows, except the
 * scratch buffer that may hold the frame itself. */
static inline int codec_frame(aeh_dstate *st, const uint8_t *p, size_t n, size_t used,
                              aeh_span *frame, size_t *consumed)
{
    *frame = (aeh_span){ p, n };
    *consumed = used;
    st->scan = 0;
    memset(st->u, 0, sizeof st->u);
    return AEH_DEC_FRAME;
}

/* The stream ended at `len` inside a frame.  The offset is where the missing
 * byte should have been, so it is the same whatever the read sizes were. */
static inline int codec_truncated(const aeh_codec *c, aeh_error *err, size_t len)
{
    aeh_fail(err, EBADMSG, len, "%s: truncated frame: stream ended after %zu bytes", c->name, len);
    err->reason = AEH_REASON_TRUNCATED;
    return AEH_DEC_ERROR;
}

/* A frame is known to exceed c->max_frame; `offset` is the byte where that
 * became certain (each codec documents which byte that is). */
static inline int codec_too_long(const aeh_codec *c, aeh_error *err, size_t offset)
{
    return aeh_fail(err, ENOSPC, offset, "%s: frame longer than %zu bytes", c->name,
                    c->max_frame);
}

/* EBADMSG at `offset` with a codec-prefixed message. */
static inline int codec_malformed(const aeh_codec *c, aeh_error *err, size_t offset,
                                  const char *what)
{
    return aeh_fail(err, EBADMSG, offset, "%s: %s", c->name, what);
}

/* Encoders: EMSGSIZE when n is over max_frame (a peer using the same limit
 * would refuse the frame, so it is better refused here). */
/* aeh_buf_reserve with its common case (room enough) inline: encoders
 * that write many small frames call it per frame. */
static inline uint8_t *codec_room(aeh_buf *out, size_t n)
{
    return out->cap - out->tail >= n ? out->base + out->tail : aeh_buf_reserve(out, n);
}

static inline int codec_check_encode_size(const aeh_codec *c, size_t n, aeh_error *err)
{
    if (c->max_frame && n > c->max_frame)
        return aeh_fail(err, EMSGSIZE, 0, "%s: frame of %zu bytes is over the %zu-byte limit",
                        c->name, n, c->max_frame);
    return 0;
}

/* aeh_buf_append with the ENOMEM error filled in. */
static inline int codec_put(const aeh_codec *c, aeh_buf *out, const void *p, size_t n,
                            aeh_error *err)
{
    if (aeh_buf_append(out, p, n) < 0)
        return aeh_fail(err, ENOMEM, 0, "%s: out of memory", c->name);
    return 0;
}

/* A codec's per-frame function that its batch path (decode_many,
 * encode_many) must inline: it is also called through the codec's
 * pointer, which alone would keep it out of line. */
#define CODEC_PER_FRAME static inline __attribute__((always_inline))

/* Fixed-size integers in a given byte order (packstring and len lengths). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define NATIVE_BIG_ENDIAN true
#else
#define NATIVE_BIG_ENDIAN false
#endif

/* A load and at most a byte swap for the common sizes: this runs per frame. */
static inline uint64_t codec_load_uint(const uint8_t *p, unsigned size, bool big)
{
    bool swap = big != NATIVE_BIG_ENDIAN;
    uint16_t v16;
    uint32_t v32;
    uint64_t v = 0;
    switch (size) {
    case 1:
        return p[0];
    case 2:
        memcpy(&v16, p, 2);
        return swap ? __builtin_bswap16(v16) : v16;
    case 4:
        memcpy(&v32, p, 4);
        return swap ? __builtin_bswap32(v32) : v32;
    case 8:
        memcpy(&v, p, 8);
        return swap ? __builtin_bswap64(v) : v;
    }
    for (unsigned k = 0; k < size; k++)
        v = v << 8 | p[big ? k : size - 1 - k];
    return v;
}

static inline void codec_store_uint(uint8_t *p, uint64_t v, unsigned size, bool big)
{
    bool swap = big != NATIVE_BIG_ENDIAN;
    uint16_t v16 = (uint16_t)v;
    uint32_t v32 = (uint32_t)v;
    switch (size) {
    case 1:
        p[0] = (uint8_t)v;
        return;
    case 2:
        v16 = swap ? __builtin_bswap16(v16) : v16;
        memcpy(p, &v16, 2);
        return;
    case 4:
        v32 = swap ? __builtin_bswap32(v32) : v32;
        memcpy(p, &v32, 4);
        return;
    case 8:
        v = swap ? __builtin_bswap64(v) : v;
        memcpy(p, &v, 8);
        return;
    }
    for (unsigned k = 0; k < size; k++)
        p[big ? size - 1 - k : k] = (uint8_t)(v >> 8 * k);
}

/* Frames after a fixed-size length prefix of `size` bytes, back to back
 * in buf[0, len) (packstring's fixed formats, len: with the field at 0 and
 * nothing added): whole frames while the length has no `sign` bit, is
 * within limit and its payload is all here.  Inlined with size a
 * constant, the load is one move and a swap. */
CODEC_PER_FRAME size_t codec_fixed_frames(const uint8_t *buf, size_t len, aeh_span *frames,
                                          size_t *used, size_t max, unsigned size, bool big,
                                          uint64_t sign, uint64_t limit)
{
    size_t k = 0, off = 0;
    uint64_t n;
    while (k < max && len - off >= size && !((n = codec_load_uint(buf + off, size, big)) & sign) &&
           n <= limit && n <= len - off - size) {
        frames[k] = (aeh_span){ buf + off + size, (size_t)n };
        used[k++] = size + (size_t)n;
        off += size + (size_t)n;
    }
    return k;
}

/* The sending side of codec_fixed_frames: frames[0, n) each after its
 * length in `size` bytes, in one reservation, while the lengths fit `bits`
 * bits and the limit.  Returns how many; *nomem when the room could not
 * be had (then none).  Fewer than n otherwise: the caller's encoder says
 * why the next one is refused. */
static inline size_t codec_fixed_encode(const aeh_span *frames, size_t n, aeh_buf *out, unsigned size,
                                        bool big, unsigned bits, size_t limit, bool *nomem)
{
    size_t k = 0, total = 0;
    *nomem = false;
    for (; k < n; k++) {
        size_t len = frames[k].n;
        if (len > limit || (bits < 64 && (uint64_t)len >> bits))
            break;
        total += size + len;
    }
    uint8_t *w = k ? codec_room(out, total) : NULL;
    if (k && !w) {
        *nomem = true;
        return 0;
    }
    for (size_t i = 0; i < k; i++) {
        size_t len = frames[i].n;
        codec_store_uint(w, len, size, big);
        if (len)
            memcpy(w + size, frames[i].p, len);
        w += size + len;
    }
    out->tail += total;           /* within the room codec_room gave */
    return k;
}

/* Unsigned LEB128 (protobuf's varint; MQTT's remaining length with
 * max_bytes 4) at buf[0, len): 1 with *v and *width, 0 when it goes on past
 * len, -1 with *bad (the offset of the byte at fault) and *why: over 64
 * bits, a trailing zero group (the same value has a shorter form), or more
 * than max_bytes bytes (at most 10). */
static inline int codec_varint_load(const uint8_t *buf, size_t len, unsigned max_bytes,
                                    uint64_t *v, unsigned *width, size_t *bad, const char **why)
{
    uint64_t x = 0;
    for (unsigned i = 0; i < max_bytes; i++) {
        if (i == len)
            return 0;
        /* The tenth group holds bit 63 only and must be the last. */
        if (i == 9 && buf[i] > 1) {
            *bad = i;
            *why = "varint length over 64 bits";
            return -1;
        }
        x |= (uint64_t)(buf[i] & 0x7f) << (7 * i);
        if (!(buf[i] & 0x80)) {
            if (i > 0 && buf[i] == 0) {
                *bad = i;
                *why = "non-canonical varint (trailing zero group)";
                return -1;
            }
            *v = x;
            *width = i + 1;
            return 1;
        }
    }
    *bad = max_bytes - 1;
    *why = max_bytes == 4 ? "varint longer than 4 bytes" : "varint too long";
    return -1;
}

/* Writes v as the shortest LEB128 (at most 10 bytes); returns its size. */
static inline unsigned codec_varint_store(uint8_t *p, uint64_t v)
{
    unsigned h = 0;
    do {
        p[h] = v & 0x7f;
        v >>= 7;
        p[h++] |= v ? 0x80 : 0;
    } while (v);
    return h;
}

/* A Perl pack letter with its modifiers (frame_packstring.c's table): 1 when
 * it is a fixed-size integer (*size bytes), 0 when it is another length
 * format (w, varint, grpc), -1 with err (offset into fmt) when pack would
 * refuse it. */
int aeh__pack_fixed_format(const char *fmt, unsigned *size, bool *big_endian, bool *is_signed,
                           aeh_error *err);

/* The raw decoder (frame_raw.c), also crlf's. */
aeh_decode_fn aeh__codec_raw_decode;
/* frame_line.c: enc writes every line dec can read without containing its marker */
bool aeh__line_carries(const aeh_codec *enc, const aeh_codec *dec);
/* ... and writes every line dec ends by its marker alone back as it was */
/* The widest compare line runs use, at most: 1 SSE2, 2 AVX2, 3 AVX-512
 * (for tests; the first run picks the widest the processor has). */
void aeh__line_simd(int level);
bool aeh__line_verbatim(const aeh_codec *enc, const aeh_codec *dec);
/* K when enc writes every frame that dec decoded from exactly its length
 * plus K bytes as those very bytes (a line read up to one byte and written
 * with it: K = 1, the "\r\n" of a CRLF reader being one byte more); -1 when
 * no such K holds. */
long aeh__codec_verbatim_extra(const aeh_codec *enc, const aeh_codec *dec);

/* Line ends "\r?\n" in the text codecs (hexlines, base64lines): given that
 * buf[i] is '\r' or '\n', tells whether the line ends here.  Returns the
 * length of the end marker (1 or 2), 0 when buf[i] is a '\r' that is not
 * followed by '\n' (content, which the caller may reject), or -1 when the
 * '\r' is the last buffered byte and more input may decide. */
static inline int codec_text_eol(const uint8_t *buf, size_t len, size_t i, bool eof)
{
    if (buf[i] == '\n')
        return 1;
    if (i + 1 == len)
        return eof ? 0 : -1;
    return buf[i + 1] == '\n' ? 2 : 0;
}

/* Strict RFC 4648 base64 decoding (frame_text.c), shared by base64lines and
 * json-strings (the encoder is textenc_int.h's).  aeh__codec_base64_char decodes one character ch, found at offset i of the
 * caller's input, into st->out, keeping its state in st->u[0..2] (all zero
 * at the start of the data); prev is the offset of the character before it,
 * where "non-zero bits before '=' padding" is reported.  Errors are EBADMSG
 * at i (or prev), ENOSPC when st->out would grow past c->max_frame, ENOMEM.
 * Once the data ends, st->u[0] != 0 means it stopped inside a quad. */
int aeh__codec_base64_char(const aeh_codec *c, aeh_dstate *st, uint8_t ch, size_t i, size_t prev,
                           aeh_error *err);

/* The JSON splitter (frame_json.c), also what json-strings reads with: its
 * codec's priv must point to a codec_json_conf.  JSON's whitespace is
 * exactly these four bytes (RFC 8259). */
typedef struct {
    size_t max_depth;
} codec_json_conf;

aeh_decode_fn aeh__codec_json_decode;
size_t aeh__codec_json_between(aeh_dstate *st, const uint8_t *buf, size_t len);

static inline bool codec_json_ws(uint8_t ch)
{
    return ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t';
}

/* frame_jsonstr.c: p[0, n) as a JSON string when it is valid UTF-8, else
 * as {"base64":"..."}; no newline.  0, or -1 with err (ENOMEM, EMSGSIZE). */
int aeh__json_put_text(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                       aeh_error *err);

/* frame_resp.c: 0 when p[0, n) is exactly one RESP value (c's priv starts
 * with the depth limit, a size_t), else -1 with EINVAL at the fault. */
int aeh__resp_check(const aeh_codec *c, const uint8_t *p, size_t n, aeh_error *err);

/* Strict UTF-8 (RFC 3629: no overlong forms, surrogates or code points past
 * U+10FFFF), one byte at a time so that a character may span reads: json's
 * strings and cbor's text strings.  *state is 0 between characters, else the
 * continuation bytes still due and the range the next one must lie in (a
 * tight range after E0, ED, F0 and F4 is what rules out overlongs,
 * surrogates and U+110000 up).  Returns false at the first byte that cannot
 * continue a valid sequence; a character cut short by the end of its text
 * shows as *state != 0 there, which the caller reports. */
static inline bool codec_utf8_step(uint32_t *state, uint8_t ch)
{
    uint32_t s = *state;
    if (s == 0) {
        if (ch < 0x80)
            return true;
        if (ch < 0xC2 || ch > 0xF4)
            return false;
        if (ch < 0xE0)
            s = 1 | 0x80u << 8 | 0xBFu << 16;
        else if (ch < 0xF0)
            s = 2 | (ch == 0xE0 ? 0xA0u : 0x80u) << 8 | (ch == 0xED ? 0x9Fu : 0xBFu) << 16;
        else
            s = 3 | (ch == 0xF0 ? 0x90u : 0x80u) << 8 | (ch == 0xF4 ? 0x8Fu : 0xBFu) << 16;
        *state = s;
        return true;
    }
    unsigned left = s & 0xff, lo = s >> 8 & 0xff, hi = s >> 16 & 0xff;
    if (ch < lo || ch > hi)
        return false;
    *state = --left ? (left | 0x80u << 8 | 0xBFu << 16) : 0;
    return true;
}

#endif
