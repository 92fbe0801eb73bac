/* SPDX-License-Identifier: MIT */
/* Codec selection: the wire's framings (--frame, --recv-frame,
 * --send-frame, -C) and the records of stdin and stdout (--records),
 * built from the options for a session. */
#include <stdlib.h>
#include <string.h>
#include "codecs.h"

enum { DEFAULT_MAX_FRAME = 16 << 20 };


static bool is_raw(const char *spec) { return !spec || !strcmp(spec, "raw"); }

/* -C on a line framing: the same end marker when reading, "\r\n" when writing. */
static aeh_codec *crlf_line_codec(const char *spec, aeh_error *e)
{
    if (!strcmp(spec, "line"))
        return aeh_codec_line(NULL, 0, "\r\n", 2, e);
    const char *eol = spec + 5;
    size_t n = strlen(eol);
    if (n >= 2 && eol[0] == '/' && eol[n - 1] == '/') {
        char *re = strndup(eol + 1, n - 2);
        aeh_codec *c = re ? aeh_codec_line_re(re, "\r\n", 2, e) : NULL;
        free(re);
        return c;
    }
    aeh_buf buf = { 0 };
    aeh_codec *c = NULL;
    if (aeh_unescape(eol, &buf, e) >= 0)
        c = aeh_codec_line(aeh_buf_data(&buf), aeh_buf_len(&buf), "\r\n", 2, e);
    aeh_buf_free(&buf);
    return c;
}

/* A framing spec; http with the CLI's leniency. */
static aeh_codec *parse_spec(const char *spec, const cli_cfg *c, aeh_error *e)
{
    if (!strcmp(spec, "http"))
        return aeh_codec_http(c->http_lenient ? AEH_HTTP_LENIENT : 0, e);
    return aeh_codec_parse(spec, e);
}

static bool is_line(const char *spec)
{
    return spec && (!strcmp(spec, "line") || !strncmp(spec, "line:", 5));
}

static aeh_codec *wire_codec(const char *opt, const char *spec, bool sending, const cli_cfg *c, int *rc)
{
    aeh_error e;
    /* -C: "\r\n" line ends on the wire; on a raw wire the crlf codec's
     * encoder does it (its decoder is plain raw, so it cannot sit on stdin) */
    aeh_codec *codec = sending && c->crlf && is_line(spec) ? crlf_line_codec(spec, &e)
                     : sending && c->crlf && is_raw(spec) ? aeh_codec_crlf(&e)
                                                          : parse_spec(spec ? spec : "raw", c, &e);
    if (!codec) {
        cli_say("usage: %s: %s", opt, e.msg);
        *rc = EXIT_USAGE;
        return NULL;
    }
    if (sending && !codec->encode) {
        /* len: with a strip that drops bytes the sender cannot invent */
        cli_say("usage: %s: framing '%s' cannot be sent (use strip=0, or strip=hdr with no @OFF)",
                opt, spec);
        aeh_codec_free(codec);
        *rc = EXIT_USAGE;
        return NULL;
    }
    if (!is_raw(spec))
        codec->max_frame = c->max_frame_set ? c->max_frame : DEFAULT_MAX_FRAME;
    /* a last line without its end marker is still a line, as for grep and
     * awk; --strict-lines makes it the truncation it may be */
    if (!sending && is_line(spec) && !c->strict_lines)
        codec->flags |= AEH_CODEC_PARTIAL_AT_EOF;
    return codec;
}

static bool is_json(const aeh_codec *wire) { return wire->kind == AEH_CODEC_KIND_JSON; }
static bool is_cbor(const aeh_codec *wire) { return wire->kind == AEH_CODEC_KIND_CBOR; }
static bool is_resp(const aeh_codec *wire) { return wire->kind == AEH_CODEC_KIND_RESP; }
static bool is_smtp(const aeh_codec *wire) { return wire->kind == AEH_CODEC_KIND_SMTP; }
static bool is_http(const aeh_codec *wire) { return wire->kind == AEH_CODEC_KIND_HTTP; }

/* Records: how frames look on stdin (decoder) and stdout (encoder).  wire:
 * the framing on the other side of the relay, wire_spec its spec (json
 * records carry JSON texts as they are when the wire frames are JSON texts,
 * with the wire's depth limit, else strings). */
