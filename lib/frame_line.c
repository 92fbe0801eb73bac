/* SPDX-License-Identifier: MIT */
/* line: frames end at a fixed end-of-line marker (excluded from the frame).
 *
 * The search resumes where the last one stopped, minus eol_len - 1 bytes so
 * that a marker split across reads is still found: total work is linear in
 * the bytes received however they are split.  With no marker given, lines
 * end at "\n" and a '\r' just before it is stripped too (AnyEvent's default
 * qr|\015?\012|); "\n" is then what the encoder writes.
 *
 * max_frame bounds the line without its marker.  A line known to be longer
 * is ENOSPC ("line longer than N bytes") at offset max_frame, the first byte
 * past the limit, reported as soon as no marker can start in time, so the
 * buffer never holds much more than max_frame + eol_len bytes.  (The CLI
 * maps it to exit 65 like malformed data.)
 *
 * At EOF an unterminated, non-empty last line is a frame with
 * AEH_CODEC_PARTIAL_AT_EOF (POSIX text files may lack the last "\n"; then
 * max_frame applies to it), and otherwise EBADMSG "truncated" at the end of
 * the stream, unless the line was already known to be too long. */
#include "codec_int.h"

typedef struct {
    size_t eol_len;               /* 0: the default "\r?\n" */
    size_t weol_len;
    const uint8_t *eol, *weol;    /* point into `bytes` */
    uint8_t bytes[];
} line_conf;

static int line_too_long(const aeh_codec *c, aeh_error *err)
{
    return aeh_fail(err, ENOSPC, c->max_frame, "line: line longer than %zu bytes",
                    c->max_frame);
}

/* The stream ended inside an unterminated line buf[0, len). */
static int line_at_eof(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                       aeh_span *frame, size_t *consumed, aeh_error *err)
{
    if (!len)
        return AEH_DEC_MORE;
    if (!(c->flags & AEH_CODEC_PARTIAL_AT_EOF))
        return codec_truncated(c, err, len);
    if (c->max_frame && len > c->max_frame)
        return line_too_long(c, err);
    return codec_frame(st, buf, len, len, frame, consumed);
}

/* Where the line ending at the marker byte buf[at] ends its body: before a
 * '\r' too with the default reader. */
static inline size_t body_end(const line_conf *cf, const uint8_t *buf, size_t from, size_t at)
{
    return !cf->eol_len && at > from && buf[at - 1] == '\r' ? at - 1 : at;
}

static int line_decode_crlf(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf,
                            size_t len, bool eof, aeh_span *frame, size_t *consumed,
                            aeh_error *err)
{
    size_t max = c->max_frame;
    const uint8_t *nl = st->scan < len ? memchr(buf + st->scan, '\n', len - st->scan) : NULL;
    if (nl) {
        size_t at = (size_t)(nl - buf);
        size_t end = body_end(c->priv, buf, 0, at);
        if (max && end > max)
            return line_too_long(c, err);
        return codec_frame(st, buf, end, at + 1, frame, consumed);
    }
    st->scan = len;
    /* A later "\n" lands at len or beyond; only a '\r' at buf[max] followed
     * by that "\n" at max + 1 would still end the line within the limit. */
    if (max && len > max && (len - max > 1 || buf[max] != '\r'))
        return line_too_long(c, err);
    return eof ? line_at_eof(c, st, buf, len, frame, consumed, err) : AEH_DEC_MORE;
}

#if defined(__SSE2__) && defined(__GNUC__)
#include <immintrin.h>
#define LINE_MARKS64 1
/* Bit i set where p[i] is the marker in vm, for p[0, 64): 64 bytes per
 * dozen instructions, where a memchr per line pays a call and its set-up
 * for every line (a line of 64 bytes is most of its cost). */
static inline uint64_t marks64(const uint8_t *p, __m128i vm)
{
#define MARKS16(i) ((uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8( \
        _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * (i))), vm)) << 16 * (i))
    return MARKS16(0) | MARKS16(1) | MARKS16(2) | MARKS16(3);
#undef MARKS16
}

/* Bits set in m: SWAR, as x86-64's baseline has no POPCNT (the builtin
 * would be a call into libgcc). */
