/* SPDX-License-Identifier: MIT */
/* Mailbox access: POP3 (RFC 2595 STLS, RFC 2449 CAPA), IMAP (RFC 2595,
 * 3501, 9051) and ManageSieve (RFC 5804): client and server. */
#include <stdio.h>
#include <string.h>
#include "preset_int.h"

/* ------------------------------------------------------------ POP3 */

enum { POP3_GREETING, POP3_STLS };

static void pop3_client_begin(stls *t)
{
    t->state = POP3_GREETING;
    aeh__stls_read_line(t);
}

static void pop3_client_reply(stls *t, const uint8_t *p, size_t n)
{
    if (!aeh__stls_starts(p, n, "+OK")) {
        aeh__stls_refuse(t, "%s: %s", t->state == POP3_GREETING ? "greeting is not +OK" : "STLS refused",
                         SHOW(p, n));
        return;
    }
    if (t->state == POP3_GREETING) {
        aeh__stls_sendf(t, "STLS\r\n");
        t->state = POP3_STLS;
        aeh__stls_read_line(t);
        return;
    }
    aeh__stls_ok(t);
}

static void pop3_server_begin(stls *t)
{
    aeh__stls_sendf(t, "+OK %s POP3 aecat ready\r\n", t->name);
    aeh__stls_read_line(t);
}

static void pop3_server_reply(stls *t, const uint8_t *p, size_t n)
{
    size_t i = 0;
    aeh_span verb = aeh__stls_next_word(p, n, &i);
    if (aeh__stls_is(verb, "STLS")) {
        aeh__stls_sendf(t, "+OK Begin TLS negotiation\r\n");
        aeh__stls_ok(t);
        return;
    }
    if (aeh__stls_is(verb, "QUIT")) {
        aeh__stls_quit(t, "+OK bye", p, n);
        return;
    }
    if (aeh__stls_over_bound(t, "-ERR Too many commands without STLS"))
        return;
    if (aeh__stls_is(verb, "CAPA"))
        aeh__stls_sendf(t, "+OK\r\nSTLS\r\nUSER\r\n.\r\n");
    else
        aeh__stls_sendf(t, "-ERR Command not permitted before STLS\r\n");
    aeh__stls_read_line(t);
}

const stls_preset aeh__stls_pop3[2] = {
    { "pop3", false, pop3_client_begin, pop3_client_reply, NULL },
    { "pop3", true, pop3_server_begin, pop3_server_reply, NULL },
};

/* ------------------------------------------------------------ IMAP */

enum { IMAP_GREETING, IMAP_CAPABILITY, IMAP_STARTTLS };

static void imap_client_begin(stls *t)
{
    t->state = IMAP_GREETING;
    aeh__stls_read_line(t);
}

/* "aN OK ...": the answer to our command tagged aN, and a success. */
static bool imap_tagged_ok(const stls *t, const uint8_t *p, size_t n)
{
    char tag[16];
    size_t tl = (size_t)snprintf(tag, sizeof tag, "a%u ", t->u.imap.tag);
    return aeh__stls_starts(p, n, tag) && aeh__stls_starts(p + tl, n - tl, "OK");
}

static void imap_client_reply(stls *t, const uint8_t *p, size_t n)
{
    switch (t->state) {
    case IMAP_GREETING:
        if (!aeh__stls_starts(p, n, "* OK")) {
            aeh__stls_refuse(t, "greeting is not * OK: %s", SHOW(p, n));
            return;
        }
        /* a greeting may carry [CAPABILITY ...]: ask anyway, it is cheap */
        t->u.imap.tag = 1;
        aeh__stls_sendf(t, "a1 CAPABILITY\r\n");
        t->state = IMAP_CAPABILITY;
        break;
    case IMAP_CAPABILITY:
        if (aeh__stls_starts(p, n, "* ")) {
            if (aeh__stls_starts(p, n, "* CAPABILITY")) {
                if (aeh__stls_has_word(p, n, "STARTTLS"))
                    t->u.imap.offered = true;
                aeh__stls_show(p, n, t->u.imap.capability, sizeof t->u.imap.capability);
            }
            break;
        }
        if (!imap_tagged_ok(t, p, n)) {
            aeh__stls_refuse(t, "CAPABILITY failed: %s", SHOW(p, n));
            return;
        }
        if (!t->u.imap.offered) {
            aeh__stls_refuse(t, "STARTTLS not among the capabilities: %s",
                             t->u.imap.capability[0] ? t->u.imap.capability : "(no CAPABILITY line)");
            return;
        }
        t->u.imap.tag = 2;
        aeh__stls_sendf(t, "a2 STARTTLS\r\n");
        t->state = IMAP_STARTTLS;
        break;
    case IMAP_STARTTLS:
        if (aeh__stls_starts(p, n, "* "))
            break;                /* untagged data before the answer */
        if (imap_tagged_ok(t, p, n)) {
            aeh__stls_ok(t);
            return;
        }
        aeh__stls_refuse(t, "STARTTLS refused: %s", SHOW(p, n));
        return;
    }
    aeh__stls_read_line(t);
}

