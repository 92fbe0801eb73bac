/* SPDX-License-Identifier: MIT */
/* STARTTLS client presets: each reply of the server is checked, and a
 * refusal (or a reply that is not the protocol's) ends the run with the
 * server's own words.  The dialogs follow the RFCs: SMTP 3207, LMTP 2033,
 * POP3 2595, IMAP 2595/9051, FTP 4217, XMPP 6120, NNTP 4642, ManageSieve
 * 5804, LDAP 4511/4513, PostgreSQL's SSLRequest, MySQL's SSLRequest, IRCv3
 * tls, telnet START_TLS (draft-altman-telnet-starttls). */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "starttls_int.h"

enum { F_CAPA = 1 };              /* STARTTLS was seen among the capabilities */

#define SHOW(p, n) stls_show((p), (n), t->show, sizeof t->show)

/* "250-x" / "250 x": the code, or -1; *more when a continuation line. */
static int reply_code(const uint8_t *p, size_t n, bool *more)
{
    if (n < 3 || p[0] < '1' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
        return -1;
    if (n > 3 && p[3] != ' ' && p[3] != '-')
        return -1;
    *more = n > 3 && p[3] == '-';
    return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/* Is `word` in p[0, n) as a whole word, any case? */
static bool has_word(const uint8_t *p, size_t n, const char *word)
{
    size_t w = strlen(word);
    for (size_t i = 0; i + w <= n; i++) {
        if (strncasecmp((const char *)p + i, word, w))
            continue;
        bool left = i == 0 || !((p[i - 1] >= 'A' && p[i - 1] <= 'Z') || (p[i - 1] >= 'a' && p[i - 1] <= 'z'));
        bool right = i + w == n || !((p[i + w] >= 'A' && p[i + w] <= 'Z') || (p[i + w] >= 'a' && p[i + w] <= 'z'));
        if (left && right)
            return true;
    }
    return false;
}

static bool starts(const uint8_t *p, size_t n, const char *s)
{
    size_t m = strlen(s);
    return n >= m && !strncasecmp((const char *)p, s, m);
}

/* ------------------------------------------------------------ SMTP, LMTP */

enum { S_GREET, S_HELLO, S_GO, S_AGAIN };

static void smtp_begin(stls *t)
{
    t->state = S_GREET;
    stls_read_line(t);
}

static void smtp_like(stls *t, const uint8_t *p, size_t n, const char *hello)
{
    bool more;
    int code = reply_code(p, n, &more);
    switch (t->state) {
    case S_GREET:
        if (code != 220) {
            stls_refuse(t, "greeting is not 220: %s", SHOW(p, n));
            return;
        }
        if (more)
            break;
        stls_sendf(t, "%s %s\r\n", hello, t->name);
        t->state = S_HELLO;
        break;
    case S_HELLO:
        if (code != 250) {
            stls_refuse(t, "%s refused: %s", hello, SHOW(p, n));
            return;
        }
        if (n > 4 && has_word(p + 4, n - 4, "STARTTLS"))
            t->flags |= F_CAPA;
        if (more)
            break;
        if (!(t->flags & F_CAPA)) {
            stls_refuse(t, "STARTTLS not offered in the %s reply (last line: %s)", hello, SHOW(p, n));
            return;
        }
        stls_sendf(t, "STARTTLS\r\n");
        t->state = S_GO;
        break;
    case S_GO:
        if (code != 220) {
            stls_refuse(t, "STARTTLS refused: %s", SHOW(p, n));
            return;
        }
        if (more)
            break;
        stls_ok(t);
        return;
    case S_AGAIN:
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
static void smtp_after(stls *t)
{
    stls_sendf(t, "EHLO %s\r\n", t->name);
    t->state = S_AGAIN;
    stls_read_line(t);
}

static void lmtp_after(stls *t)
{
    stls_sendf(t, "LHLO %s\r\n", t->name);
    t->state = S_AGAIN;
    stls_read_line(t);
}

static void smtp_reply(stls *t, const uint8_t *p, size_t n) { smtp_like(t, p, n, "EHLO"); }
static void lmtp_reply(stls *t, const uint8_t *p, size_t n) { smtp_like(t, p, n, "LHLO"); }

/* ------------------------------------------------------------ FTP */

static void ftp_reply(stls *t, const uint8_t *p, size_t n)
{
    bool more;
    int code = reply_code(p, n, &more);
    if (code < 0 && t->state == S_GREET) {   /* inside a multi-line greeting */
        stls_read_line(t);
        return;
    }
    if (t->state == S_GREET) {
        if (code != 220) {
            stls_refuse(t, "greeting is not 220: %s", SHOW(p, n));
            return;
        }
        if (!more) {
            stls_sendf(t, "AUTH TLS\r\n");
            t->state = S_GO;
        }
        stls_read_line(t);
        return;
    }
    if (code != 234) {
        stls_refuse(t, "AUTH TLS refused: %s", SHOW(p, n));
        return;
    }
    if (more)
        stls_read_line(t);
    else
        stls_ok(t);
}

/* ------------------------------------------------------------ POP3 */

static void pop3_reply(stls *t, const uint8_t *p, size_t n)
{
    if (!starts(p, n, "+OK")) {
        stls_refuse(t, "%s: %s", t->state == S_GREET ? "greeting is not +OK" : "STLS refused", SHOW(p, n));
        return;
    }
    if (t->state == S_GREET) {
        stls_sendf(t, "STLS\r\n");
        t->state = S_GO;
        stls_read_line(t);
        return;
    }
    stls_ok(t);
}

/* ------------------------------------------------------------ IMAP */

enum { I_GREET, I_CAPA, I_GO };

static void imap_reply(stls *t, const uint8_t *p, size_t n)
{
    char tag[16];
    snprintf(tag, sizeof tag, "a%u ", t->seq);
    switch (t->state) {
    case I_GREET:
        if (!starts(p, n, "* OK")) {
            stls_refuse(t, "greeting is not * OK: %s", SHOW(p, n));
            return;
        }
        /* a greeting may carry [CAPABILITY ...]: ask anyway, it is cheap */
        t->seq = 1;
        stls_sendf(t, "a1 CAPABILITY\r\n");
        t->state = I_CAPA;
        break;
    case I_CAPA:
        if (starts(p, n, "* ")) {
            if (starts(p, n, "* CAPABILITY")) {
                if (has_word(p, n, "STARTTLS"))
                    t->flags |= F_CAPA;
                SHOW(p, n);       /* kept for the refusal below */
            }
            break;
        }
        if (!starts(p, n, tag) || !starts(p + strlen(tag), n - strlen(tag), "OK")) {
            stls_refuse(t, "CAPABILITY failed: %s", SHOW(p, n));
            return;
        }
        if (!(t->flags & F_CAPA)) {
            stls_refuse(t, "STARTTLS not among the capabilities: %s",
                        t->show[0] ? t->show : "(no CAPABILITY line)");
            return;
        }
        t->seq = 2;
        stls_sendf(t, "a2 STARTTLS\r\n");
        t->state = I_GO;
        break;
    case I_GO:
        if (starts(p, n, "* "))
            break;                /* untagged data before the answer */
        if (starts(p, n, tag) && starts(p + strlen(tag), n - strlen(tag), "OK")) {
            stls_ok(t);
            return;
        }
        stls_refuse(t, "STARTTLS refused: %s", SHOW(p, n));
        return;
    }
    stls_read_line(t);
}

/* ------------------------------------------------------------ NNTP */

static void nntp_reply(stls *t, const uint8_t *p, size_t n)
{
    bool more;
    int code = reply_code(p, n, &more);
    if (t->state == S_GREET) {
        if (code != 200 && code != 201) {
            stls_refuse(t, "greeting is not 200 or 201: %s", SHOW(p, n));
            return;
        }
        stls_sendf(t, "STARTTLS\r\n");
        t->state = S_GO;
        stls_read_line(t);
        return;
    }
    if (code != 382) {
        stls_refuse(t, "STARTTLS refused: %s", SHOW(p, n));
        return;
    }
    stls_ok(t);
}

/* ------------------------------------------------------------ ManageSieve */

/* A response line: OK, NO or BYE, with or without text. */
static bool sieve_is(const uint8_t *p, size_t n, const char *word)
{
    size_t m = strlen(word);
    return starts(p, n, word) && (n == m || p[m] == ' ' || p[m] == '(');
}

static void sieve_reply(stls *t, const uint8_t *p, size_t n)
{
    if (t->state == S_GREET) {
        if (sieve_is(p, n, "OK")) {
            if (!(t->flags & F_CAPA)) {
                /* t->show: the capability names gathered below */
                stls_refuse(t, "STARTTLS not among the capabilities (%s)",
                            t->show[0] ? t->show : "none");
                return;
            }
            stls_sendf(t, "STARTTLS\r\n");
            t->state = S_GO;
        } else if (sieve_is(p, n, "NO") || sieve_is(p, n, "BYE")) {
            stls_refuse(t, "greeting: %s", SHOW(p, n));
            return;
        } else if (starts(p, n, "\"STARTTLS\"")) {
            t->flags |= F_CAPA;
        } else {
            /* a capability: its name, for the message if STARTTLS is
             * missing (SHOW is not called before the end of the greeting) */
            char word[64];
            size_t o = strlen(t->show), m = 0;
            while (m < n && p[m] != ' ')
                m++;
            stls_show(p, m < 24 ? m : 24, word, sizeof word);
            if (o + strlen(word) + 2 < sizeof t->show / 4)
                snprintf(t->show + o, sizeof t->show - o, "%s%s", o ? " " : "", word);
        }
        stls_read_line(t);
        return;
    }
    if (sieve_is(p, n, "OK")) {
        stls_ok(t);
        return;
    }
    stls_refuse(t, "STARTTLS refused: %s", SHOW(p, n));
}

/* ------------------------------------------------------------ IRC */

static void irc_begin(stls *t)
{
    stls_sendf(t, "STARTTLS\r\n");
    t->state = S_GO;
    stls_read_line(t);
}

static void irc_reply(stls *t, const uint8_t *p, size_t n)
{
    /* ":server NNN target :text": the second word is the numeric */
    size_t i = 0;
    if (n && p[0] == ':') {
        while (i < n && p[i] != ' ')
            i++;
        while (i < n && p[i] == ' ')
            i++;
    }
    /* IRC numerics run to 999 (670, 691): not reply_code's 1xx-5xx */
    int code = -1;
    if (n - i >= 3 && p[i] >= '0' && p[i] <= '9' && p[i + 1] >= '0' && p[i + 1] <= '9' &&
        p[i + 2] >= '0' && p[i + 2] <= '9' && (n - i == 3 || p[i + 3] == ' '))
        code = (p[i] - '0') * 100 + (p[i + 1] - '0') * 10 + (p[i + 2] - '0');
    if (code == 670) {
        stls_ok(t);
        return;
    }
    if (code == 691) {
        stls_refuse(t, "STARTTLS failed on the server (691): %s", SHOW(p, n));
        return;
    }
    if (code == 451 || code == 421) {
        stls_refuse(t, "STARTTLS %s (%d): %s", code == 421 ? "unknown to the server" : "not allowed now",
                    code, SHOW(p, n));
        return;
    }
    if (starts(p, n, "ERROR")) {
        stls_refuse(t, "the server closes: %s", SHOW(p, n));
        return;
    }
    stls_read_line(t);            /* NOTICE and the like */
}

/* ------------------------------------------------------------ XMPP */

static void xmpp_open(stls *t, const char *ns)
{
    char name[sizeof t->name * 5];   /* every byte may become &#NN; */
    stls_sendf(t, "<?xml version='1.0'?><stream:stream xmlns='%s' "
                  "xmlns:stream='http://etherx.jabber.org/streams' to='%s' version='1.0'>",
               ns, stls_escape(t->name, "'\"<>&", true, name, sizeof name));
    t->state = S_HELLO;
    /* a stream error is read to its end: its condition and text are the
     * server's words */
    stls_read_until(t, "</stream:features>|<stream:features[^>]*/>|</stream:error>|</stream:stream>");
}

static void xmpp_begin(stls *t) { xmpp_open(t, "jabber:client"); }
static void xmpps_begin(stls *t) { xmpp_open(t, "jabber:server"); }

/* "<stream:error><COND .../><text ...>TEXT</text></stream:error>": true
 * after refusing with "stream error COND: TEXT" (RFC 6120 4.9). */
static bool xmpp_stream_error(stls *t, const uint8_t *p, size_t n)
{
    const uint8_t *e = memmem(p, n, "<stream:error", 13);
    if (!e)
        return false;
    size_t i = (size_t)(e - p) + 13, m;
    while (i < n && p[i] != '>')
        i++;
    while (++i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        ;
    const uint8_t *cond = i < n && p[i] == '<' ? p + i + 1 : NULL;
    for (m = 0; cond && cond + m < p + n && !strchr(" \t\r\n/>", cond[m]); m++)
        ;
    char what[120] = "";
    const uint8_t *x = memmem(p, n, "<text", 5), *xe = x ? memmem(x, (size_t)(p + n - x), "</text>", 7) : NULL;
    if (x && xe) {
        const uint8_t *gt = memchr(x, '>', (size_t)(xe - x));
        if (gt)
            snprintf(what, sizeof what, ": %s", SHOW(gt + 1, (size_t)(xe - gt - 1)));
    }
    if (m)
        stls_refuse(t, "stream error %.*s%s", (int)(m < 60 ? m : 60), (const char *)cond, what);
    else
        stls_refuse(t, "stream error: %s", SHOW(e, (size_t)(p + n - e)));
    return true;
}

static void xmpp_reply(stls *t, const uint8_t *p, size_t n)
{
    if (xmpp_stream_error(t, p, n))
        return;
    if (t->state == S_HELLO) {
        /* the features, with either quote style, after an optional XML
         * declaration and the stream header */
        const char *s = memmem(p, n, "<starttls", 9);
        if (!s || (!memmem(p, n, "'urn:ietf:params:xml:ns:xmpp-tls'", 33) &&
                   !memmem(p, n, "\"urn:ietf:params:xml:ns:xmpp-tls\"", 33))) {
            stls_refuse(t, "STARTTLS not among the stream features: %s",
                        SHOW(p + (n > 120 ? n - 120 : 0), n > 120 ? 120 : n));
            return;
        }
        stls_sendf(t, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        t->state = S_GO;
        stls_read_until(t, "<proceed[^>]*>|<failure[^>]*>|</stream:error>|</stream:stream>");
        return;
    }
    if (memmem(p, n, "<proceed", 8)) {
        stls_ok(t);
        return;
    }
    stls_refuse(t, "STARTTLS refused: %s", SHOW(p, n));
}

/* ------------------------------------------------------------ PostgreSQL */

static void pg_begin(stls *t)
{
    static const uint8_t ssl_request[8] = { 0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f };
    stls_send(t, ssl_request, sizeof ssl_request);
    stls_read_bytes(t, 1);
}

static void pg_reply(stls *t, const uint8_t *p, size_t n)
{
    (void)n;
    if (p[0] == 'S')
        stls_ok(t);
    else if (p[0] == 'N')
        stls_refuse(t, "the server does not do SSL (it answered N)");
    else
        stls_refuse(t, "unexpected answer to SSLRequest: byte 0x%02x", p[0]);
}

/* ------------------------------------------------------------ LDAP */

/* BER length at p[*i]; -1 if malformed or beyond n. */
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
    long v = 0;
    while (k--)
        v = v << 8 | p[(*i)++];
    return v;
}

enum { L_HEAD, L_BODY };

static void ldap_begin(stls *t)
{
    static const char oid[] = "1.3.6.1.4.1.1466.20037";
    uint8_t req[64];
    size_t o = 0, ol = sizeof oid - 1;
    req[o++] = 0x30;                      /* LDAPMessage */
    req[o++] = (uint8_t)(3 + 2 + 2 + ol);
    req[o++] = 0x02; req[o++] = 0x01; req[o++] = 0x01;   /* messageID 1 */
    req[o++] = 0x77;                      /* [APPLICATION 23] ExtendedRequest */
    req[o++] = (uint8_t)(2 + ol);
    req[o++] = 0x80;                      /* [0] requestName */
    req[o++] = (uint8_t)ol;
    memcpy(req + o, oid, ol);
    o += ol;
    stls_send(t, req, o);
    t->state = L_HEAD;
    stls_read_bytes(t, 2);
}

static void ldap_reply(stls *t, const uint8_t *p, size_t n)
{
    if (t->state == L_HEAD) {
        if (p[0] != 0x30) {
            stls_refuse(t, "not an LDAP message (tag 0x%02x)", p[0]);
            return;
        }
        if (p[1] == 0) {
            stls_refuse(t, "an empty LDAP message");
            return;
        }
        if (p[1] < 0x80) {
            t->state = L_BODY;
            stls_read_bytes(t, p[1]);
            return;
        }
        /* a long form length: read its bytes first (the only other case) */
        size_t k = p[1] & 0x7f;
        if (k == 0 || k > 3) {
            stls_refuse(t, "an LDAP message length this client does not take");
            return;
        }
        t->seq = (uint32_t)k;
        t->state = L_BODY + 1;
        stls_read_bytes(t, k);
        return;
    }
    if (t->state == L_BODY + 1) {
        size_t len = 0;
        for (size_t i = 0; i < n; i++)
            len = len << 8 | p[i];
        if (!len || len > 65536) {
            stls_refuse(t, "an LDAP message of %zu bytes", len);
            return;
        }
        t->state = L_BODY;
        stls_read_bytes(t, len);
        return;
    }
    /* messageID, then [APPLICATION 24] ExtendedResponse { resultCode
     * ENUMERATED, matchedDN, diagnosticMessage, ... } */
    size_t i = 0;
    if (i + 2 > n || p[i++] != 0x02) {
        stls_refuse(t, "malformed LDAP response");
        return;
    }
    long l = ber_len(p, n, &i);
    if (l < 0 || i + (size_t)l > n) {
        stls_refuse(t, "malformed LDAP response");
        return;
    }
    i += (size_t)l;
    if (i >= n || p[i++] != 0x78 || ber_len(p, n, &i) < 0 || i + 3 > n || p[i] != 0x0a) {
        stls_refuse(t, "not an ExtendedResponse to StartTLS");
        return;
    }
    i++;
    long rl = ber_len(p, n, &i);
    if (rl < 1 || rl > 4 || i + (size_t)rl > n) {
        stls_refuse(t, "malformed LDAP resultCode");
        return;
    }
    long code = 0;
    for (long k = 0; k < rl; k++)
        code = code << 8 | p[i++];
    if (code == 0) {
        stls_ok(t);
        return;
    }
    /* matchedDN, then diagnosticMessage: the server's words */
    char diag[200] = "";
    if (i < n && p[i] == 0x04) {
        i++;
        long ml = ber_len(p, n, &i);
        if (ml >= 0 && i + (size_t)ml <= n) {
            i += (size_t)ml;
            if (i < n && p[i] == 0x04) {
                i++;
                long dl = ber_len(p, n, &i);
                if (dl > 0 && i + (size_t)dl <= n)
                    snprintf(diag, sizeof diag, ": %s", SHOW(p + i, (size_t)dl));
            }
        }
    }
    stls_refuse(t, "StartTLS refused with LDAP resultCode %ld%s", code, diag);
}

/* ------------------------------------------------------------ MySQL */

enum { M_HEAD, M_BODY };
enum { CLIENT_LONG_PASSWORD = 1, CLIENT_PROTOCOL_41 = 0x200, CLIENT_SSL = 0x800,
       CLIENT_SECURE_CONNECTION = 0x8000, CLIENT_PLUGIN_AUTH = 0x80000 };

static void mysql_begin(stls *t)
{
    t->state = M_HEAD;
    stls_read_bytes(t, 4);
}

static void mysql_reply(stls *t, const uint8_t *p, size_t n)
{
    if (t->state == M_HEAD) {
        size_t len = p[0] | p[1] << 8 | (size_t)p[2] << 16;
        t->seq = p[3];
        if (!len || len > 65536) {   /* a handshake is about 100 bytes */
            stls_refuse(t, "a MySQL packet of %zu bytes for a handshake: %s", len, SHOW(p, n));
            return;
        }
        t->state = M_BODY;
        stls_read_bytes(t, len);
        return;
    }
    if (p[0] == 0xff) {           /* an ERR packet: code, then "#" state, text */
        size_t at = n > 9 && p[3] == '#' ? 9 : 3;
        stls_refuse(t, "the server refused the connection: %s", SHOW(p + at, n > at ? n - at : 0));
        return;
    }
    if (p[0] != 10) {
        stls_refuse(t, "not a MySQL Handshake v10 (protocol %u)", p[0]);
        return;
    }
    /* version (NUL-terminated), thread id 4, auth data 8, filler 1,
     * capability flags (lower 2) */
    const uint8_t *nul = memchr(p + 1, 0, n - 1);
    size_t i = nul ? (size_t)(nul - p) + 1 + 4 + 8 + 1 : n;
    if (i + 2 > n) {
        stls_refuse(t, "a MySQL handshake cut short");
        return;
    }
    unsigned caps = p[i] | p[i + 1] << 8;
    if (!(caps & CLIENT_SSL)) {
        stls_refuse(t, "the server does not offer SSL (no CLIENT_SSL in its handshake, version %s)",
                    SHOW(p + 1, (size_t)(nul - p) - 1));
        return;
    }
    uint8_t req[36] = { 32, 0, 0, (uint8_t)(t->seq + 1) };
    uint32_t flags = CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SSL |
                     CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH;
    for (int k = 0; k < 4; k++)
        req[4 + k] = (uint8_t)(flags >> (8 * k));
    req[8 + 2] = 0;               /* max packet: 16 MiB */
    req[8 + 3] = 1;
    req[12] = 45;                 /* utf8mb4_general_ci */
    stls_send(t, req, sizeof req);
    stls_ok(t);
}

/* ------------------------------------------------------------ telnet */

enum { TELNET_MAX_COMMANDS = 64 };

/* One telnet command per read, with the text before it (ignored: a banner
 * or a prompt): text is any byte but IAC, or IAC IAC (a data 255); then IAC
 * and a two-byte command, an option command (WILL/WONT/DO/DONT opt), or a
 * subnegotiation up to IAC SE.  A read per command (not per byte: each
 * read makes a codec that lives until the end of the run), at most
 * TELNET_MAX_COMMANDS of them, and text bounded by the read's maximum
 * frame: a server that never offers START_TLS cannot make us grow. */

/* The server asks DO START_TLS (among other options, refused here), then
 * after our WILL sends SB START_TLS FOLLOWS; ours in return starts TLS. */
static void telnet_begin(stls *t)
{
    stls_read_until(t, TELNET_RE);
}

static void telnet_reply(stls *t, const uint8_t *p, size_t n)
{
    size_t i = stls_telnet_command(p, n);
    const uint8_t *c = p + i;     /* the command: IAC first */
    size_t cn = n - i;
    if (cn < 2 || ++t->seq > TELNET_MAX_COMMANDS) {
        stls_refuse(t, "no START_TLS after %u telnet commands from the server", t->seq - 1);
        return;
    }
    if (cn == 3 && c[1] == DO && c[2] == START_TLS) {
        uint8_t will[3] = { IAC, WILL, START_TLS };
        stls_send(t, will, 3);
    } else if (cn == 3 && c[1] == DONT && c[2] == START_TLS) {
        stls_refuse(t, "the server refused START_TLS (DONT)");
        return;
    } else if (cn == 6 && c[1] == SB && c[2] == START_TLS && c[3] == FOLLOWS) {
        uint8_t follows[6] = { IAC, SB, START_TLS, FOLLOWS, IAC, SE };
        stls_send(t, follows, 6);
        stls_ok(t);
        return;
    } else if (cn > 3 && c[1] == SB && c[2] == START_TLS) {
        stls_refuse(t, "unexpected START_TLS subnegotiation: %s", SHOW(c, cn));
        return;
    } else if (cn == 3 && (c[1] == DO || c[1] == WILL)) {
        /* any other option: we will not, and the server should not */
        uint8_t no[3] = { IAC, c[1] == DO ? WONT : DONT, c[2] };
        stls_send(t, no, 3);
    }
    stls_read_until(t, TELNET_RE);
}

/* ------------------------------------------------------------ the table */

const stls_preset stls_client_presets[] = {
    { "smtp", false, smtp_begin, smtp_reply, smtp_after },
    { "lmtp", false, smtp_begin, lmtp_reply, lmtp_after },
    { "pop3", false, smtp_begin, pop3_reply, NULL },
    { "imap", false, smtp_begin, imap_reply, NULL },
    { "ftp", false, smtp_begin, ftp_reply, NULL },
    { "xmpp", false, xmpp_begin, xmpp_reply, NULL },
    { "xmpp-server", false, xmpps_begin, xmpp_reply, NULL },
    { "nntp", false, smtp_begin, nntp_reply, NULL },
    { "sieve", false, smtp_begin, sieve_reply, NULL },
    { "ldap", false, ldap_begin, ldap_reply, NULL },
    { "postgres", false, pg_begin, pg_reply, NULL },
    { "mysql", false, mysql_begin, mysql_reply, NULL },
    { "irc", false, irc_begin, irc_reply, NULL },
    { "telnet", false, telnet_begin, telnet_reply, NULL },
    { NULL, false, NULL, NULL, NULL },
};
