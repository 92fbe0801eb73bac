/* SPDX-License-Identifier: MIT */
/* STARTTLS server presets: `aecat -l --starttls PROTO` plays the server's
 * part of the upgrade, so that real clients (openssl s_client -starttls,
 * gnutls-cli --starttls-proto, curl, psql, ldapsearch -ZZ, mariadb --ssl)
 * and our own client presets get as far as the handshake.  stls_ok means
 * "start TLS now, as the server".
 *
 * Before STARTTLS a client may only do what the protocol allows without
 * TLS: anything else gets the protocol's own error reply and the dialog
 * goes on waiting, so a client that probes first (EHLO, CAPA, FEAT) or
 * tries to log in gets a meaningful answer.  A QUIT-like command gets its
 * goodbye and ends the run; so does the MAX_COMMANDS-th command without
 * STARTTLS, since a client that never upgrades must not keep us forever.
 * The dialogs follow the same RFCs as starttls_client.c. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "starttls_int.h"

#define SHOW(p, n) stls_show((p), (n), t->show, sizeof t->show)

enum { MAX_COMMANDS = 50 };

/* ------------------------------------------------------------ helpers */

/* The next space-separated word of p[0, n) from *i on. */
static aeh_span next_word(const uint8_t *p, size_t n, size_t *i)
{
    while (*i < n && p[*i] == ' ')
        (*i)++;
    size_t s = *i;
    while (*i < n && p[*i] != ' ')
        (*i)++;
    return (aeh_span){ p + s, *i - s };
}

/* What follows the words read so far, without its leading spaces. */
static aeh_span rest_of(const uint8_t *p, size_t n, size_t i)
{
    while (i < n && p[i] == ' ')
        i++;
    return (aeh_span){ p + i, n - i };
}

/* Commands are case-insensitive in every protocol here. */
static bool is(aeh_span w, const char *s)
{
    size_t m = strlen(s);
    return w.n == m && !strncasecmp((const char *)w.p, s, m);
}

/* Counts a command that was not STARTTLS.  Past the bound, says `bye` (a
 * line, if any) and refuses: true then, and the caller stops. */
static bool over_bound(stls *t, const char *bye)
{
    if (t->seq < MAX_COMMANDS) {
        t->seq++;
        return false;
    }
    if (bye)
        stls_sendf(t, "%s\r\n", bye);
    stls_refuse(t, "the client sent %d commands without STARTTLS", MAX_COMMANDS);
    return true;
}

/* A QUIT-like command: its goodbye, then the end of the run. */
static void quit(stls *t, const char *bye, const uint8_t *p, size_t n)
{
    stls_sendf(t, "%s\r\n", bye);
    stls_refuse(t, "the client quit before STARTTLS: %s", SHOW(p, n));
}

/* Appends n bytes at b[o]: the new end. */
static size_t put(uint8_t *b, size_t o, const void *p, size_t n)
{
    memcpy(b + o, p, n);
    return o + n;
}

/* Not secret, only distinct between runs: XMPP stream ids, MySQL's thread
 * id and scramble (no authentication happens before TLS here). */
static uint32_t pseudo_random(stls *t)
{
    static uint32_t x;
    if (!x)
        x = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16 ^ (uint32_t)(uintptr_t)t;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x ? x : (x = 1);
}

/* ------------------------------------------------------------ SMTP, LMTP */

enum { F_LMTP = 1 };

static void smtp_begin(stls *t)
{
    stls_sendf(t, "220 %s ESMTP aecat\r\n", t->name);
    stls_read_line(t);
}

static void lmtp_begin(stls *t)
{
    t->flags = F_LMTP;
    stls_sendf(t, "220 %s LMTP aecat\r\n", t->name);
    stls_read_line(t);
}

/* RFC 3207; LMTP (RFC 2033) has LHLO for EHLO, which is taken too since
 * clients that know only SMTP send it. */
