/* SPDX-License-Identifier: MIT */
/* FTP (RFC 4217, AUTH TLS) and NNTP (RFC 4642, RFC 3977): client and
 * server, both with the SMTP-like reply codes. */
#include <stdio.h>
#include "preset_int.h"

/* Both clients: the greeting, then the answer to the upgrade command. */
enum { GREETING, UPGRADE };

static void greeting_begin(stls *t)
{
    t->state = GREETING;
    aeh__stls_read_line(t);
}

/* ------------------------------------------------------------ FTP */

static void ftp_client_reply(stls *t, const uint8_t *p, size_t n)
{
    bool more;
    int code = aeh__stls_reply_code(p, n, &more);
    if (code < 0 && t->state == GREETING) {   /* inside a multi-line greeting */
        aeh__stls_read_line(t);
        return;
    }
    if (t->state == GREETING) {
        if (code != 220) {
            aeh__stls_refuse(t, "greeting is not 220: %s", SHOW(p, n));
            return;
        }
        if (!more) {
            aeh__stls_sendf(t, "AUTH TLS\r\n");
            t->state = UPGRADE;
        }
        aeh__stls_read_line(t);
        return;
    }
    if (code != 234) {
        aeh__stls_refuse(t, "AUTH TLS refused: %s", SHOW(p, n));
        return;
    }
    if (more)
        aeh__stls_read_line(t);
    else
        aeh__stls_ok(t);
}

static void ftp_server_begin(stls *t)
{
    aeh__stls_sendf(t, "220 %s FTP aecat ready\r\n", t->name);
    aeh__stls_read_line(t);
}

/* curl tries "AUTH SSL" before "AUTH TLS"; TLS-C and TLS-P are RFC
 * 2228-era names for the same upgrade. */
static void ftp_server_reply(stls *t, const uint8_t *p, size_t n)
{
    size_t i = 0;
    aeh_span verb = aeh__stls_next_word(p, n, &i), mech = aeh__stls_next_word(p, n, &i);
    bool auth = aeh__stls_is(verb, "AUTH");
    if (auth && (aeh__stls_is(mech, "TLS") || aeh__stls_is(mech, "SSL") || aeh__stls_is(mech, "TLS-C") ||
                 aeh__stls_is(mech, "TLS-P"))) {
        aeh__stls_sendf(t, "234 AUTH TLS successful\r\n");
        aeh__stls_ok(t);
        return;
    }
    if (aeh__stls_is(verb, "QUIT")) {
        aeh__stls_quit(t, "221 Goodbye", p, n);
        return;
    }
    if (aeh__stls_over_bound(t, "421 Too many commands without AUTH TLS"))
        return;
    if (aeh__stls_is(verb, "FEAT"))
        aeh__stls_sendf(t, "211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End\r\n");
    else if (auth)
        aeh__stls_sendf(t, "504 Security mechanism not understood\r\n");
    else
        aeh__stls_sendf(t, "530 Please login with USER and PASS (AUTH TLS first)\r\n");
    aeh__stls_read_line(t);
}

const stls_preset aeh__stls_ftp[2] = {
    { "ftp", false, greeting_begin, ftp_client_reply, NULL },
    { "ftp", true, ftp_server_begin, ftp_server_reply, NULL },
};

/* ------------------------------------------------------------ NNTP */

static void nntp_client_reply(stls *t, const uint8_t *p, size_t n)
{
    bool more;
    int code = aeh__stls_reply_code(p, n, &more);
    if (t->state == GREETING) {
        if (code != 200 && code != 201) {
            aeh__stls_refuse(t, "greeting is not 200 or 201: %s", SHOW(p, n));
            return;
        }
        aeh__stls_sendf(t, "STARTTLS\r\n");
        t->state = UPGRADE;
        aeh__stls_read_line(t);
        return;
    }
    if (code != 382) {
        aeh__stls_refuse(t, "STARTTLS refused: %s", SHOW(p, n));
        return;
    }
    aeh__stls_ok(t);
}

static void nntp_server_begin(stls *t)
{
    aeh__stls_sendf(t, "200 %s NNTP aecat ready\r\n", t->name);
    aeh__stls_read_line(t);
}

static void nntp_server_reply(stls *t, const uint8_t *p, size_t n)
{
    size_t i = 0;
    aeh_span verb = aeh__stls_next_word(p, n, &i), arg = aeh__stls_next_word(p, n, &i);
    if (aeh__stls_is(verb, "STARTTLS")) {
        aeh__stls_sendf(t, "382 Continue with TLS negotiation\r\n");
        aeh__stls_ok(t);
        return;
    }
    if (aeh__stls_is(verb, "QUIT")) {
        aeh__stls_quit(t, "205 Bye", p, n);
        return;
    }
    if (aeh__stls_over_bound(t, "400 Too many commands without STARTTLS"))
        return;
    if (aeh__stls_is(verb, "CAPABILITIES"))
        aeh__stls_sendf(t, "101 Capability list:\r\nVERSION 2\r\nSTARTTLS\r\nREADER\r\n.\r\n");
    else if (aeh__stls_is(verb, "MODE") && aeh__stls_is(arg, "READER"))
        aeh__stls_sendf(t, "200 Reader mode\r\n");
    else
        aeh__stls_sendf(t, "483 Command unavailable until STARTTLS\r\n");
    aeh__stls_read_line(t);
}

const stls_preset aeh__stls_nntp[2] = {
    { "nntp", false, greeting_begin, nntp_client_reply, NULL },
    { "nntp", true, nntp_server_begin, nntp_server_reply, NULL },
};