static inline unsigned bits64(uint64_t m)
{
    m -= m >> 1 & 0x5555555555555555u;
    m = (m & 0x3333333333333333u) + (m >> 2 & 0x3333333333333333u);
    m = (m + (m >> 4)) & 0x0f0f0f0f0f0f0f0fu;
    return (unsigned)(m * 0x0101010101010101u >> 56);
}
#endif

/* Lines back to back, for a one-byte marker or the default reader: the
 * markers of 64 bytes at a time as a bit mask where SSE2 is (x86-64
 * always), one memchr each for the rest; a partial or over-long line is
 * left to line_decode. */
static size_t line_decode_many(const aeh_codec *c, const aeh_dstate *st, const uint8_t *buf,
                               size_t len, aeh_span *frames, size_t *used, size_t max)
{
    const line_conf *cf = c->priv;
    if (st->scan || cf->eol_len > 1)
        return 0;
    uint8_t marker = cf->eol_len ? cf->eol[0] : '\n';
    bool crlf = !cf->eol_len;
    size_t limit = c->max_frame ? c->max_frame : SIZE_MAX, k = 0, from = 0;
#ifdef LINE_MARKS64
    const __m128i vm = _mm_set1_epi8((char)marker);
    for (size_t block = 0; len - block >= 64; block += 64) {
        for (uint64_t m = marks64(buf + block, vm); m; m &= m - 1) {
            size_t at = block + (size_t)__builtin_ctzll(m);
            size_t end = crlf && at > from && buf[at - 1] == '\r' ? at - 1 : at;
            if (end - from > limit)
                return k;
            frames[k] = (aeh_span){ buf + from, end - from };
            used[k++] = at + 1 - from;
            from = at + 1;
            if (k == max)
                return k;
        }
    }
#endif
    /* no marker lies in [from, the last block's end): memchr goes on */
    while (k < max) {
        const uint8_t *hit = memchr(buf + from, marker, len - from);
        if (!hit)
            break;
        size_t at = (size_t)(hit - buf);
        size_t end = crlf && at > from && buf[at - 1] == '\r' ? at - 1 : at;
        if (end - from > limit)
            break;
        frames[k] = (aeh_span){ buf + from, end - from };
        used[k++] = at + 1 - from;
        from = at + 1;
    }
    return k;
}

/* Lines in buf[from, len) each ended by the marker alone, one memchr
 * each, while within limit: where the last one ends; *frames counts them. */
static size_t run_tail(const uint8_t *buf, size_t len, size_t from, uint8_t marker, bool crlf,
                       size_t limit, uint64_t *frames)
{
    const uint8_t *hit;
    while ((hit = memchr(buf + from, marker, len - from))) {
        size_t at = (size_t)(hit - buf);
        if (at - from > limit || (crlf && at > from && buf[at - 1] == '\r'))
            break;
        from = at + 1;
        ++*frames;
    }
    return from;
}

#ifdef LINE_MARKS64
/* One pass of line_decode_run over 64-byte blocks: the markers' bits
 * counted, a "\r\n" found as a '\r' bit just below a marker's, the limit
 * looked at only where a line could pass it; no frame is made. */
typedef struct run_scan {
    const uint8_t *buf;
    size_t len, limit;
    size_t from;                  /* where the next line starts */
    size_t block;                 /* the next block; the tail from here is run_tail's */
    uint64_t frames;
    uint8_t marker;
    bool crlf;
} run_scan;

typedef uint64_t marks_fn(const uint8_t *p, uint8_t b);

/* SIZE_MAX when the blocks ran out, else where the run ends.  Inlined into
 * one function per instruction set, with that set's marks, and per
 * reader (crlf) and limit (limited: a line in buf could pass it), so that
 * the common loop has neither test.  Unlimited, where the last line ends
 * is worked out once, from the last block with a marker. */