#define IMAP_CAPS "IMAP4rev1 STARTTLS LOGINDISABLED"

static void imap_server_begin(stls *t)
{
    aeh__stls_sendf(t, "* OK [CAPABILITY " IMAP_CAPS "] %s aecat ready\r\n", t->name);
    aeh__stls_read_line(t);
}

/* A tag we can echo: printable, no spaces (RFC 3501's tag is stricter;
 * openssl uses ".", curl "A001"). */
static bool imap_tag_ok(aeh_span tag)
{
    if (!tag.n || tag.n > 64)
        return false;
    for (size_t k = 0; k < tag.n; k++)
        if (tag.p[k] <= 0x20 || tag.p[k] >= 0x7f || tag.p[k] == '*' || tag.p[k] == '+')
            return false;
    return true;
}

/* "TAG COMMAND args", answered "TAG OK|NO|BAD text". */
static void imap_server_reply(stls *t, const uint8_t *p, size_t n)
{
    size_t i = 0;
    aeh_span tag = aeh__stls_next_word(p, n, &i), cmd = aeh__stls_next_word(p, n, &i);
    int tl = (int)tag.n;
    const char *tg = (const char *)tag.p;
    if (imap_tag_ok(tag) && aeh__stls_is(cmd, "STARTTLS")) {
        aeh__stls_sendf(t, "%.*s OK Begin TLS negotiation now\r\n", tl, tg);
        aeh__stls_ok(t);
        return;
    }
    if (imap_tag_ok(tag) && aeh__stls_is(cmd, "LOGOUT")) {
        /* the BYE needs a text (resp-text is not empty in the grammar) */
        char bye[100];
        snprintf(bye, sizeof bye, "* BYE Logging out\r\n%.*s OK LOGOUT completed", tl, tg);
        aeh__stls_quit(t, bye, p, n);
        return;
    }
    if (aeh__stls_over_bound(t, "* BYE Too many commands without STARTTLS"))
        return;
    if (!tag.n)
        aeh__stls_sendf(t, "* BAD Empty command line\r\n");
    else if (!imap_tag_ok(tag))
        aeh__stls_sendf(t, "* BAD Invalid tag\r\n");
    else if (!cmd.n)
        aeh__stls_sendf(t, "%.*s BAD Missing command\r\n", tl, tg);
    else if (aeh__stls_is(cmd, "CAPABILITY"))
        aeh__stls_sendf(t, "* CAPABILITY " IMAP_CAPS "\r\n%.*s OK CAPABILITY completed\r\n", tl, tg);
    else if (aeh__stls_is(cmd, "NOOP"))
        aeh__stls_sendf(t, "%.*s OK NOOP completed\r\n", tl, tg);
    else
        aeh__stls_sendf(t, "%.*s BAD Command not permitted before STARTTLS\r\n", tl, tg);
    aeh__stls_read_line(t);
}

const stls_preset aeh__stls_imap[2] = {
    { "imap", false, imap_client_begin, imap_client_reply, NULL },
    { "imap", true, imap_server_begin, imap_server_reply, NULL },
};

/* ------------------------------------------------------------ ManageSieve */

/* Client: the greeting (capabilities, then OK), then STARTTLS's answer.
 * Server: a command line, a literal's bytes, or the rest of a command
 * line after its literal. */
enum { SIEVE_GREETING, SIEVE_STARTTLS };
enum { SIEVE_COMMAND, SIEVE_LITERAL, SIEVE_AFTER_LITERAL };
enum { SIEVE_LITERAL_MAX = 1 << 20 };

static void sieve_client_begin(stls *t)
{
    t->state = SIEVE_GREETING;
    aeh__stls_read_line(t);
}

/* A response line: OK, NO or BYE, with or without text. */
static bool sieve_is(const uint8_t *p, size_t n, const char *word)
{
    size_t m = strlen(word);
    return aeh__stls_starts(p, n, word) && (n == m || p[m] == ' ' || p[m] == '(');
}

/* A capability's name, for the message if STARTTLS is missing. */
static void sieve_keep_name(stls *t, const uint8_t *p, size_t n)
{
    char word[64], *names = t->u.sieve.names;
    size_t o = strlen(names), m = 0;
    while (m < n && p[m] != ' ')
        m++;
    aeh__stls_show(p, m < 24 ? m : 24, word, sizeof word);
    if (o + strlen(word) + 2 < sizeof t->u.sieve.names)
        snprintf(names + o, sizeof t->u.sieve.names - o, "%s%s", o ? " " : "", word);
}

