/* SPDX-License-Identifier: MIT */
/* The STARTTLS preset engine (see starttls_int.h, preset_int.h): finds a
 * protocol's preset, reads one reply at a time for it, with a codec of its
 * choice, and ends the run once. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "preset_int.h"

enum { STLS_LINE_MAX = 64 * 1024 };

static const struct { const char *alias, *name; } stls_aliases[] = {
    { "submission", "smtp" }, { "imap2", "imap" }, { "postgresql", "postgres" },
};

/* In the order --help and the messages list them. */
static const stls_preset *const stls_protocols[] = {
    aeh__stls_smtp, aeh__stls_lmtp, aeh__stls_pop3, aeh__stls_imap, aeh__stls_ftp, aeh__stls_xmpp, aeh__stls_xmpp_server,
    aeh__stls_nntp, aeh__stls_sieve, aeh__stls_ldap, aeh__stls_postgres, aeh__stls_mysql, aeh__stls_irc, aeh__stls_telnet,
};
enum { STLS_NPROTOCOLS = sizeof stls_protocols / sizeof stls_protocols[0] };

const stls_preset *aeh__stls_find(const char *proto, bool server)
{
    for (size_t i = 0; i < sizeof stls_aliases / sizeof stls_aliases[0]; i++)
        if (!strcasecmp(proto, stls_aliases[i].alias))
            proto = stls_aliases[i].name;
    for (size_t i = 0; i < STLS_NPROTOCOLS; i++)
        if (!strcasecmp(proto, stls_protocols[i][server].name))
            return &stls_protocols[i][server];
    return NULL;
}

const char *aeh__stls_names(bool server)
{
    static char buf[2][512];
    char *b = buf[server];
    if (!b[0]) {
        size_t o = 0;
        for (size_t i = 0; i < STLS_NPROTOCOLS; i++)
            o += (size_t)snprintf(b + o, sizeof buf[0] - o, "%s%s", o ? ", " : "",
                                  stls_protocols[i][server].name);
    }
    return b;
}

const char *aeh__stls_show(const uint8_t *p, size_t n, char *buf, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < cap && i < 120; i++) {
        uint8_t ch = p[i];
        if (ch >= 0x20 && ch < 0x7f)
            buf[o++] = (char)ch;
        else
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", ch);
    }
    buf[o] = 0;
    return buf;
}

/* err NULL: start TLS. */
static void stls_end(stls *t, const aeh_error *err)
{
    if (t->finished)
        return;
    t->finished = true;
    t->done(t->arg, err);
}

void aeh__stls_ok(stls *t)
{
    stls_end(t, NULL);
}

void aeh__stls_refuse(stls *t, const char *fmt, ...)
{
    aeh_error e;
    va_list ap;
    va_start(ap, fmt);
    aeh_vfail(&e, EPROTO, 0, fmt, ap);
    va_end(ap);
    stls_end(t, &e);
}

void aeh__stls_send(stls *t, const void *p, size_t n)
{
    if (!t->finished)
        aeh_push_write(t->h, p, n);
}

void aeh__stls_sendf(stls *t, const char *fmt, ...)
{
    aeh_buf line = { 0 };
    va_list ap;
    va_start(ap, fmt);
    int rc = aeh_buf_vprintf(&line, fmt, ap);
    va_end(ap);
    if (rc == 0 && aeh_buf_len(&line))
        aeh__stls_send(t, aeh_buf_data(&line), aeh_buf_len(&line));
    aeh_buf_free(&line);
}

static void stls_frame(aeh *h, aeh_span f, void *arg)
{
    (void)h;
    stls *t = arg;
    if (t->finished)
        return;
    if (t->seen)
        t->seen(t->arg, f.p, f.n, t->reading_line);
    t->preset->reply(t, f.p, f.n);
}

void aeh__stls_read_line(stls *t)
{
    if (t->finished)
        return;
    t->reading_line = true;
    aeh_push_read(t->h, t->line, stls_frame, t);
}

/* Codecs made for one read live until the run is freed: the handle may
 * still look at a request's codec after its callback. */
static aeh_codec *stls_keep(stls *t, aeh_codec *c, aeh_error *err)
{
    if (!c)
        return NULL;
    aeh_codec **k = realloc(t->made, (t->nmade + 1) * sizeof *k);
    if (!k) {
        aeh_codec_free(c);
        aeh_fail(err, ENOMEM, 0, "out of memory");
        return NULL;
    }
    t->made = k;
    k[t->nmade++] = c;
    return c;
}

void aeh__stls_read_bytes(stls *t, size_t n)
{
    if (t->finished)
        return;
    aeh_error e;
    aeh_codec *c = stls_keep(t, aeh_codec_chunk(n, &e), &e);
    if (!c) {
        stls_end(t, &e);
        return;
    }
    t->reading_line = false;
    aeh_push_read(t->h, c, stls_frame, t);
}

void aeh__stls_read_until(stls *t, const char *re)
{
    if (t->finished)
        return;
    aeh_error e;
    aeh_codec *c = stls_keep(t, aeh_codec_regex(re, NULL, NULL, &e), &e);
    if (!c) {
        stls_end(t, &e);
        return;
    }
    c->max_frame = STLS_LINE_MAX;
    t->reading_line = false;
    aeh_push_read(t->h, c, stls_frame, t);
}

int aeh__stls_check_name(const char *name, aeh_error *err)
{
    size_t n = strlen(name);
    if (n >= sizeof ((stls *)0)->name)
        return aeh_fail(err, EINVAL, 0, "the STARTTLS name is longer than %zu bytes",
                        sizeof ((stls *)0)->name - 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (ch <= ' ' || ch == 0x7f)
            return aeh_fail(err, EINVAL, i, "the STARTTLS name '%.80s' holds a %s at offset %zu "
                            "(it would split or end a protocol line)",
                            name, ch == ' ' ? "space" : "control character", i);
    }
    return 0;
}

stls *aeh__stls_start(aeh *h, const stls_preset *p, const char *name, stls_done_fn *done,
                      stls_seen_fn *seen, void *arg, aeh_error *err)
{
    stls *t = calloc(1, sizeof *t);
    if (!t) {
        aeh_fail(err, ENOMEM, 0, "out of memory");
        return NULL;
    }
    t->h = h;
    t->preset = p;
    t->done = done;
    t->seen = seen;
    t->arg = arg;
    snprintf(t->name, sizeof t->name, "%s", name && *name ? name : "localhost");
    t->line = aeh_codec_line(NULL, 0, "\r\n", 2, err);
    if (!t->line) {
        free(t);
        return NULL;
    }
    t->line->max_frame = STLS_LINE_MAX;
    p->begin(t);
    return t;
}

void aeh__stls_after(stls *t)
{
    t->finished = false;
    t->preset->after(t);
}

void aeh__stls_free(stls *t)
{
    if (!t)
        return;
    aeh_codec_free(t->line);
    for (size_t i = 0; i < t->nmade; i++)
        aeh_codec_free(t->made[i]);
    free(t->made);
    free(t);
}