static void smtp_reply(stls *t, const uint8_t *p, size_t n)
{
    size_t i = 0;
    aeh_span verb = next_word(p, n, &i), arg = rest_of(p, n, i);
    if (is(verb, "STARTTLS") && !arg.n) {
        stls_sendf(t, "220 2.0.0 Ready to start TLS\r\n");
        stls_ok(t);
        return;
    }
    if (is(verb, "QUIT")) {
        quit(t, "221 2.0.0 Bye", p, n);
        return;
    }
    char bye[320];
    snprintf(bye, sizeof bye, "421 4.7.0 %s Too many commands without STARTTLS", t->name);
    if (over_bound(t, bye))
        return;
    if (is(verb, "EHLO") || (is(verb, "LHLO") && (t->flags & F_LMTP)))
        /* openssl s_client sends EHLO and looks for STARTTLS in the list */
        stls_sendf(t, "250-%s\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 STARTTLS\r\n", t->name);
    else if (is(verb, "HELO"))
        stls_sendf(t, "250 %s\r\n", t->name);
    else if (is(verb, "STARTTLS"))
        stls_sendf(t, "501 5.5.4 Syntax error (no parameters allowed)\r\n");
    else if (is(verb, "NOOP") || is(verb, "RSET"))
        stls_sendf(t, "250 2.0.0 OK\r\n");
    else
        stls_sendf(t, "530 5.7.0 Must issue a STARTTLS command first\r\n");
    stls_read_line(t);
}

/* ------------------------------------------------------------ POP3 */

static void pop3_begin(stls *t)
{
    stls_sendf(t, "+OK %s POP3 aecat ready\r\n", t->name);
    stls_read_line(t);
}

/* RFC 2595 (STLS), RFC 2449 (CAPA). */
static void pop3_reply(stls *t, const uint8_t *p, size_t n)
{
    size_t i = 0;
    aeh_span verb = next_word(p, n, &i);
    if (is(verb, "STLS")) {
        stls_sendf(t, "+OK Begin TLS negotiation\r\n");
        stls_ok(t);
        return;
    }
    if (is(verb, "QUIT")) {
        quit(t, "+OK bye", p, n);
        return;
    }
    if (over_bound(t, "-ERR Too many commands without STLS"))
        return;
    if (is(verb, "CAPA"))
        stls_sendf(t, "+OK\r\nSTLS\r\nUSER\r\n.\r\n");
    else
        stls_sendf(t, "-ERR Command not permitted before STLS\r\n");
    stls_read_line(t);
}

/* ------------------------------------------------------------ IMAP */

#define IMAP_CAPS "IMAP4rev1 STARTTLS LOGINDISABLED"