static aeh_codec *records_codec(const char *fmt, bool for_stdin, const aeh_codec *wire,
                                const char *wire_spec, const cli_cfg *c, int *rc)
{
    /* name the option the user wrote */
    const char *opt = !for_stdin && c->recv_records != c->records ? "--recv-records"
                    : for_stdin && c->send_records != c->records ? "--send-records" : "--records";
    aeh_error e;
    aeh_codec *codec = NULL;
    bool self_delimiting = is_json(wire) || is_cbor(wire) || is_resp(wire) || is_http(wire);
    if (!strcmp(fmt, "json"))
        /* RESP values as JSON, and redis-cli command lines on stdin */
        codec = is_json(wire) ? aeh_codec_parse(wire_spec, &e)
              : is_resp(wire) ? aeh_codec_resp_json(&e) : aeh_codec_json_strings(&e);
    else if (!strcmp(fmt, "raw") && for_stdin && self_delimiting)
        /* a JSON, CBOR, RESP or HTTP sequence file: split by the wire's
         * own rules, not one item per read */
        codec = parse_spec(wire_spec, c, &e);
    else if (!strcmp(fmt, "raw"))
        codec = aeh_codec_raw();
    else if (!strcmp(fmt, "lines"))
        /* stdin lines may end in "\r\n" (a file from Windows, printf
         * 'PING\r\n'): the \r is not part of the record, or a line framing
         * would refuse it and -C would send "\r\r\n"; stdout keeps every
         * byte of a frame */
        codec = for_stdin ? aeh_codec_line(NULL, 0, "\n", 1, &e)
                          : aeh_codec_line("\n", 1, "\n", 1, &e);
    else if (!strcmp(fmt, "nul"))
        codec = aeh_codec_line("", 1, "", 1, &e);
    else if (!strcmp(fmt, "netstring"))
        codec = aeh_codec_netstring(&e);
    else if (!strcmp(fmt, "hex"))
        codec = aeh_codec_hexlines(&e);
    else if (!strcmp(fmt, "base64"))
        codec = aeh_codec_base64lines(&e);
    else {
        cli_say("usage: %s: unknown format '%s' (expected lines, nul, netstring, hex, base64, json, raw)",
                opt, fmt);
        *rc = EXIT_USAGE;
        return NULL;
    }
    if (!codec) {
        cli_say("usage: %s: %s", opt, e.msg);
        *rc = EXIT_USAGE;
        return NULL;
    }
    if (strcmp(fmt, "raw") && !c->strict_lines)
        codec->flags |= AEH_CODEC_PARTIAL_AT_EOF;
    if (strcmp(fmt, "raw") || (for_stdin && self_delimiting))
        codec->max_frame = c->max_frame_set ? c->max_frame : DEFAULT_MAX_FRAME;
    return codec;
}

int codecs_build(session *s)
{
    const cli_cfg *c = s->cfg;
    int rc = 0;
    if (c->crlf && !is_raw(c->send_frame) && !is_line(c->send_frame)) {
        cli_say("usage: -C applies to the raw and line framings, not to '%s'", c->send_frame);
        return EXIT_USAGE;
    }
    /* name the option the user wrote */
    const char *recv_opt = c->frame && c->recv_frame == c->frame ? "--frame" : "--recv-frame";
    const char *send_opt = c->frame && c->send_frame == c->frame ? "--frame" : "--send-frame";
    if (!(s->recv_codec = wire_codec(recv_opt, c->recv_frame, false, c, &rc)) ||
        !(s->send_codec = wire_codec(send_opt, c->send_frame, true, c, &rc)))
        return rc;
    /* JSON texts may span lines: by default they travel as JSON Lines;
     * CBOR items are binary: as hex lines; RESP values as JSON lines, and
     * commands as redis-cli lines; SMTP replies as they came (each holds
     * its line ends), commands as lines; HTTP messages as they came, both
     * ways */
    const char *in_fmt = c->send_records ? c->send_records
                       : is_raw(c->send_frame) || is_http(s->send_codec) ? "raw"
                       : is_json(s->send_codec) || is_resp(s->send_codec) ? "json"
                       : is_cbor(s->send_codec) ? "hex" : "lines";
    const char *out_fmt = c->recv_records ? c->recv_records
                        : is_raw(c->recv_frame) || is_http(s->recv_codec) ? "raw"
                        : is_json(s->recv_codec) || is_resp(s->recv_codec) ? "json"
                        : is_cbor(s->recv_codec) ? "hex" : is_smtp(s->recv_codec) ? "raw" : "lines";
    /* the responses read answer the requests sent (HEAD's have no body);
     * two http codecs always can share */
    aeh_error e;
    if (is_http(s->recv_codec) && is_http(s->send_codec))
        aeh_codec_http_share(s->recv_codec, s->send_codec, &e);
    if (!(s->in_codec = records_codec(in_fmt, true, s->send_codec, c->send_frame, c, &rc)) ||
        !(s->out_codec = records_codec(out_fmt, false, s->recv_codec, c->recv_frame, c, &rc)))
        return rc;
    /* the same json rules on both sides: what one decoder passed, the
     * other's encoder need not check again */
    if (c->until) {
        s->until = aeh_match_new(c->until, 0, &e);
        if (!s->until) {
            cli_say("usage: --until: %s", e.msg);
            return EXIT_USAGE;
        }
    }
    return 0;
}

bool codecs_per_stream(const session *s)
{
    const aeh_codec *wire[] = { s->recv_codec, s->send_codec };
    for (size_t i = 0; i < 2; i++)
        if (wire[i]->kind == AEH_CODEC_KIND_SWITCH || wire[i]->kind == AEH_CODEC_KIND_HTTP)
            return true;
    return false;
}

void codecs_free(session *s)
{
    aeh_codec_free(s->recv_codec);
    aeh_codec_free(s->send_codec);
    aeh_codec_free(s->in_codec);
    aeh_codec_free(s->out_codec);
    aeh_match_free(s->until);
}