static inline __attribute__((always_inline)) size_t run_blocks(run_scan *r, marks_fn *marks,
                                                               bool popcnt, bool crlf,
                                                               bool limited)
{
    const uint8_t *buf = r->buf;
    size_t from = r->from, block = r->block, limit = r->limit, last = SIZE_MAX;
    uint64_t frames = 0, last_m = 0, cr_carry = 0;   /* a '\r' in the last byte of the block before */
    size_t end = SIZE_MAX;
    for (; r->len - block >= 64; block += 64) {
        uint64_t m = marks(buf + block, r->marker);
        if (crlf) {
            uint64_t cr = marks(buf + block, '\r');
            uint64_t bad = m & (cr << 1 | cr_carry);
            cr_carry = cr >> 63;
            if (bad) {            /* the lines before the first "\r\n", one by one */
                if (last != SIZE_MAX)
                    from = last + 64 - (size_t)__builtin_clzll(last_m);
                r->frames += frames;
                return run_tail(buf, block + (size_t)__builtin_ctzll(bad), from, r->marker, false,
                                limit, &r->frames);
            }
        }
        if (!limited) {
            frames += popcnt ? (uint64_t)__builtin_popcountll(m) : bits64(m);
            last = m ? block : last;
            last_m = m ? m : last_m;
            continue;
        }
        if (!m) {
            if (block + 64 - from > limit) {
                end = from;       /* a line too long for the limit: decode says so */
                break;
            }
            continue;
        }
        /* only the block's first line can be longer than 63 bytes */
        if (limit < 64 || block + (size_t)__builtin_ctzll(m) - from > limit) {
            r->frames += frames;
            return run_tail(buf, block + 64, from, r->marker, false, limit, &r->frames);
        }
        frames += popcnt ? (uint64_t)__builtin_popcountll(m) : bits64(m);
        from = block + 64 - (size_t)__builtin_clzll(m);
    }
    if (!limited && last != SIZE_MAX)
        from = last + 64 - (size_t)__builtin_clzll(last_m);
    r->frames += frames;
    r->from = from;
    r->block = block;
    return end;
}

/* run_blocks for r's reader and limit */
static inline __attribute__((always_inline)) size_t run_any(run_scan *r, marks_fn *marks,
                                                            bool popcnt)
{
    /* a line within buf, which a run starts at its start, fits a limit of its length */
    bool limited = r->limit < r->len;
    if (r->crlf)
        return limited ? run_blocks(r, marks, popcnt, true, true)
                       : run_blocks(r, marks, popcnt, true, false);
    return limited ? run_blocks(r, marks, popcnt, false, true)
                   : run_blocks(r, marks, popcnt, false, false);
}

static inline __attribute__((always_inline)) uint64_t marks_sse2(const uint8_t *p, uint8_t b)
{
    return marks64(p, _mm_set1_epi8((char)b));
}

static size_t run_sse2(run_scan *r)
{
    return run_any(r, marks_sse2, false);
}

#if defined(__x86_64__) && (defined(__clang__) || __GNUC__ >= 9)
#define LINE_WIDE 1
/* 32 and 64 bytes a compare where the processor (and the system's saving
 * of its registers) has them: the scan then costs a fraction of the
 * kernel's copy of the same bytes. */
static inline __attribute__((always_inline, target("avx2"))) uint64_t marks_avx2(const uint8_t *p,
                                                                               uint8_t b)
{
    __m256i vm = _mm256_set1_epi8((char)b);
    uint32_t lo = (uint32_t)_mm256_movemask_epi8(
        _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(const void *)p), vm));
    uint32_t hi = (uint32_t)_mm256_movemask_epi8(
        _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(p + 32)), vm));
    return lo | (uint64_t)hi << 32;
}

static inline __attribute__((always_inline, target("avx512bw"))) uint64_t marks_avx512(
    const uint8_t *p, uint8_t b)
{
    return _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(p), _mm512_set1_epi8((char)b));
}

__attribute__((target("avx2,popcnt"))) static size_t run_avx2(run_scan *r)
{
    return run_any(r, marks_avx2, true);
}

__attribute__((target("avx512bw,popcnt"))) static size_t run_avx512(run_scan *r)
{
    return run_any(r, marks_avx512, true);
}
#endif

static size_t (*run_pass)(run_scan *);