static void imap_begin(stls *t)
{
    stls_sendf(t, "* OK [CAPABILITY " IMAP_CAPS "] %s aecat ready\r\n", t->name);
    stls_read_line(t);
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

/* RFC 3501 / 9051: "TAG COMMAND args", answered "TAG OK|NO|BAD text". */
static void imap_reply(stls *t, const uint8_t *p, size_t n)
{
    size_t i = 0;
    aeh_span tag = next_word(p, n, &i), cmd = next_word(p, n, &i);
    int tl = (int)tag.n;
    const char *tg = (const char *)tag.p;
    if (imap_tag_ok(tag) && is(cmd, "STARTTLS")) {
        stls_sendf(t, "%.*s OK Begin TLS negotiation now\r\n", tl, tg);
        stls_ok(t);
        return;
    }
    if (imap_tag_ok(tag) && is(cmd, "LOGOUT")) {
        /* the BYE needs a text (resp-text is not empty in the grammar) */
        char bye[100];
        snprintf(bye, sizeof bye, "* BYE Logging out\r\n%.*s OK LOGOUT completed", tl, tg);
        quit(t, bye, p, n);
        return;
    }
    if (over_bound(t, "* BYE Too many commands without STARTTLS"))
        return;
    if (!tag.n)
        stls_sendf(t, "* BAD Empty command line\r\n");
    else if (!imap_tag_ok(tag))
        stls_sendf(t, "* BAD Invalid tag\r\n");
    else if (!cmd.n)
        stls_sendf(t, "%.*s BAD Missing command\r\n", tl, tg);
    else if (is(cmd, "CAPABILITY"))
        stls_sendf(t, "* CAPABILITY " IMAP_CAPS "\r\n%.*s OK CAPABILITY completed\r\n", tl, tg);
    else if (is(cmd, "NOOP"))
        stls_sendf(t, "%.*s OK NOOP completed\r\n", tl, tg);
    else
        stls_sendf(t, "%.*s BAD Command not permitted before STARTTLS\r\n", tl, tg);
    stls_read_line(t);
}

/* ------------------------------------------------------------ FTP */

static void ftp_begin(stls *t)
{
    stls_sendf(t, "220 %s FTP aecat ready\r\n", t->name);
    stls_read_line(t);
}

/* RFC 4217.  curl tries "AUTH SSL" before "AUTH TLS"; TLS-C and TLS-P are
 * RFC 2228-era names for the same upgrade. */
static void ftp_reply(stls *t, const uint8_t *p, size_t n)
{
    size_t i = 0;
    aeh_span verb = next_word(p, n, &i), mech = next_word(p, n, &i);
    bool auth = is(verb, "AUTH");
    if (auth && (is(mech, "TLS") || is(mech, "SSL") || is(mech, "TLS-C") || is(mech, "TLS-P"))) {
        stls_sendf(t, "234 AUTH TLS successful\r\n");
        stls_ok(t);
        return;
    }
    if (is(verb, "QUIT")) {
        quit(t, "221 Goodbye", p, n);
        return;
    }
    if (over_bound(t, "421 Too many commands without AUTH TLS"))
        return;
    if (is(verb, "FEAT"))
        stls_sendf(t, "211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End\r\n");
    else if (auth)
        stls_sendf(t, "504 Security mechanism not understood\r\n");
    else
        stls_sendf(t, "530 Please login with USER and PASS (AUTH TLS first)\r\n");
    stls_read_line(t);
}

/* ------------------------------------------------------------ XMPP */

enum { X_HEADER, X_STARTTLS };
enum { F_JABBER_SERVER = 1 };

/* The initiating entity's stream header, after an optional XML declaration. */
#define XMPP_HEADER_RE "<stream:stream[^>]*>"
/* Then the next top-level element: <starttls/> (or with content), the
 * stream's end, or anything else (a stanza, SASL): the first one decides. */
#define XMPP_NEXT_RE "(?s)<starttls[^>]*/>|<starttls[^>]*>.*?</starttls>|</stream:stream>" \
                     "|<(?!starttls|\\?)[^>]*>"

static void xmpp_begin(stls *t)
{
    t->state = X_HEADER;
    stls_read_until(t, XMPP_HEADER_RE);
}

static void xmpps_begin(stls *t)
{
    t->flags = F_JABBER_SERVER;
    xmpp_begin(t);
}

/* xmlns='ns' or xmlns="ns", exactly: not xmlns:db='jabber:server:dialback'. */
static bool xmpp_has_ns(const uint8_t *p, size_t n, const char *ns)
{
    char a[64], b[64];
    snprintf(a, sizeof a, "xmlns='%s'", ns);
    snprintf(b, sizeof b, "xmlns=\"%s\"", ns);
    return memmem(p, n, a, strlen(a)) || memmem(p, n, b, strlen(b));
}

/* RFC 6120 section 5: our stream header and features in one write
 * (openssl looks for <starttls in a single read), TLS required. */
static void xmpp_reply(stls *t, const uint8_t *p, size_t n)
{
    if (t->state == X_HEADER) {
        /* answer in the namespace the client used (c2s or s2s) */
        if (xmpp_has_ns(p, n, "jabber:server"))
            t->flags |= F_JABBER_SERVER;
        else if (xmpp_has_ns(p, n, "jabber:client"))
            t->flags &= ~(unsigned)F_JABBER_SERVER;
        char name[sizeof t->name * 5];   /* every byte may become &#NN; */
        uint32_t a = pseudo_random(t), b = pseudo_random(t);
        stls_sendf(t, "<?xml version='1.0'?><stream:stream xmlns='%s' "
                      "xmlns:stream='http://etherx.jabber.org/streams' id='%08x%08x' from='%s' "
                      "version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
                      "<required/></starttls></stream:features>",
                   t->flags & F_JABBER_SERVER ? "jabber:server" : "jabber:client", a, b,
                   stls_escape(t->name, "'\"<>&", true, name, sizeof name));
        t->state = X_STARTTLS;
        stls_read_until(t, XMPP_NEXT_RE);
        return;
    }
    if (memmem(p, n, "<starttls", 9)) {
        stls_sendf(t, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        stls_ok(t);
        return;
    }
    /* the element alone, without the whitespace before it */
    const uint8_t *lt = memchr(p, '<', n);
    size_t at = lt ? (size_t)(lt - p) : 0;
    if (memmem(p, n, "</stream:stream>", 16)) {
        quit(t, "</stream:stream>", p + at, n - at);
        return;
    }
    /* TLS is mandatory-to-negotiate: anything else ends the stream */
    stls_sendf(t, "<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                  "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>STARTTLS is required</text>"
                  "</stream:error></stream:stream>");
    stls_refuse(t, "the client sent %s before STARTTLS", SHOW(p + at, n - at));
}

/* ------------------------------------------------------------ NNTP */

static void nntp_begin(stls *t)
{
    stls_sendf(t, "200 %s NNTP aecat ready\r\n", t->name);
    stls_read_line(t);
}

/* RFC 4642, RFC 3977. */
static void nntp_reply(stls *t, const uint8_t *p, size_t n)
{
    size_t i = 0;
    aeh_span verb = next_word(p, n, &i), arg = next_word(p, n, &i);
    if (is(verb, "STARTTLS")) {
        stls_sendf(t, "382 Continue with TLS negotiation\r\n");
        stls_ok(t);
        return;
    }
    if (is(verb, "QUIT")) {
        quit(t, "205 Bye", p, n);
        return;
    }
    if (over_bound(t, "400 Too many commands without STARTTLS"))
        return;
    if (is(verb, "CAPABILITIES"))
        stls_sendf(t, "101 Capability list:\r\nVERSION 2\r\nSTARTTLS\r\nREADER\r\n.\r\n");
    else if (is(verb, "MODE") && is(arg, "READER"))
        stls_sendf(t, "200 Reader mode\r\n");
    else
        stls_sendf(t, "483 Command unavailable until STARTTLS\r\n");
    stls_read_line(t);
}

/* ------------------------------------------------------------ ManageSieve */

enum { V_CMD, V_LITERAL, V_MORE };
enum { SIEVE_LITERAL_MAX = 1 << 20 };

static void sieve_caps(stls *t)
{
    stls_sendf(t, "\"IMPLEMENTATION\" \"aecat\"\r\n\"SIEVE\" \"fileinto\"\r\n\"STARTTLS\"\r\n"
                  "\"VERSION\" \"1.0\"\r\n");
}

static void sieve_begin(stls *t)
{
    char name[520];
    sieve_caps(t);
    stls_sendf(t, "OK \"%s ready\"\r\n", stls_escape(t->name, "\"\\", false, name, sizeof name));
    t->state = V_CMD;
    stls_read_line(t);
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
        stls_sendf(t, "BYE \"Literal too long\"\r\n");
        stls_refuse(t, "the client sent a literal of %ld bytes before STARTTLS", lit);
        return;
    }
    t->state = lit ? V_LITERAL : V_MORE;
    if (lit)
        stls_read_bytes(t, (size_t)lit);
    else
        stls_read_line(t);
}

/* RFC 5804: commands are atoms, answers OK / NO / BYE with a quoted text. */
static void sieve_reply(stls *t, const uint8_t *p, size_t n)
{
    if (t->state == V_LITERAL) {
        t->state = V_MORE;
        stls_read_line(t);
        return;
    }
    bool more = t->state == V_MORE;   /* the rest of a command after a literal */
    long lit = sieve_literal(p, n);
    size_t i = 0;
    aeh_span verb = next_word(p, n, &i);
    t->state = V_CMD;
    if (!more && is(verb, "STARTTLS")) {
        stls_sendf(t, "OK \"Begin TLS negotiation now\"\r\n");
        stls_ok(t);
        return;
    }
    if (!more && is(verb, "LOGOUT")) {
        quit(t, "OK \"Bye\"", p, n);
        return;
    }
    if (!more && over_bound(t, "BYE \"Too many commands without STARTTLS\""))
        return;
    if (lit >= 0) {
        sieve_skip(t, lit);
        return;
    }
    if (!more && is(verb, "CAPABILITY")) {
        sieve_caps(t);
        stls_sendf(t, "OK \"Capability completed\"\r\n");
    } else {
        stls_sendf(t, "NO \"Command not allowed before STARTTLS\"\r\n");
    }
    stls_read_line(t);
}

/* ------------------------------------------------------------ IRC */

enum { F_TLS_ACKED = 1 };

static void irc_begin(stls *t)
{
    stls_read_line(t);
}

/* The IRCv3 tls extension: STARTTLS answered 670; CAP negotiation offers
 * tls; registration (NICK, USER) waits for after TLS, so it is not
 * answered. */
static void irc_reply(stls *t, const uint8_t *p, size_t n)
{
    size_t i = 0;
    if (n && p[0] == ':')
        next_word(p, n, &i);     /* a prefix: who sent it does not matter here */
    aeh_span cmd = next_word(p, n, &i);
    if (is(cmd, "STARTTLS")) {
        stls_sendf(t, ":%s 670 * :STARTTLS successful, go ahead with TLS handshake\r\n", t->name);
        stls_ok(t);
        return;
    }
    if (is(cmd, "QUIT")) {
        quit(t, "ERROR :Closing link", p, n);
        return;
    }
    if (!cmd.n) {                /* empty lines are ignored by IRC servers */
        stls_read_line(t);
        return;
    }
    if (over_bound(t, "ERROR :Too many commands without STARTTLS"))
        return;
    aeh_span sub = next_word(p, n, &i), arg = rest_of(p, n, i);
    if (is(cmd, "PING"))
        arg = rest_of(p, n, sub.p - p);   /* the whole argument is the token */
    if (arg.n && arg.p[0] == ':')     /* a trailing parameter */
        arg.p++, arg.n--;
    while (arg.n && arg.p[arg.n - 1] == ' ')
        arg.n--;
    if (is(cmd, "CAP")) {
        if (is(sub, "LS"))
            stls_sendf(t, ":%s CAP * LS :tls\r\n", t->name);
        else if (is(sub, "LIST"))
            stls_sendf(t, ":%s CAP * LIST :%s\r\n", t->name, t->flags & F_TLS_ACKED ? "tls" : "");
        else if (is(sub, "REQ") && is(arg, "tls")) {
            t->flags |= F_TLS_ACKED;
            stls_sendf(t, ":%s CAP * ACK :tls\r\n", t->name);
        } else if (is(sub, "REQ"))   /* all or nothing, and we have only tls */
            stls_sendf(t, ":%s CAP * NAK :%s\r\n", t->name, SHOW(arg.p, arg.n));
        else if (!is(sub, "END"))
            stls_sendf(t, ":%s 410 * %s :Invalid CAP command\r\n", t->name, SHOW(sub.p, sub.n));
    } else if (is(cmd, "PING")) {
        stls_sendf(t, ":%s PONG %s :%s\r\n", t->name, t->name, SHOW(arg.p, arg.n));
    } else if (!is(cmd, "NICK") && !is(cmd, "USER") && !is(cmd, "PASS") && !is(cmd, "PONG")) {
        stls_sendf(t, ":%s 451 * :You have not registered\r\n", t->name);
    }
    stls_read_line(t);
}

/* ------------------------------------------------------------ LDAP */

enum { L_HEAD, L_LEN, L_BODY };
enum { LDAP_MESSAGE_MAX = 1 << 16 };

static const char ldap_starttls_oid[] = "1.3.6.1.4.1.1466.20037";

/* BER length at p[*i]; -1 if malformed or beyond n.  Long forms may have
 * leading zero bytes (OpenLDAP and Active Directory write 0x84 and four). */
static long ber_len(const uint8_t *p, size_t n, size_t *i)
{
    if (*i >= n)
        return -1;
    uint8_t b = p[(*i)++];
    if (b < 0x80)
        return b;
    size_t k = b & 0x7f;
    if (k == 0 || k > 4 || *i + k > n)
        return -1;
    unsigned long v = 0;
    while (k--)
        v = v << 8 | p[(*i)++];
    return v <= n ? (long)v : -1;
}

static void ldap_begin(stls *t)
{
    t->state = L_HEAD;
    stls_read_bytes(t, 2);
}

/* LDAPMessage { messageID (the request's INTEGER, copied), op { LDAPResult
 * resultCode, matchedDN "", diagnosticMessage [, responseName] } }: every
 * length is under 128, so short forms throughout. */
static void ldap_result(stls *t, const uint8_t *id, size_t idn, uint8_t op, uint8_t code,
                        const char *diag, bool with_oid)
{
    uint8_t m[128];
    size_t dl = strlen(diag), ol = sizeof ldap_starttls_oid - 1;
    size_t body = 3 + 2 + 2 + dl + (with_oid ? 2 + ol : 0);
    size_t o = 0;
    m[o++] = 0x30, m[o++] = (uint8_t)(2 + idn + 2 + body);
    m[o++] = 0x02, m[o++] = (uint8_t)idn;     /* messageID */
    o = put(m, o, id, idn);
    m[o++] = op, m[o++] = (uint8_t)body;
    m[o++] = 0x0a, m[o++] = 1, m[o++] = code;   /* resultCode ENUMERATED */
    m[o++] = 0x04, m[o++] = 0;                  /* matchedDN "" */
    m[o++] = 0x04, m[o++] = (uint8_t)dl;        /* diagnosticMessage */
    o = put(m, o, diag, dl);
    if (with_oid) {
        m[o++] = 0x8a, m[o++] = (uint8_t)ol;    /* [10] responseName */
        o = put(m, o, ldap_starttls_oid, ol);
    }
    stls_send(t, m, o);
}

/* The response to each request that has one, for refusing it: bind,
 * search (SearchResultDone), modify, add, delete, modify DN, compare. */
static uint8_t ldap_response_tag(uint8_t op)
{
    static const uint8_t pairs[][2] = { { 0x60, 0x61 }, { 0x63, 0x65 }, { 0x66, 0x67 },
        { 0x68, 0x69 }, { 0x4a, 0x6b }, { 0x6c, 0x6d }, { 0x6e, 0x6f } };
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++)
        if (pairs[k][0] == op)
            return pairs[k][1];
    return 0;
}

