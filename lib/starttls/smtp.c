/* SPDX-License-Identifier: MIT */
/* SMTP (RFC 3207) and LMTP (RFC 2033, LHLO for EHLO): client and server. */
#include <stdio.h>
#include "preset_int.h"

/* ------------------------------------------------------------ client */

enum { SMTP_GREETING, SMTP_HELLO, SMTP_STARTTLS, SMTP_HELLO_AGAIN };

static void smtp_client_begin(stls *t)
{
    t->state = SMTP_GREETING;
    aeh__stls_read_line(t);
}

static bool is_lmtp(const stls *t)
{
    return t->preset == &aeh__stls_lmtp[t->preset->server];
}

static const char *smtp_hello(const stls *t)
{
    return is_lmtp(t) ? "LHLO" : "EHLO";
}

static void smtp_client_reply(stls *t, const uint8_t *p, size_t n)
{
    const char *hello = smtp_hello(t);
    bool more;
    int code = aeh__stls_reply_code(p, n, &more);
    switch (t->state) {
    case SMTP_GREETING:
        if (code != 220) {
            aeh__stls_refuse(t, "greeting is not 220: %s", SHOW(p, n));
            return;
        }
        if (more)
            break;
        aeh__stls_sendf(t, "%s %s\r\n", hello, t->name);
        t->state = SMTP_HELLO;
        break;
    case SMTP_HELLO:
        if (code != 250) {
            aeh__stls_refuse(t, "%s refused: %s", hello, SHOW(p, n));
            return;
        }
        if (n > 4 && aeh__stls_has_word(p + 4, n - 4, "STARTTLS"))
            t->u.smtp.offered = true;
        if (more)
            break;
        if (!t->u.smtp.offered) {
            aeh__stls_refuse(t, "STARTTLS not offered in the %s reply (last line: %s)", hello, SHOW(p, n));
            return;
        }
        aeh__stls_sendf(t, "STARTTLS\r\n");
        t->state = SMTP_STARTTLS;
        break;
    case SMTP_STARTTLS:
        if (code != 220) {
            aeh__stls_refuse(t, "STARTTLS refused: %s", SHOW(p, n));
            return;
        }
        if (more)
            break;
        aeh__stls_ok(t);
        return;
    case SMTP_HELLO_AGAIN:
        if (code != 250) {
            aeh__stls_refuse(t, "%s over TLS refused: %s", hello, SHOW(p, n));
            return;
        }
        if (more)
            break;
        aeh__stls_ok(t);
        return;
    }
    aeh__stls_read_line(t);
}

/* --starttls-reissue: the hello again over TLS, its whole reply read. */
static void smtp_client_after(stls *t)
{
    aeh__stls_sendf(t, "%s %s\r\n", smtp_hello(t), t->name);
    t->state = SMTP_HELLO_AGAIN;
    aeh__stls_read_line(t);
}

/* ------------------------------------------------------------ server */

static void smtp_server_begin(stls *t)
{
    aeh__stls_sendf(t, "220 %s %s aecat\r\n", t->name, is_lmtp(t) ? "LMTP" : "ESMTP");
    aeh__stls_read_line(t);
}

/* LHLO is taken for EHLO by LMTP, which clients that know only SMTP send. */
static void smtp_server_reply(stls *t, const uint8_t *p, size_t n)
{
    size_t i = 0;
    aeh_span verb = aeh__stls_next_word(p, n, &i), arg = aeh__stls_rest_of(p, n, i);
    if (aeh__stls_is(verb, "STARTTLS") && !arg.n) {
        aeh__stls_sendf(t, "220 2.0.0 Ready to start TLS\r\n");
        aeh__stls_ok(t);
        return;
    }
    if (aeh__stls_is(verb, "QUIT")) {
        aeh__stls_quit(t, "221 2.0.0 Bye", p, n);
        return;
    }
    char bye[320];
    snprintf(bye, sizeof bye, "421 4.7.0 %s Too many commands without STARTTLS", t->name);
    if (aeh__stls_over_bound(t, bye))
        return;
    if (aeh__stls_is(verb, "EHLO") || (aeh__stls_is(verb, "LHLO") && is_lmtp(t)))
        /* openssl s_client sends EHLO and looks for STARTTLS in the list */
        aeh__stls_sendf(t, "250-%s\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 STARTTLS\r\n", t->name);
    else if (aeh__stls_is(verb, "HELO"))
        aeh__stls_sendf(t, "250 %s\r\n", t->name);
    else if (aeh__stls_is(verb, "STARTTLS"))
        aeh__stls_sendf(t, "501 5.5.4 Syntax error (no parameters allowed)\r\n");
    else if (aeh__stls_is(verb, "NOOP") || aeh__stls_is(verb, "RSET"))
        aeh__stls_sendf(t, "250 2.0.0 OK\r\n");
    else
        aeh__stls_sendf(t, "530 5.7.0 Must issue a STARTTLS command first\r\n");
    aeh__stls_read_line(t);
}

const stls_preset aeh__stls_smtp[2] = {
    { "smtp", false, smtp_client_begin, smtp_client_reply, smtp_client_after },
    { "smtp", true, smtp_server_begin, smtp_server_reply, NULL },
};
const stls_preset aeh__stls_lmtp[2] = {
    { "lmtp", false, smtp_client_begin, smtp_client_reply, smtp_client_after },
    { "lmtp", true, smtp_server_begin, smtp_server_reply, NULL },
};
