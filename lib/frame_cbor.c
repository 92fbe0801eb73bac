/* SPDX-License-Identifier: MIT */
/* cbor: a resumable well-formedness checker and splitter for CBOR data
 * items (RFC 8949) written back to back (a CBOR sequence, RFC 8742).
 *   - A frame is one complete top-level data item, nothing around it.
 *   - Well-formedness as in RFC 8949 section 3 and appendix C: additional
 *     information 28-30 is reserved; 31 (indefinite length) only for byte
 *     strings, text strings, arrays and maps; the "break" 0xff only where
 *     an indefinite-length item is open; chunks of an indefinite-length
 *     string are definite-length strings of its own major type; a
 *     two-byte simple value is at least 32; a map holds key/value pairs.
 *   - Stricter than well-formedness, as a framing must be to be useful on
 *     the wire: arguments of major types 0-6 (integers, lengths, counts,
 *     tag numbers) in their shortest form ("preferred serialization",
 *     section 4.1; floats are exempt, their width is their precision),
 *     text strings valid UTF-8 (section 3.1; strict, and each chunk of an
 *     indefinite-length text string on its own), nesting of arrays, maps,
 *     tags and indefinite-length strings up to max_depth.
 *   - Errors are EBADMSG at the offending byte: the initial byte for what
 *     it alone decides (reserved, indefinite or break misused, chunk type,
 *     depth); the header's last byte for what depends on the argument
 *     (non-canonical length, two-byte simple value below 32), since only
 *     there is it certain; the byte where UTF-8 goes wrong, or the byte
 *     after a text string or chunk that ends inside a character.
 *   - max_frame: ENOSPC at the first byte after which the frame can no
 *     longer fit, counting what is already due: argument bytes, a declared
 *     string's bytes, one byte per array element and two per map pair
 *     still to come, one per open tag and per break still owed.  So a
 *     declared length or count that cannot fit is ENOSPC at its header's
 *     last byte, before its bytes arrive (and even if they never do).
 * Linear: each call resumes at st->scan; headers and text strings are
 * examined once, byte-string payloads are skipped without being read.
 * State: u[0] the machine's state and, above it, the header being read
 * (major type, additional information, argument bytes still due), u[1] the
 * bytes due (max_frame only), u[2] the argument gathered so far or the
 * payload bytes left, u[3] codec_utf8_step's state in a text string.
 * st->out is the stack of open nested items, one fixed-size cbor_level
 * each (max_depth is caller-chosen, so u[] alone could not hold it):
 * counts are numbers there, never allocations, so a declared count of
 * 2^64 - 1 costs 16 bytes. */
#include <stdio.h>
#include "codec_int.h"

typedef struct {
    size_t max_depth;
} cbor_conf;

enum { C_ITEM, C_ARG, C_BYTES, C_TEXT };

/* What an open level waits for. */
enum {
    L_ARRAY,                      /* `left` more elements */
    L_MAP,                        /* `left` more pairs; `half`: the key is read */
    L_TAG,                        /* its one tagged item */
    L_IARRAY,                     /* elements until a break */
    L_IMAP,                       /* pairs until a break; `half` as for L_MAP */
    L_IBYTES,                     /* byte-string chunks until a break */
    L_ITEXT,                      /* text-string chunks until a break */
};

typedef struct {
    uint64_t left;
    uint8_t kind;
    uint8_t half;
} cbor_level;

/* The smallest argument each of the 1-, 2-, 4- and 8-byte forms may carry:
 * anything less fits a shorter form. */
static const uint64_t cbor_min_arg[4] = { 24, 0x100, 0x10000, 0x100000000 };

static inline size_t cbor_depth(const aeh_dstate *st)
{
    return aeh_buf_len(&st->out) / sizeof(cbor_level);
}

/* The stack lives at the start of a malloc'd block (this decoder never
 * consumes from the buffer's head) and holds whole entries, so the top
 * entry is suitably aligned. */