/* RFC 4511 section 4.14 (StartTLS), RFC 4513: a framed LDAPMessage, its
 * header (0x30 and a length byte), a long length's bytes, then the body. */
static void ldap_reply(stls *t, const uint8_t *p, size_t n)
{
    if (t->state == L_HEAD) {
        if (p[0] != 0x30) {
            stls_refuse(t, "not an LDAP message (tag 0x%02x)", p[0]);
            return;
        }
        size_t k = p[1] & 0x7f;
        if (p[1] == 0 || (p[1] >= 0x80 && (k == 0 || k > 4))) {
            stls_refuse(t, "an LDAP message length this server does not take (0x%02x)", p[1]);
            return;
        }
        t->state = p[1] < 0x80 ? L_BODY : L_LEN;
        stls_read_bytes(t, p[1] < 0x80 ? p[1] : k);
        return;
    }
    if (t->state == L_LEN) {
        size_t len = 0;
        for (size_t k = 0; k < n; k++)
            len = len << 8 | p[k];
        if (!len || len > LDAP_MESSAGE_MAX) {
            stls_refuse(t, "an LDAP message of %zu bytes before StartTLS", len);
            return;
        }
        t->state = L_BODY;
        stls_read_bytes(t, len);
        return;
    }
    /* messageID INTEGER (1 to 4 bytes), then the operation */
    if (n < 5 || p[0] != 0x02 || p[1] < 1 || p[1] > 4 || (size_t)p[1] + 3 > n) {
        stls_refuse(t, "malformed LDAP message: %s", SHOW(p, n));
        return;
    }
    const uint8_t *id = p + 2;
    size_t idn = p[1], i = 2 + idn;
    uint8_t op = p[i++];
    long l = ber_len(p, n, &i);
    if (l < 0 || i + (size_t)l > n) {
        stls_refuse(t, "malformed LDAP message: %s", SHOW(p, n));
        return;
    }
    if (op == 0x77) {             /* ExtendedRequest { [0] requestName, ... } */
        const uint8_t *q = p + i;
        size_t j = 1, ol = sizeof ldap_starttls_oid - 1;
        if (l >= 2 && q[0] == 0x80 && ber_len(q, (size_t)l, &j) == (long)ol &&
            j + ol <= (size_t)l && !memcmp(q + j, ldap_starttls_oid, ol)) {
            ldap_result(t, id, idn, 0x78, 0, "", true);
            stls_ok(t);
            return;
        }
    }
    if (op == 0x42) {             /* UnbindRequest: no response, the client is gone */
        if (t->flags)
            stls_refuse(t, "the client quit before STARTTLS: an LDAP unbind, after operation tag 0x%02x",
                        t->flags);
        else
            stls_refuse(t, "the client quit before STARTTLS: an LDAP unbind");
        return;
    }
    if (over_bound(t, NULL))
        return;
    t->flags = op;
    if (op == 0x77)               /* an unknown extended operation: RFC 4511 4.12 */
        ldap_result(t, id, idn, 0x78, 2, "unsupported extended operation", false);
    else if (ldap_response_tag(op))   /* 13: confidentialityRequired */
        ldap_result(t, id, idn, ldap_response_tag(op), 13, "StartTLS is required", false);
    else if (op != 0x50) {        /* AbandonRequest has no response */
        stls_refuse(t, "the client sent LDAP operation tag 0x%02x before StartTLS", op);
        return;
    }
    t->state = L_HEAD;
    stls_read_bytes(t, 2);
}