void aeh__line_simd(int level)
{
    run_pass = run_sse2;
#ifdef LINE_WIDE
    __builtin_cpu_init();
    if (level >= 2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt"))
        run_pass = run_avx2;
    if (level >= 3 && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("popcnt"))
        run_pass = run_avx512;
#else
    (void)level;
#endif
}
#endif

/* The lines the encoder writes back as they are: ended by the marker
 * alone (not "\r\n" with the default reader), within the limit.  64 bytes
 * at a time where SSE2 is (run_blocks), the widest compare the processor
 * has; the rest one memchr a line. */
static size_t line_decode_run(const aeh_codec *c, const aeh_dstate *st, const uint8_t *buf,
                              size_t len, uint64_t *frames)
{
    const line_conf *cf = c->priv;
    *frames = 0;
    if (st->scan || cf->eol_len > 1)
        return 0;
    uint8_t marker = cf->eol_len ? cf->eol[0] : '\n';
    bool crlf = !cf->eol_len;
    size_t limit = c->max_frame ? c->max_frame : SIZE_MAX, from = 0;
#ifdef LINE_MARKS64
    if (!run_pass)
        aeh__line_simd(3);
    run_scan r = { .buf = buf, .len = len, .limit = limit, .marker = marker, .crlf = crlf };
    size_t end = run_pass(&r);
    *frames = r.frames;
    if (end != SIZE_MAX)
        return end;
    from = r.from;
#endif
    /* (a "\r\n" across the last block's end is run_tail's '\r' test) */
    return run_tail(buf, len, from, marker, crlf, limit, frames);
}

static int line_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                       bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    const line_conf *cf = c->priv;
    size_t L = cf->eol_len, max = c->max_frame;
    if (!L)
        return line_decode_crlf(c, st, buf, len, eof, frame, consumed, err);
    const uint8_t *hit = NULL;
    if (st->scan < len)
        hit = L == 1 ? memchr(buf + st->scan, cf->eol[0], len - st->scan)
                     : memmem(buf + st->scan, len - st->scan, cf->eol, L);
    if (hit) {
        size_t at = (size_t)(hit - buf);
        if (max && at > max)
            return line_too_long(c, err);
        return codec_frame(st, buf, at, at + L, frame, consumed);
    }
    /* No marker starts before len - (L - 1): resume there next time. */
    st->scan = len >= L - 1 ? len - (L - 1) : 0;
    if (max && len >= L && len - L >= max)
        return line_too_long(c, err);
    return eof ? line_at_eof(c, st, buf, len, frame, consumed, err) : AEH_DEC_MORE;
}

/* Refuses frames that would not read back as themselves: a frame containing
 * the written marker (unless trusted: it came from a line reader that
 * stops at that marker), or one whose tail and the marker together contain
 * it earlier (frame "xa" with marker "aa").  With the default reader a
 * frame ending in '\r' is refused too, since "\r\n" would lose that '\r'. */
CODEC_PER_FRAME int line_check(const aeh_codec *c, const line_conf *cf, const uint8_t *p, size_t n,
                      aeh_error *err)
{
    size_t W = cf->weol_len;
    if (codec_check_encode_size(c, n, err) < 0)
        return -1;
    if (n && !(c->flags & AEH_CODEC_TRUSTED) &&
        (W == 1 ? memchr(p, cf->weol[0], n) != NULL : memmem(p, n, cf->weol, W) != NULL))
        return aeh_fail(err, EINVAL, 0, "line: frame contains the end-of-line marker");
    /* A marker starting k bytes before the end: the frame's last k bytes
     * are its head and its tail is its own head (a border of the marker). */
    for (size_t k = 1; k < W && k <= n; k++)
        if (memcmp(p + n - k, cf->weol, k) == 0 && memcmp(cf->weol + k, cf->weol, W - k) == 0)
            return aeh_fail(err, EINVAL, n - k,
                            "line: frame end and end-of-line marker overlap");
    if (!cf->eol_len && n && p[n - 1] == '\r' && W == 1 && cf->weol[0] == '\n')
        return aeh_fail(err, EINVAL, n - 1,
                        "line: frame ends in \\r, which the \\r?\\n reader would strip");
    return 0;
}

/* The frames up to the first refused one, in two passes: the checks
 * (with a one-byte marker: a size, a memchr, none when trusted since the
 * frames came from a reader that stops at that byte, and with the default
 * reader the last byte; line_check for the rest, and to say why), then one
 * reservation and the copies. */