static inline cbor_level *cbor_top(aeh_dstate *st)
{
    return (cbor_level *)(void *)(st->out.base + st->out.tail - sizeof(cbor_level));
}

static int cbor_push(const aeh_codec *c, aeh_dstate *st, uint8_t kind, uint64_t left,
                     size_t i, aeh_error *err)
{
    cbor_level l = { .left = left, .kind = kind, .half = 0 };
    if (aeh_buf_append(&st->out, &l, sizeof l) < 0)
        return aeh_fail(err, ENOMEM, i, "%s: out of memory", c->name);
    return 0;
}

/* max_frame bookkeeping.  *need is the least number of bytes the frame
 * still takes after byte i; the total can only grow from there, so the
 * frame is known to be too long as soon as i + 1 + *need passes max_frame.
 * Adds add * mult (mult 2 for map pairs) to *need, or returns false when
 * that cannot fit.  Checked before adding, so counts near 2^64 cannot
 * overflow it.  Without max_frame there is nothing to track. */
static inline bool cbor_due(const aeh_codec *c, size_t i, uint64_t *need, uint64_t add,
                            unsigned mult)
{
    if (!c->max_frame)
        return true;
    uint64_t used = (uint64_t)i + 1, limit = c->max_frame;
    if (used > limit || *need > limit - used || add > (limit - used - *need) / mult)
        return false;
    *need += add * mult;
    return true;
}

/* Byte(s) of the frame arrived that *need had counted. */
static inline void cbor_paid(const aeh_codec *c, uint64_t *need, uint64_t n)
{
    if (c->max_frame)
        *need -= n;
}

