/* SPDX-License-Identifier: MIT */
/* smtp: a frame is one whole reply of SMTP (RFC 5321 §4.2), LMTP or an FTP
 * control connection (RFC 959 §4.2): "NNN-text" lines up to the "NNN text"
 * (or bare "NNN") line with the same code, as its bytes (line ends
 * included: the replies written one after the other are the stream as it
 * came, and they delimit themselves).  Lines end in CRLF; a bare LF is
 * accepted too (a CR is only part of the line end right before the LF).
 *   - Inside a multi-line reply, a line that does not start with a code
 *     followed by ' ', '-' or its end is free text (FTP's FEAT lists its
 *     features on lines starting with a space), part of the reply.
 *   - Errors (EBADMSG) at the byte: a first line that is not a reply line
 *     (a code of three digits, the first 1 to 5, then ' ', '-' or the line
 *     end), checked as its bytes arrive; a reply line whose code is not the
 *     reply's (at its first byte).  The stream ending inside a reply is the
 *     usual truncation.  A byte past max_frame is ENOSPC at that byte.
 *   - Encoder: a record is one command line, written with "\r\n"; a record
 *     holding CR or LF is refused (EINVAL), so one record is one command.
 * State: st->scan the next byte to examine, u[0] the reply's code (0 before
 * its first line ends), u[1] where the current line starts. */
#include "codec_int.h"

static bool smtp_digit(uint8_t ch) { return ch >= '0' && ch <= '9'; }

/* The code of a reply line buf[ls, end), or -1 for a line of free text. */
static int smtp_code(const uint8_t *buf, size_t ls, size_t end)
{
    if (end - ls < 3 || !smtp_digit(buf[ls]) || !smtp_digit(buf[ls + 1]) || !smtp_digit(buf[ls + 2]))
        return -1;
    if (end - ls > 3 && buf[ls + 3] != ' ' && buf[ls + 3] != '-')
        return -1;
    return (buf[ls] - '0') * 100 + (buf[ls + 1] - '0') * 10 + (buf[ls + 2] - '0');
}

/* The first line's k-th byte ch, checked as it arrives. */
static int smtp_first_line(const aeh_codec *c, uint8_t ch, size_t k, aeh_error *err)
{
    if (k < 3 && !(k == 0 ? ch >= '1' && ch <= '5' : smtp_digit(ch)))
        return codec_malformed(c, err, k, "not a reply line (a 3-digit code, 1xx to 5xx, first)");
    if (k == 3 && ch != ' ' && ch != '-' && ch != '\r' && ch != '\n')
        return codec_malformed(c, err, k, "expected ' ' or '-' after the reply code");
    return 0;
}

static int smtp_decode(const aeh_codec *c, aeh_dstate *st, const uint8_t *buf, size_t len,
                       bool eof, aeh_span *frame, size_t *consumed, aeh_error *err)
{
    size_t ls = (size_t)st->u[1];
    for (size_t i = st->scan; i < len; i++) {
        if (c->max_frame && i >= c->max_frame)
            return codec_too_long(c, err, i);
        if (ls == 0 && i < 4 && smtp_first_line(c, buf[i], i, err) < 0)
            return AEH_DEC_ERROR;
        if (buf[i] != '\n')
            continue;
        size_t end = i > ls && buf[i - 1] == '\r' ? i - 1 : i;
        int code = smtp_code(buf, ls, end);
        if (ls == 0 && code < 0)
            return codec_malformed(c, err, end < 3 ? i : 3,
                                   "not a reply line (a 3-digit code, 1xx to 5xx, first)");
        if (ls == 0)
            st->u[0] = (uint64_t)code;
        else if (code >= 0 && (uint64_t)code != st->u[0])
            return aeh_fail(err, EBADMSG, ls, "%s: reply code changed from %u to %d in a multi-line reply",
                            c->name, (unsigned)st->u[0], code);
        bool more = code < 0 || (end - ls > 3 && buf[ls + 3] == '-');
        if (!more)
            return codec_frame(st, buf, i + 1, i + 1, frame, consumed);
        ls = i + 1;
        st->u[1] = ls;
    }
    st->scan = len;
    if (eof && len)
        return codec_truncated(c, err, len);
    return AEH_DEC_MORE;
}

static int smtp_encode(const aeh_codec *c, const uint8_t *p, size_t n, aeh_buf *out,
                       aeh_error *err)
{
    if (codec_check_encode_size(c, n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\r' || p[i] == '\n')
            return aeh_fail(err, EINVAL, i, "%s: a command line cannot hold %s (byte %zu)",
                            c->name, p[i] == '\r' ? "CR" : "LF", i);
    if (codec_put(c, out, p, n, err) < 0)
        return -1;
    return codec_put(c, out, "\r\n", 2, err);
}

aeh_codec *aeh_codec_smtp(aeh_error *err)
{
    return codec_alloc(AEH_CODEC_KIND_SMTP, "smtp", smtp_decode, smtp_encode, 0, err);
}
