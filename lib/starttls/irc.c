/* SPDX-License-Identifier: MIT */
/* IRC, the IRCv3 tls extension: STARTTLS answered 670 (RPL_STARTTLS) or
 * 691 (ERR_STARTTLS): client and server. */
#include <stdio.h>
#include "preset_int.h"

/* ------------------------------------------------------------ client */

static void irc_client_begin(stls *t)
{
    aeh__stls_sendf(t, "STARTTLS\r\n");
    aeh__stls_read_line(t);
}

static void irc_client_reply(stls *t, const uint8_t *p, size_t n)
{
    /* ":server NNN target :text": the second word is the numeric */
    size_t i = 0;
    if (n && p[0] == ':') {
        while (i < n && p[i] != ' ')
            i++;
        while (i < n && p[i] == ' ')
            i++;
    }
    /* IRC numerics run to 999 (670, 691): not aeh__stls_reply_code's 1xx-5xx */
    int code = -1;
    if (n - i >= 3 && p[i] >= '0' && p[i] <= '9' && p[i + 1] >= '0' && p[i + 1] <= '9' &&
        p[i + 2] >= '0' && p[i + 2] <= '9' && (n - i == 3 || p[i + 3] == ' '))
        code = (p[i] - '0') * 100 + (p[i + 1] - '0') * 10 + (p[i + 2] - '0');
    if (code == 670) {
        aeh__stls_ok(t);
        return;
    }
    if (code == 691) {
        aeh__stls_refuse(t, "STARTTLS failed on the server (691): %s", SHOW(p, n));
        return;
    }
    if (code == 451 || code == 421) {
        aeh__stls_refuse(t, "STARTTLS %s (%d): %s", code == 421 ? "unknown to the server" : "not allowed now",
                         code, SHOW(p, n));
        return;
    }
    if (aeh__stls_starts(p, n, "ERROR")) {
        aeh__stls_refuse(t, "the server closes: %s", SHOW(p, n));
        return;
    }
    aeh__stls_read_line(t);            /* NOTICE and the like */
}

/* ------------------------------------------------------------ server */

static void irc_server_begin(stls *t)
{
    aeh__stls_read_line(t);
}

/* CAP negotiation offers tls; registration (NICK, USER) waits for after
 * TLS, so it is not answered. */
static void irc_server_reply(stls *t, const uint8_t *p, size_t n)
{
    size_t i = 0;
    if (n && p[0] == ':')
        aeh__stls_next_word(p, n, &i);   /* a prefix: who sent it does not matter here */
    aeh_span cmd = aeh__stls_next_word(p, n, &i);
    if (aeh__stls_is(cmd, "STARTTLS")) {
        aeh__stls_sendf(t, ":%s 670 * :STARTTLS successful, go ahead with TLS handshake\r\n", t->name);
        aeh__stls_ok(t);
        return;
    }
    if (aeh__stls_is(cmd, "QUIT")) {
        aeh__stls_quit(t, "ERROR :Closing link", p, n);
        return;
    }
    if (!cmd.n) {                /* empty lines are ignored by IRC servers */
        aeh__stls_read_line(t);
        return;
    }
    if (aeh__stls_over_bound(t, "ERROR :Too many commands without STARTTLS"))
        return;
    aeh_span sub = aeh__stls_next_word(p, n, &i), arg = aeh__stls_rest_of(p, n, i);
    if (aeh__stls_is(cmd, "PING"))
        arg = aeh__stls_rest_of(p, n, (size_t)(sub.p - p));   /* the whole argument is the token */
    if (arg.n && arg.p[0] == ':')     /* a trailing parameter */
        arg.p++, arg.n--;
    while (arg.n && arg.p[arg.n - 1] == ' ')
        arg.n--;
    if (aeh__stls_is(cmd, "CAP")) {
        if (aeh__stls_is(sub, "LS"))
            aeh__stls_sendf(t, ":%s CAP * LS :tls\r\n", t->name);
        else if (aeh__stls_is(sub, "LIST"))
            aeh__stls_sendf(t, ":%s CAP * LIST :%s\r\n", t->name, t->u.irc.tls_acked ? "tls" : "");
        else if (aeh__stls_is(sub, "REQ") && aeh__stls_is(arg, "tls")) {
            t->u.irc.tls_acked = true;
            aeh__stls_sendf(t, ":%s CAP * ACK :tls\r\n", t->name);
        } else if (aeh__stls_is(sub, "REQ"))   /* all or nothing, and we have only tls */
            aeh__stls_sendf(t, ":%s CAP * NAK :%s\r\n", t->name, SHOW(arg.p, arg.n));
        else if (!aeh__stls_is(sub, "END"))
            aeh__stls_sendf(t, ":%s 410 * %s :Invalid CAP command\r\n", t->name, SHOW(sub.p, sub.n));
    } else if (aeh__stls_is(cmd, "PING")) {
        aeh__stls_sendf(t, ":%s PONG %s :%s\r\n", t->name, t->name, SHOW(arg.p, arg.n));
    } else if (!aeh__stls_is(cmd, "NICK") && !aeh__stls_is(cmd, "USER") && !aeh__stls_is(cmd, "PASS") &&
               !aeh__stls_is(cmd, "PONG")) {
        aeh__stls_sendf(t, ":%s 451 * :You have not registered\r\n", t->name);
    }
    aeh__stls_read_line(t);
}

const stls_preset aeh__stls_irc[2] = {
    { "irc", false, irc_client_begin, irc_client_reply, NULL },
    { "irc", true, irc_server_begin, irc_server_reply, NULL },
};