static int cbor_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                       bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    const cbor_conf *conf = c->priv;
    const size_t limit = c->max_frame ? c->max_frame : SIZE_MAX;
    unsigned state = (unsigned)(st->u[0] & 0xff);
    unsigned hdr = (unsigned)(st->u[0] >> 8);
    uint64_t need = st->u[1];
    uint64_t val = st->u[2];
    uint32_t utf8 = (uint32_t)st->u[3];
    size_t i = st->scan;
    if (i == 0)                   /* a new frame: the stack from the last is gone */
        aeh_buf_clear(&st->out);
    while (i < len) {
        /* `need` stops a frame earlier; this only backs it up, so that no
         * frame can ever pass the limit */
        if (i >= limit)
            return codec_too_long(c, err, i);
        uint8_t ch = buf[i];
        unsigned major, ai;
        size_t last;              /* the last byte of an item that just ended */
        switch (state) {
        case C_ITEM: {
            major = ch >> 5;
            ai = ch & 31;
            size_t depth = cbor_depth(st);
            cbor_level *top = depth ? cbor_top(st) : NULL;
            if (ch == 0xff) {
                if (!top || top->kind < L_IARRAY)
                    return codec_malformed(c, err, i,
                                           "break outside an indefinite-length item");
                if (top->kind == L_IMAP && top->half)
                    return codec_malformed(c, err, i,
                                           "indefinite-length map ends after a key");
                cbor_paid(c, &need, 1);
                st->out.tail -= sizeof(cbor_level);
                last = i;
                goto item_done;
            }
            /* The item was counted in `need` if something definite is
             * waiting for it (an array's element, a map's key or value, a
             * tag's content) or it is a value after a key in an
             * indefinite-length map; else (the frame's first byte, or an
             * element of an indefinite-length item) it adds a byte. */
            if (top && (top->kind <= L_TAG || (top->kind == L_IMAP && top->half)))
                cbor_paid(c, &need, 1);
            else if (!cbor_due(c, i, &need, 0, 1))
                return codec_too_long(c, err, i);
            if (top && (top->kind == L_IBYTES || top->kind == L_ITEXT)) {
                unsigned want = top->kind == L_IBYTES ? 2 : 3;
                if (major != want)
                    return codec_malformed(c, err, i, want == 2
                        ? "chunk of an indefinite-length byte string is not a byte string"
                        : "chunk of an indefinite-length text string is not a text string");
                if (ai == 31)
                    return codec_malformed(c, err, i,
                                           "indefinite-length chunk in an indefinite-length string");
            }
            if (ai >= 28 && ai <= 30)
                return aeh_fail(err, EBADMSG, i, "%s: reserved additional information %u",
                                c->name, ai);
            if (ai == 31 && (major < 2 || major == 6))
                return aeh_fail(err, EBADMSG, i,
                                "%s: indefinite length is not allowed for major type %u",
                                c->name, major);
            /* arrays, maps, tags and indefinite-length strings nest */
            if (((major >= 4 && major <= 6) || ai == 31) && depth >= conf->max_depth)
                return aeh_fail(err, EBADMSG, i, "%s: depth %zu over limit", c->name,
                                depth + 1);
            if (ai == 31) {
                static const uint8_t kinds[4] = { L_IBYTES, L_ITEXT, L_IARRAY, L_IMAP };
                if (!cbor_due(c, i, &need, 1, 1))   /* its break */
                    return codec_too_long(c, err, i);
                if (cbor_push(c, st, kinds[major - 2], 0, i, err) < 0)
                    return AEH_DEC_ERROR;
                i++;
                continue;
            }
            if (ai < 24) {
                val = ai;
                goto header;
            }
            hdr = major | ai << 3 | (1u << (ai - 24)) << 8;
            if (!cbor_due(c, i, &need, 1u << (ai - 24), 1))
                return codec_too_long(c, err, i);
            val = 0;
            state = C_ARG;
            i++;
            continue;
        }
        case C_ARG:
            cbor_paid(c, &need, 1);
            val = val << 8 | ch;
            hdr -= 1u << 8;
            if (hdr >> 8) {
                i++;
                continue;
            }
            major = hdr & 7;
            ai = hdr >> 3 & 31;
            state = C_ITEM;
            goto header;
        case C_BYTES: {
            /* the payload is only skipped: nothing in it can be wrong,
             * and its end is within the frame limit (due since the
             * header) */
            size_t take = val < len - i ? (size_t)val : len - i;
            i += take;
            val -= take;
            cbor_paid(c, &need, take);
            if (val)
                continue;
            state = C_ITEM;
            last = i - 1;
            goto item_done;
        }
        case C_TEXT: {
            size_t end = val < len - i ? i + (size_t)val : len, from = i;
            for (; i < end; i++) {
                if (utf8 == 0 && buf[i] < 0x80)
                    continue;
                if (!codec_utf8_step(&utf8, buf[i]))
                    return codec_malformed(c, err, i, "invalid UTF-8 in text string");
            }
            val -= i - from;
            cbor_paid(c, &need, i - from);
            if (val)
                continue;
            /* a character may not continue past its string or chunk: the
             * error is where its next byte would have had to be */
            if (utf8)
                return codec_malformed(c, err, i, "text string ends inside a UTF-8 character");
            state = C_ITEM;
            last = i - 1;
            goto item_done;
        }
        default:
            return aeh_fail(err, EBADMSG, i, "%s: internal state %u", c->name, state);
        }

    header:
        /* The header of an item of type `major` ends at byte i with
         * argument val (ai: how it was written). */
        if (major == 7) {
            if (ai == 24 && val < 32)
                return aeh_fail(err, EBADMSG, i,
                                "%s: simple value %u in two bytes is not well-formed",
                                c->name, (unsigned)val);
            last = i;             /* simple value or float: complete */
            goto item_done;
        }
        if (ai >= 24 && val < cbor_min_arg[ai - 24])
            return codec_malformed(c, err, i, "non-canonical length");
        if (major == 6) {
            if (!cbor_due(c, i, &need, 1, 1))         /* its content */
                return codec_too_long(c, err, i);
            if (cbor_push(c, st, L_TAG, 1, i, err) < 0)
                return AEH_DEC_ERROR;
            i++;
            continue;
        }
        /* the payload, one byte at least per element, two per pair */
        if (major >= 2 && !cbor_due(c, i, &need, val, major == 5 ? 2 : 1))
            return codec_too_long(c, err, i);
        if (major < 2 || val == 0) {
            last = i;             /* integer, or an empty string or container */
            goto item_done;
        }
        if (major <= 3) {
            state = major == 2 ? C_BYTES : C_TEXT;
            utf8 = 0;
        } else if (cbor_push(c, st, major == 4 ? L_ARRAY : L_MAP, val, i, err) < 0) {
            return AEH_DEC_ERROR;
        }
        i++;
        continue;

    item_done:
        /* An item ended at byte `last`: count it in the levels it
         * completes, popping each that it fills; every level is pushed
         * once and popped once, so this stays linear. */
        for (;;) {
            if (cbor_depth(st) == 0) {
                aeh_buf_clear(&st->out);
                return codec_frame(st, buf, last + 1, last + 1, frame, consumed);
            }
            cbor_level *top = cbor_top(st);
            bool full;
            switch (top->kind) {
            case L_ARRAY:
                full = --top->left == 0;
                break;
            case L_MAP:
                top->half ^= 1;
                full = !top->half && --top->left == 0;
                break;
            case L_TAG:
                full = true;
                break;
            case L_IMAP:
                /* after a key, its value is due */
                top->half ^= 1;
                if (top->half && !cbor_due(c, last, &need, 1, 1))
                    return codec_too_long(c, err, last);
                full = false;
                break;
            default:              /* indefinite arrays and strings: until a break */
                full = false;
                break;
            }
            if (!full)
                break;
            st->out.tail -= sizeof(cbor_level);
        }
        i = last + 1;
    }
    if (eof && len)
        return codec_truncated(c, err, len);
    st->scan = len;
    st->u[0] = state | (uint64_t)hdr << 8;
    st->u[1] = need;
    st->u[2] = val;
    st->u[3] = utf8;
    return AEH_DEC_MORE;
}