/* ------------------------------------------------------------ PostgreSQL */

enum { PG_SSL_REQUEST = 80877103, PG_GSSENC_REQUEST = 80877104, PG_CANCEL_REQUEST = 80877102 };

static void pg_begin(stls *t)
{
    stls_read_bytes(t, 8);
}

/* An ErrorResponse as a server configured with hostssl only would send. */
static void pg_error(stls *t, const char *msg)
{
    static const char head[] = "SFATAL\0VFATAL\0C28000\0M";   /* severity, code, then M */
    uint8_t e[256] = { 'E' };
    memcpy(e + 5, head, sizeof head - 1);
    size_t o = 5 + sizeof head - 1;
    o += (size_t)snprintf((char *)e + o, sizeof e - o - 2, "%s", msg) + 1;
    e[o++] = 0;                   /* the fields' end */
    uint32_t len = (uint32_t)(o - 1);
    e[1] = (uint8_t)(len >> 24), e[2] = (uint8_t)(len >> 16), e[3] = (uint8_t)(len >> 8), e[4] = (uint8_t)len;
    stls_send(t, e, o);
}

/* The frontend/backend protocol's SSLRequest: "S" and TLS follows.  libpq
 * may ask GSSENCRequest first (when it has Kerberos credentials): "N", and
 * it goes on with SSLRequest. */
