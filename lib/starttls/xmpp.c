/* SPDX-License-Identifier: MIT */
/* XMPP (RFC 6120 section 5), client-to-server and server-to-server:
 * client and server. */
#include <stdio.h>
#include <string.h>
#include "preset_int.h"

enum { XMPP_FEATURES, XMPP_STARTTLS };

/* Our stream header, `to` our name (client) or with an id and `from` our
 * name (server), and what follows it, in one write: openssl looks for
 * <starttls in a single read of the server's. */
static void xmpp_send_header(stls *t, const char *ns, const char *then)
{
    char name[sizeof t->name * 5];   /* every byte may become &#NN; */
    char id[32] = "";
    if (t->preset->server) {
        uint32_t a = aeh__stls_pseudo_random(t), b = aeh__stls_pseudo_random(t);
        snprintf(id, sizeof id, "id='%08x%08x' ", a, b);
    }
    aeh__stls_sendf(t, "<?xml version='1.0'?><stream:stream xmlns='%s' "
                  "xmlns:stream='http://etherx.jabber.org/streams' %s%s='%s' version='1.0'>%s",
               ns, id, t->preset->server ? "from" : "to",
               aeh__stls_escape(t->name, "'\"<>&", true, name, sizeof name), then);
}

/* ------------------------------------------------------------ client */

static void xmpp_client_begin(stls *t)
{
    xmpp_send_header(t, t->preset == &aeh__stls_xmpp_server[false] ? "jabber:server" : "jabber:client", "");
    t->state = XMPP_FEATURES;
    /* a stream error is read to its end: its condition and text are the
     * server's words */
    aeh__stls_read_until(t, "</stream:features>|<stream:features[^>]*/>|</stream:error>|</stream:stream>");
}

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
        aeh__stls_refuse(t, "stream error %.*s%s", (int)(m < 60 ? m : 60), (const char *)cond, what);
    else
        aeh__stls_refuse(t, "stream error: %s", SHOW(e, (size_t)(p + n - e)));
    return true;
}

static void xmpp_client_reply(stls *t, const uint8_t *p, size_t n)
{
    if (xmpp_stream_error(t, p, n))
        return;
    if (t->state == XMPP_FEATURES) {
        /* the features, with either quote style, after an optional XML
         * declaration and the stream header */
        const char *s = memmem(p, n, "<starttls", 9);
        if (!s || (!memmem(p, n, "'urn:ietf:params:xml:ns:xmpp-tls'", 33) &&
                   !memmem(p, n, "\"urn:ietf:params:xml:ns:xmpp-tls\"", 33))) {
            aeh__stls_refuse(t, "STARTTLS not among the stream features: %s",
                             SHOW(p + (n > 120 ? n - 120 : 0), n > 120 ? 120 : n));
            return;
        }
        aeh__stls_sendf(t, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        t->state = XMPP_STARTTLS;
        aeh__stls_read_until(t, "<proceed[^>]*>|<failure[^>]*>|</stream:error>|</stream:stream>");
        return;
    }
    if (memmem(p, n, "<proceed", 8)) {
        aeh__stls_ok(t);
        return;
    }
    aeh__stls_refuse(t, "STARTTLS refused: %s", SHOW(p, n));
}

/* ------------------------------------------------------------ server */

/* The initiating entity's stream header, after an optional XML declaration. */
#define XMPP_HEADER_RE "<stream:stream[^>]*>"
/* Then the next top-level element: <starttls/> (or with content), the
 * stream's end, or anything else (a stanza, SASL): the first one decides. */
#define XMPP_NEXT_RE "(?s)<starttls[^>]*/>|<starttls[^>]*>.*?</starttls>|</stream:stream>" \
                     "|<(?!starttls|\\?)[^>]*>"

/* The server's states: the client's header, then its next element. */
enum { XMPP_HEADER, XMPP_NEXT };

static void xmpp_server_begin(stls *t)
{
    t->u.xmpp.jabber_server = t->preset == &aeh__stls_xmpp_server[true];
    t->state = XMPP_HEADER;
    aeh__stls_read_until(t, XMPP_HEADER_RE);
}

/* xmlns='ns' or xmlns="ns", exactly: not xmlns:db='jabber:server:dialback'. */
static bool xmpp_has_ns(const uint8_t *p, size_t n, const char *ns)
{
    char a[64], b[64];
    snprintf(a, sizeof a, "xmlns='%s'", ns);
    snprintf(b, sizeof b, "xmlns=\"%s\"", ns);
    return memmem(p, n, a, strlen(a)) || memmem(p, n, b, strlen(b));
}

/* Our stream header and features, TLS required. */
static void xmpp_server_reply(stls *t, const uint8_t *p, size_t n)
{
    if (t->state == XMPP_HEADER) {
        /* answer in the namespace the client used (c2s or s2s) */
        if (xmpp_has_ns(p, n, "jabber:server"))
            t->u.xmpp.jabber_server = true;
        else if (xmpp_has_ns(p, n, "jabber:client"))
            t->u.xmpp.jabber_server = false;
        xmpp_send_header(t, t->u.xmpp.jabber_server ? "jabber:server" : "jabber:client",
                         "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
                         "<required/></starttls></stream:features>");
        t->state = XMPP_NEXT;
        aeh__stls_read_until(t, XMPP_NEXT_RE);
        return;
    }
    if (memmem(p, n, "<starttls", 9)) {
        aeh__stls_sendf(t, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        aeh__stls_ok(t);
        return;
    }
    /* the element alone, without the whitespace before it */
    const uint8_t *lt = memchr(p, '<', n);
    size_t at = lt ? (size_t)(lt - p) : 0;
    if (memmem(p, n, "</stream:stream>", 16)) {
        aeh__stls_quit(t, "</stream:stream>", p + at, n - at);
        return;
    }
    /* TLS is mandatory-to-negotiate: anything else ends the stream */
    aeh__stls_sendf(t, "<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                  "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>STARTTLS is required</text>"
                  "</stream:error></stream:stream>");
    aeh__stls_refuse(t, "the client sent %s before STARTTLS", SHOW(p + at, n - at));
}

const stls_preset aeh__stls_xmpp[2] = {
    { "xmpp", false, xmpp_client_begin, xmpp_client_reply, NULL },
    { "xmpp", true, xmpp_server_begin, xmpp_server_reply, NULL },
};
const stls_preset aeh__stls_xmpp_server[2] = {
    { "xmpp-server", false, xmpp_client_begin, xmpp_client_reply, NULL },
    { "xmpp-server", true, xmpp_server_begin, xmpp_server_reply, NULL },
};