/* Writes p[0, n) as it is, once the decoder has found it to be exactly one
 * well-formed data item: a peer reading with this codec would otherwise
 * fail on the stream (or split it differently) from there on.  Frames from
 * a cbor decoder (AEH_CODEC_TRUSTED) were checked already. */
static int cbor_encode(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                       aeh_error *err)
{
    if (c->flags & AEH_CODEC_TRUSTED)
        goto put;
    aeh_codec v = *c;
    v.max_frame = 0;              /* over the limit is EMSGSIZE below, not ENOSPC */
    aeh_dstate st;
    memset(&st, 0, sizeof st);
    aeh_span f = { 0 };
    size_t used = 0;
    aeh_error e;
    int rc = cbor_decode(&v, &st, p, n, true, &f, &used, &e);
    aeh_buf_free(&st.out);
    if (rc == AEH_DEC_ERROR) {
        if (e.code == ENOMEM)
            return aeh_fail(err, ENOMEM, 0, "%s: out of memory", c->name);
        return aeh_fail(err, EINVAL, e.offset, "%s", e.msg);
    }
    if (rc != AEH_DEC_FRAME)
        return aeh_fail(err, EINVAL, 0, "%s: no data item", c->name);
    if (used < n)
        return aeh_fail(err, EINVAL, used, "%s: data after the data item", c->name);
put:
    if (codec_check_encode_size(c, n, err) < 0)
        return -1;
    return codec_put(c, out, p, n, err);
}

aeh_codec *aeh_codec_cbor(unsigned max_depth, aeh_error *err)
{
    aeh_codec *c = codec_alloc(AEH_CODEC_KIND_CBOR, "cbor", cbor_decode, cbor_encode, sizeof(cbor_conf), err);
    if (c)
        ((cbor_conf *)c->priv)->max_depth = max_depth ? max_depth : 512;
    return c;
}