static void pg_reply(stls *t, const uint8_t *p, size_t n)
{
    (void)n;
    uint32_t len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    uint32_t code = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
    if (len == 8 && code == PG_SSL_REQUEST) {
        stls_send(t, "S", 1);
        stls_ok(t);
        return;
    }
    if (len == 8 && code == PG_GSSENC_REQUEST) {
        if (over_bound(t, NULL))
            return;
        stls_send(t, "N", 1);
        stls_read_bytes(t, 8);
        return;
    }
    if (len == 16 && code == PG_CANCEL_REQUEST) {
        stls_refuse(t, "the client did not ask for SSL (a CancelRequest)");
        return;
    }
    if (code >> 16 == 3) {        /* a StartupMessage, protocol 3.x */
        pg_error(t, "the server accepts only SSL connections");
        stls_refuse(t, "the client did not ask for SSL (a StartupMessage for protocol 3.%u)",
                    code & 0xffff);
        return;
    }
    stls_refuse(t, "the client did not ask for SSL: %s", SHOW(p, 8));
}

/* ------------------------------------------------------------ MySQL */

enum { M_HEAD, M_BODY };
enum { CLIENT_LONG_PASSWORD = 1, CLIENT_PROTOCOL_41 = 0x200, CLIENT_SSL = 0x800,
       CLIENT_TRANSACTIONS = 0x2000, CLIENT_SECURE_CONNECTION = 0x8000,
       CLIENT_PLUGIN_AUTH = 0x80000 };