static void sieve_client_reply(stls *t, const uint8_t *p, size_t n)
{
    if (t->state == SIEVE_GREETING) {
        if (sieve_is(p, n, "OK")) {
            if (!t->u.sieve.offered) {
                aeh__stls_refuse(t, "STARTTLS not among the capabilities (%s)",
                                 t->u.sieve.names[0] ? t->u.sieve.names : "none");
                return;
            }
            aeh__stls_sendf(t, "STARTTLS\r\n");
            t->state = SIEVE_STARTTLS;
        } else if (sieve_is(p, n, "NO") || sieve_is(p, n, "BYE")) {
            aeh__stls_refuse(t, "greeting: %s", SHOW(p, n));
            return;
        } else if (aeh__stls_starts(p, n, "\"STARTTLS\"")) {
            t->u.sieve.offered = true;
        } else {
            sieve_keep_name(t, p, n);
        }
        aeh__stls_read_line(t);
        return;
    }
    if (sieve_is(p, n, "OK")) {
        aeh__stls_ok(t);
        return;
    }
    aeh__stls_refuse(t, "STARTTLS refused: %s", SHOW(p, n));
}

static void sieve_caps(stls *t)
{
    aeh__stls_sendf(t, "\"IMPLEMENTATION\" \"aecat\"\r\n\"SIEVE\" \"fileinto\"\r\n\"STARTTLS\"\r\n"
                  "\"VERSION\" \"1.0\"\r\n");
}

static void sieve_server_begin(stls *t)
{
    char name[520];
    sieve_caps(t);
    aeh__stls_sendf(t, "OK \"%s ready\"\r\n", aeh__stls_escape(t->name, "\"\\", false, name, sizeof name));
    t->state = SIEVE_COMMAND;
    aeh__stls_read_line(t);
}

/* A line ending in a literal "{N+}" (clients send only the
 * non-synchronizing kind, RFC 5804 section 4): N, else -1. */
static long sieve_literal(const uint8_t *p, size_t n)
{
    if (n < 4 || p[n - 1] != '}' || p[n - 2] != '+')
        return -1;
    size_t j = n - 2, e = j;
    while (j > 0 && p[j - 1] >= '0' && p[j - 1] <= '9' && e - j < 9)
        j--;
    if (j == e || j == 0 || p[j - 1] != '{')
        return -1;
    long v = 0;
    for (size_t k = j; k < e; k++)
        v = v * 10 + (p[k] - '0');
    return v;
}

/* Reads past a literal and the rest of its command line: the command is
 * answered once it is all in (a literal's bytes are not commands). */
static void sieve_skip(stls *t, long lit)
{
    if (lit > SIEVE_LITERAL_MAX) {
        aeh__stls_sendf(t, "BYE \"Literal too long\"\r\n");
        aeh__stls_refuse(t, "the client sent a literal of %ld bytes before STARTTLS", lit);
        return;
    }
    t->state = lit ? SIEVE_LITERAL : SIEVE_AFTER_LITERAL;
    if (lit)
        aeh__stls_read_bytes(t, (size_t)lit);
    else
        aeh__stls_read_line(t);
}

/* Commands are atoms, answers OK / NO / BYE with a quoted text. */
static void sieve_server_reply(stls *t, const uint8_t *p, size_t n)
{
    if (t->state == SIEVE_LITERAL) {
        t->state = SIEVE_AFTER_LITERAL;
        aeh__stls_read_line(t);
        return;
    }
    bool more = t->state == SIEVE_AFTER_LITERAL;   /* the rest of a command after a literal */
    long lit = sieve_literal(p, n);
    size_t i = 0;
    aeh_span verb = aeh__stls_next_word(p, n, &i);
    t->state = SIEVE_COMMAND;
    if (!more && aeh__stls_is(verb, "STARTTLS")) {
        aeh__stls_sendf(t, "OK \"Begin TLS negotiation now\"\r\n");
        aeh__stls_ok(t);
        return;
    }
    if (!more && aeh__stls_is(verb, "LOGOUT")) {
        aeh__stls_quit(t, "OK \"Bye\"", p, n);
        return;
    }
    if (!more && aeh__stls_over_bound(t, "BYE \"Too many commands without STARTTLS\""))
        return;
    if (lit >= 0) {
        sieve_skip(t, lit);
        return;
    }
    if (!more && aeh__stls_is(verb, "CAPABILITY")) {
        sieve_caps(t);
        aeh__stls_sendf(t, "OK \"Capability completed\"\r\n");
    } else {
        aeh__stls_sendf(t, "NO \"Command not allowed before STARTTLS\"\r\n");
    }
    aeh__stls_read_line(t);
}

const stls_preset aeh__stls_sieve[2] = {
    { "sieve", false, sieve_client_begin, sieve_client_reply, NULL },
    { "sieve", true, sieve_server_begin, sieve_server_reply, NULL },
};
