/* SPDX-License-Identifier: MIT */
/* SMTP (RFC 3207) and LMTP (RFC 2033, LHLO for EHLO): client and server. */
#include <stdio.h>
#include "preset_int.h"

/* ------------------------------------------------------------ client */

enum { SMTP_GREETING, SMTP_HELLO, SMTP_STARTTLS, SMTP_HELLO_AGAIN };

static void smtp_client_begin(stls *t)
{
    t->state = SMTP_GREETING;
    stls_read_line(t);
}

static bool is_lmtp(const stls *t)
{
    return t->preset == &stls_lmtp[t->preset->server];
}

static const char *smtp_hello(const stls *t)
{
    return is_lmtp(t) ? "LHLO" : "EHLO";
}

static void smtp_client_reply(stls *t, const uint8_t *p, size_t n)
{
    const char *hello = smtp_hello(t);
    bool more;
    int code = stls_reply_code(p, n, &more);
    switch (t->state) {
    case SMTP_GREETING:
        if (code != 220) {
            stls_refuse(t, "greeting is not 220: %s", SHOW(p, n));
            return;
        }
        if (more)
            break;
        stls_sendf(t, "%s %s\r\n", hello, t->name);
        t->state = SMTP_HELLO;
        break;
    case SMTP_HELLO:
        if (code != 250) {
            stls_refuse(t, "%s refused: %s", hello, SHOW(p, n));
            return;
        }
        if (n > 4 && stls_has_word(p + 4, n - 4, "STARTTLS"))
            t->u.smtp.offered = true;
        if (more)
            break;
        if (!t->u.smtp.offered) {
            stls_refuse(t, "STARTTLS not offered in the %s reply (last line: %s)", hello, SHOW(p, n));
            return;
        }
        stls_sendf(t, "STARTTLS\r\n");
        t->state = SMTP_STARTTLS;
        break;
    case SMTP_STARTTLS:
        if (code != 220) {
            stls_refuse(t, "STARTTLS refused: %s", SHOW(p, n));
            return;
        }
        if (more)
            break;
        stls_ok(t);
        return;
    case SMTP_HELLO_AGAIN:
        if (code != 250) {
            stls_refuse(t, "%s over TLS refused: %s", hello, SHOW(p, n));
            return;
        }
        if (more)
            break;
        stls_ok(t);
        return;
    }
    stls_read_line(t);
}

/* --starttls-reissue: the hello again over TLS, its whole reply read. */
static void smtp_client_after(stls *t)
{
    stls_sendf(t, "%s %s\r\n", smtp_hello(t), t->name);
    t->state = SMTP_HELLO_AGAIN;
    stls_read_line(t);
}

/* ------------------------------------------------------------ server */

static void smtp_server_begin(stls *t)
{
    stls_sendf(t, "220 %s %s aecat\r\n", t->name, is_lmtp(t) ? "LMTP" : "ESMTP");
    stls_read_line(t);
}

/* LHLO is taken for EHLO by LMTP, which clients that know only SMTP send. */
static void smtp_server_reply(stls *t, const uint8_t *p, size_t n)
{
    size_t i = 0;
    aeh_span verb = stls_next_word(p, n, &i), arg = stls_rest_of(p, n, i);
    if (stls_is(verb, "STARTTLS") && !arg.n) {
        stls_sendf(t, "220 2.0.0 Ready to start TLS\r\n");
        stls_ok(t);
        return;
    }
    if (stls_is(verb, "QUIT")) {
        stls_quit(t, "221 2.0.0 Bye", p, n);
        return;
    }
    char bye[320];
    snprintf(bye, sizeof bye, "421 4.7.0 %s Too many commands without STARTTLS", t->name);
    if (stls_over_bound(t, bye))
        return;
    if (stls_is(verb, "EHLO") || (stls_is(verb, "LHLO") && is_lmtp(t)))
        /* openssl s_client sends EHLO and looks for STARTTLS in the list */
        stls_sendf(t, "250-%s\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 STARTTLS\r\n", t->name);
    else if (stls_is(verb, "HELO"))
        stls_sendf(t, "250 %s\r\n", t->name);
    else if (stls_is(verb, "STARTTLS"))
        stls_sendf(t, "501 5.5.4 Syntax error (no parameters allowed)\r\n");
    else if (stls_is(verb, "NOOP") || stls_is(verb, "RSET"))
        stls_sendf(t, "250 2.0.0 OK\r\n");
    else
        stls_sendf(t, "530 5.7.0 Must issue a STARTTLS command first\r\n");
    stls_read_line(t);
}

const stls_preset stls_smtp[2] = {
    { "smtp", false, smtp_client_begin, smtp_client_reply, smtp_client_after },
    { "smtp", true, smtp_server_begin, smtp_server_reply, NULL },
};
const stls_preset stls_lmtp[2] = {
    { "lmtp", false, smtp_client_begin, smtp_client_reply, smtp_client_after },
    { "lmtp", true, smtp_server_begin, smtp_server_reply, NULL },
};