enum { MYSQL_PACKET_MAX = 1 << 16 };

/* Handshake v10, sequence 0, in one write (openssl s_client reads it with
 * one read and checks its length). */
static void mysql_begin(stls *t)
{
    static const char version[] = "5.7.0-aecat", plugin[] = "mysql_native_password";
    uint32_t caps = CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SSL | CLIENT_TRANSACTIONS |
                    CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH;
    uint8_t scramble[20];
    for (size_t k = 0; k < sizeof scramble; k++)   /* printable, never NUL */
        scramble[k] = (uint8_t)(0x21 + pseudo_random(t) % 94);
    uint32_t thread = pseudo_random(t) & 0xffff;
    uint8_t pk[128];
    size_t o = 4;
    pk[o++] = 10;                                   /* protocol version */
    o = put(pk, o, version, sizeof version);        /* with its NUL */
    for (int k = 0; k < 4; k++)
        pk[o++] = (uint8_t)(thread >> (8 * k));
    o = put(pk, o, scramble, 8);                    /* auth-plugin-data part 1 */
    pk[o++] = 0;                                    /* filler */
    pk[o++] = (uint8_t)caps, pk[o++] = (uint8_t)(caps >> 8);
    pk[o++] = 45;                                   /* utf8mb4_general_ci */
    pk[o++] = 2, pk[o++] = 0;                       /* SERVER_STATUS_AUTOCOMMIT */
    pk[o++] = (uint8_t)(caps >> 16), pk[o++] = (uint8_t)(caps >> 24);
    pk[o++] = 21;                                   /* auth-plugin-data length */
    o = put(pk, o, (const uint8_t[10]){ 0 }, 10);   /* reserved */
    o = put(pk, o, scramble + 8, 12);               /* part 2, NUL-terminated */
    pk[o++] = 0;
    o = put(pk, o, plugin, sizeof plugin);
    size_t len = o - 4;
    pk[0] = (uint8_t)len, pk[1] = (uint8_t)(len >> 8), pk[2] = (uint8_t)(len >> 16), pk[3] = 0;
    stls_send(t, pk, o);
    t->state = M_HEAD;
    stls_read_bytes(t, 4);
}

/* The client's answer: an SSLRequest (its capability flags with CLIENT_SSL,
 * 32 bytes) means TLS follows; a full HandshakeResponse does not. */
