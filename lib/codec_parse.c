/* SPDX-License-Identifier: MIT */
/* The CLI's framing grammar (aeh_codec_parse): a spec such as
 * "len:u32be@3,adj=1", "json:64" or "chunk:24>>len:h2" into the codec its
 * constructor builds.  Above every frame_*.c, which it calls; none of them
 * calls it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "codec_int.h"

/* ------------------------------------------------------------------ specs */

/* Errors from a constructor given the argument at spec + at point into the
 * argument; make them point into the whole spec. */
static aeh_codec *shift_error(aeh_codec *c, aeh_error *err, size_t at)
{
    if (!c && err->code == EINVAL)
        err->offset += at;
    return c;
}

static aeh_codec *parse_line(const char *spec, const char *arg, aeh_error *err)
{
    size_t at = (size_t)(arg - spec), n = strlen(arg);
    if (!n) {
        aeh_fail(err, EINVAL, at, "line: empty end-of-line marker (use 'line' for \\r?\\n)");
        return NULL;
    }
    if (n >= 2 && arg[0] == '/' && arg[n - 1] == '/') {
        char *re = strndup(arg + 1, n - 2);
        if (!re) {
            aeh_fail(err, ENOMEM, 0, "out of memory");
            return NULL;
        }
        aeh_codec *c = aeh_codec_line_re(re, NULL, 0, err);
        free(re);
        return shift_error(c, err, at + 1);
    }
    aeh_buf eol = { 0 };
    long len = aeh_unescape(arg, &eol, err);
    aeh_codec *c = NULL;
    if (len < 0)
        shift_error(NULL, err, at);
    else
        c = shift_error(aeh_codec_line(aeh_buf_data(&eol), (size_t)len, NULL, 0, err), err, at);
    aeh_buf_free(&eol);
    return c;
}

static aeh_codec *parse_chunk(const char *spec, const char *arg, aeh_error *err)
{
    size_t at = (size_t)(arg - spec), n = 0;
    if (!*arg) {
        aeh_fail(err, EINVAL, at, "chunk: missing size (chunk:N)");
        return NULL;
    }
    for (size_t i = 0; arg[i]; i++) {
        if (arg[i] < '0' || arg[i] > '9') {
            aeh_fail(err, EINVAL, at + i, "chunk: size is not a number");
            return NULL;
        }
        unsigned d = (unsigned)(arg[i] - '0');
        if (n > (SIZE_MAX - d) / 10) {
            aeh_fail(err, EINVAL, at + i, "chunk: size too large");
            return NULL;
        }
        n = n * 10 + d;
    }
    return shift_error(aeh_codec_chunk(n, err), err, at);
}

/* The DEPTH of json:DEPTH, cbor:DEPTH and resp:DEPTH, from 1 to 100000 (0 would be the
 * constructors' default, which is what leaving it out means).  The name
 * before the ':' prefixes the message. */
static int parse_depth(const char *spec, const char *arg, unsigned *depth, aeh_error *err)
{
    size_t at = (size_t)(arg - spec), name_len = at - 1;
    unsigned long d = 0;
    for (size_t i = 0; i == 0 || arg[i]; i++) {
        if (arg[i] < '0' || arg[i] > '9' || d > 100000)
            return aeh_fail(err, EINVAL, at + i, "%.*s: depth is not a number from 1 to 100000",
                            (int)name_len, spec);
        d = d * 10 + (unsigned long)(arg[i] - '0');
    }
    if (d == 0 || d > 100000)
        return aeh_fail(err, EINVAL, at, "%.*s: depth is not a number from 1 to 100000",
                        (int)name_len, spec);
    *depth = (unsigned)d;
    return 0;
}

static aeh_codec *parse_one(const char *spec, aeh_error *err);

/* A side of A>>B: its errors say which side and point into the whole spec. */
static aeh_codec *parse_side(const char *side, size_t at, bool second, aeh_error *err)
{
    aeh_codec *c = parse_one(side, err);
    if (!c) {
        char inner[sizeof err->msg];
        memcpy(inner, err->msg, sizeof inner);
        snprintf(err->msg, sizeof err->msg, "%s >>: %.180s", second ? "after" : "before", inner);
        shift_error(NULL, err, at);
    }
    return c;
}