static size_t line_encode_many(const aeh_codec *c, const aeh_span *frames, size_t n,
                               aeh_buf *out, aeh_error *err)
{
    const line_conf *cf = c->priv;
    size_t W = cf->weol_len, limit = c->max_frame ? c->max_frame : SIZE_MAX, k, total = 0;
    bool quick = W == 1, look_inside = !(c->flags & AEH_CODEC_TRUSTED);
    bool cr_check = !cf->eol_len && W == 1 && cf->weol[0] == '\n';
    uint8_t mark = cf->weol[0];
    if (quick) {
        for (k = 0; k < n; k++) {
            const uint8_t *p = frames[k].p;
            size_t len = frames[k].n;
            if (len > limit || (len && cr_check && p[len - 1] == '\r') ||
                (len && look_inside && memchr(p, mark, len)))
                break;
            total += len + 1;
        }
        if (k < n)
            line_check(c, cf, frames[k].p, frames[k].n, err);  /* says why */
    } else {
        for (k = 0; k < n && line_check(c, cf, frames[k].p, frames[k].n, err) == 0; k++)
            total += frames[k].n + W;
    }
    uint8_t *w = k ? codec_room(out, total) : NULL;
    if (!w) {
        if (k)
            aeh_fail(err, ENOMEM, 0, "line: out of memory");
        return 0;
    }
    for (size_t i = 0; i < k; i++) {
        size_t len = frames[i].n;
        if (len)
            memcpy(w, frames[i].p, len);
        if (W == 1)
            w[len] = mark;
        else
            memcpy(w + len, cf->weol, W);
        w += len + W;
    }
    out->tail += total;           /* within the room codec_room gave */
    return k;
}

static int line_encode(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                       aeh_error *err)
{
    aeh_span f = { p, n };
    return line_encode_many(c, &f, 1, out, err) == 1 ? 0 : -1;
}

bool aeh__line_carries(const aeh_codec *enc, const aeh_codec *dec)
{
    const line_conf *e = enc->priv, *d = dec->priv;
    if (dec->kind != AEH_CODEC_KIND_LINE || dec->decode != line_decode ||
        enc->encode != line_encode || d->eol_len > 1 || e->weol_len != 1)
        return false;
    return e->weol[0] == (d->eol_len ? d->eol[0] : '\n');
}

bool aeh__line_verbatim(const aeh_codec *enc, const aeh_codec *dec)
{
    const line_conf *e = enc->priv, *d = dec->priv;
    /* an encoder of the default reader refuses a line ending in '\r',
     * which only the default reader never leaves */
    return aeh__line_carries(enc, dec) && (e->eol_len || !d->eol_len);
}

aeh_codec *aeh_codec_line(const void *eol, size_t eol_len, const void *weol, size_t weol_len,
                          aeh_error *err)
{
    if (eol && !eol_len) {
        aeh_fail(err, EINVAL, 0, "line: empty end-of-line marker");
        return NULL;
    }
    if (!weol) {
        weol = eol ? eol : "\n";
        weol_len = eol ? eol_len : 1;
    } else if (!weol_len) {
        aeh_fail(err, EINVAL, 0, "line: empty end-of-line marker to write");
        return NULL;
    }
    size_t rlen = eol ? eol_len : 0;
    if (rlen > SIZE_MAX / 4 || weol_len > SIZE_MAX / 4) {
        aeh_fail(err, EINVAL, 0, "line: end-of-line marker too long");
        return NULL;
    }
    aeh_codec *c = codec_alloc(AEH_CODEC_KIND_LINE, "line", line_decode, line_encode,
                               sizeof(line_conf) + rlen + weol_len, err);
    if (!c)
        return NULL;
    c->decode_many = line_decode_many;
    c->encode_many = line_encode_many;
    c->decode_run = line_decode_run;
    line_conf *cf = c->priv;
    cf->eol_len = rlen;
    cf->weol_len = weol_len;
    if (rlen)
        memcpy(cf->bytes, eol, rlen);
    memcpy(cf->bytes + rlen, weol, weol_len);
    cf->eol = cf->bytes;
    cf->weol = cf->bytes + rlen;
    return c;
}