static void mysql_reply(stls *t, const uint8_t *p, size_t n)
{
    if (t->state == M_HEAD) {
        size_t len = p[0] | p[1] << 8 | (size_t)p[2] << 16;
        t->seq = p[3];
        if (len < 2 || len > MYSQL_PACKET_MAX) {
            stls_refuse(t, "the client sent a MySQL packet of %zu bytes", len);
            return;
        }
        t->state = M_BODY;
        stls_read_bytes(t, len);
        return;
    }
    if ((p[0] | p[1] << 8) & CLIENT_SSL) {
        stls_ok(t);
        return;
    }
    /* ERR_Packet, as a server with require_secure_transport answers:
     * 3159 ER_SECURE_TRANSPORT_REQUIRED, SQLSTATE HY000 */
    static const char msg[] = "Connections using insecure transport are prohibited";
    uint8_t e[80] = { 0, 0, 0, (uint8_t)(t->seq + 1), 0xff, 3159 & 0xff, 3159 >> 8 };
    size_t o = put(e, put(e, 7, "#HY000", 6), msg, sizeof msg - 1);
    e[0] = (uint8_t)(o - 4);
    stls_send(t, e, o);
    (void)n;
    stls_refuse(t, "the client did not ask for SSL");
}

/* ------------------------------------------------------------ telnet */

enum { F_FOLLOWS_SENT = 1 };

/* One telnet command per read, with the plain text before it (ignored):
 * text is any byte but IAC, or IAC IAC (a data 255); then IAC and a
 * two-byte command, an option command (WILL/WONT/DO/DONT opt), or a
 * subnegotiation up to IAC SE.  Reading up to a command rather than a byte
 * at a time keeps the codecs made for the reads as few as the commands,
 * which MAX_COMMANDS bounds. */

static void telnet_begin(stls *t)
{
    static const uint8_t do_tls[3] = { IAC, DO, START_TLS };
    stls_send(t, do_tls, sizeof do_tls);
    stls_read_until(t, TELNET_RE);
}

static void telnet_follows(stls *t)
{
    static const uint8_t follows[6] = { IAC, SB, START_TLS, FOLLOWS, IAC, SE };
    if (!(t->flags & F_FOLLOWS_SENT))
        stls_send(t, follows, sizeof follows);
    t->flags |= F_FOLLOWS_SENT;
}

/* draft-altman-telnet-starttls: we DO START_TLS, the client WILL, we send
 * SB START_TLS FOLLOWS, and its own FOLLOWS means TLS starts.  Other
 * options are all refused, which cannot loop: a refusal is never answered. */
static void telnet_reply(stls *t, const uint8_t *p, size_t n)
{
    size_t i = stls_telnet_command(p, n);
    const uint8_t *c = p + i;     /* the command: IAC first */
    size_t cn = n - i;
    if (cn < 2) {                 /* cannot happen with TELNET_RE; but never read past p */
        stls_read_until(t, TELNET_RE);
        return;
    }
    if (cn == 6 && c[1] == SB && c[2] == START_TLS && c[3] == FOLLOWS) {
        telnet_follows(t);        /* even if the client skipped WILL */
        stls_ok(t);
        return;
    }
    if (cn == 3 && c[1] == WONT && c[2] == START_TLS) {
        stls_refuse(t, "the client refused START_TLS (WONT)");
        return;
    }
    if (cn == 3 && c[1] == WILL && c[2] == START_TLS) {
        telnet_follows(t);
    } else {
        if (over_bound(t, NULL))
            return;
        uint8_t no[3] = { IAC, 0, cn == 3 ? c[2] : 0 };
        if (cn == 3 && c[1] == DO)
            no[1] = WONT;
        else if (cn == 3 && c[1] == WILL)
            no[1] = DONT;
        if (no[1])
            stls_send(t, no, sizeof no);
    }
    stls_read_until(t, TELNET_RE);
}

/* ------------------------------------------------------------ the table */

const stls_preset stls_server_presets[] = {
    { "smtp", true, smtp_begin, smtp_reply, NULL },
    { "lmtp", true, lmtp_begin, smtp_reply, NULL },
    { "pop3", true, pop3_begin, pop3_reply, NULL },
    { "imap", true, imap_begin, imap_reply, NULL },
    { "ftp", true, ftp_begin, ftp_reply, NULL },
    { "xmpp", true, xmpp_begin, xmpp_reply, NULL },
    { "xmpp-server", true, xmpps_begin, xmpp_reply, NULL },
    { "nntp", true, nntp_begin, nntp_reply, NULL },
    { "sieve", true, sieve_begin, sieve_reply, NULL },
    { "ldap", true, ldap_begin, ldap_reply, NULL },
    { "postgres", true, pg_begin, pg_reply, NULL },
    { "mysql", true, mysql_begin, mysql_reply, NULL },
    { "irc", true, irc_begin, irc_reply, NULL },
    { "telnet", true, telnet_begin, telnet_reply, NULL },
    { NULL, true, NULL, NULL, NULL },
};