/* A>>B: one switch; a third framing (A>>B>>C) would need the switch to
 * count frames per side, and no protocol asks for it. */
aeh_codec *aeh_codec_parse(const char *spec, aeh_error *err)
{
    const char *switch_at = strstr(spec, ">>");
    if (!switch_at)
        return parse_one(spec, err);
    size_t at = (size_t)(switch_at - spec), b_at = at + 2;
    const char *again = strstr(spec + b_at, ">>");
    if (again) {
        aeh_fail(err, EINVAL, (size_t)(again - spec), "only one framing switch (A>>B) is allowed");
        return NULL;
    }
    char *first_spec = strndup(spec, at);
    if (!first_spec) {
        aeh_fail(err, ENOMEM, 0, "out of memory");
        return NULL;
    }
    aeh_codec *first = parse_side(first_spec, 0, false, err);
    free(first_spec);
    if (!first)
        return NULL;
    aeh_codec *then = parse_side(spec + b_at, b_at, true, err);
    if (!then) {
        aeh_codec_free(first);
        return NULL;
    }
    return aeh_codec_switch(first, then, err);
}

static aeh_codec *parse_one(const char *spec, aeh_error *err)
{
    static const char expected[] =
        "expected raw, line, regex, netstring, packstring, len, chunk, json, cbor, resp, smtp, http";
    size_t name_len = strcspn(spec, ":");
    const char *arg = spec[name_len] ? spec + name_len + 1 : NULL;
    size_t arg_at = name_len + 1;
#define NAME_IS(s) (name_len == sizeof(s) - 1 && memcmp(spec, s, name_len) == 0)
    if (NAME_IS("raw") || NAME_IS("netstring") || NAME_IS("smtp") || NAME_IS("http")) {
        if (arg) {
            aeh_fail(err, EINVAL, name_len, "framing '%.*s' takes no argument", (int)name_len,
                     spec);
            return NULL;
        }
        return NAME_IS("raw") ? aeh_codec_raw()
             : NAME_IS("smtp") ? aeh_codec_smtp(err)
             : NAME_IS("http") ? aeh_codec_http(0, err) : aeh_codec_netstring(err);
    }
    if (NAME_IS("line"))
        return arg ? parse_line(spec, arg, err) : aeh_codec_line(NULL, 0, NULL, 0, err);
    if (NAME_IS("json") || NAME_IS("cbor") || NAME_IS("resp")) {   /* NAME or NAME:DEPTH, the nesting cap */
        unsigned depth = 0;
        if (arg && parse_depth(spec, arg, &depth, err) < 0)
            return NULL;
        return NAME_IS("json") ? aeh_codec_json(depth, err)
             : NAME_IS("cbor") ? aeh_codec_cbor(depth, err) : aeh_codec_resp(depth, err);
    }
    if (NAME_IS("regex") || NAME_IS("packstring") || NAME_IS("chunk") || NAME_IS("len")) {
        if (!arg || !*arg) {
            aeh_fail(err, EINVAL, arg ? arg_at : name_len, "framing '%.*s' needs an argument (%.*s:%s)",
                     (int)name_len, spec, (int)name_len, spec,
                     NAME_IS("regex") ? "RE" : NAME_IS("chunk") ? "N" : NAME_IS("len") ? "FMT|PRESET" : "FMT");
            return NULL;
        }
        if (NAME_IS("regex"))
            return shift_error(aeh_codec_regex(arg, NULL, NULL, err), err, arg_at);
        if (NAME_IS("packstring"))
            return shift_error(aeh_codec_packstring(arg, err), err, arg_at);
        if (NAME_IS("len")) {
            aeh_codec *c = aeh_codec_len(arg, err);
            if (!c && err->code == EINVAL) {
                /* a spec with options is long: say where the fault is */
                err->offset += arg_at;
                size_t used = strlen(err->msg);
                snprintf(err->msg + used, sizeof err->msg - used, " (at offset %zu of '%s')",
                         err->offset, spec);
            }
            return c;
        }
        return parse_chunk(spec, arg, err);
    }
#undef NAME_IS
    aeh_fail(err, EINVAL, 0, "unknown framing '%.*s' (%s)", (int)name_len, spec, expected);
    return NULL;
}
