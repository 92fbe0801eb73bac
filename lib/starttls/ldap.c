/* SPDX-License-Identifier: MIT */
/* LDAP StartTLS (RFC 4511 section 4.14, RFC 4513): client and server.
 * Both read whole LDAPMessages the same way: the header (0x30 and a
 * length byte), a long length's bytes, then the body. */
#include <stdio.h>
#include <string.h>
#include "preset_int.h"

enum { LDAP_HEAD, LDAP_LENGTH, LDAP_BODY };
enum { LDAP_MESSAGE_MAX = 1 << 16 };
enum { LDAP_INTEGER = 0x02, LDAP_OCTET_STRING = 0x04, LDAP_ENUMERATED = 0x0a, LDAP_SEQUENCE = 0x30,
       LDAP_UNBIND_REQUEST = 0x42, LDAP_ABANDON_REQUEST = 0x50, LDAP_EXTENDED_REQUEST = 0x77,
       LDAP_EXTENDED_RESPONSE = 0x78, LDAP_REQUEST_NAME = 0x80, LDAP_RESPONSE_NAME = 0x8a };

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

static void ldap_read_message(stls *t)
{
    t->state = LDAP_HEAD;
    aeh__stls_read_bytes(t, 2);
}

/* One read of a message: true when p[0, n) is its body (the messageID
 * on); otherwise the next read is asked for, or the run refused. */
static bool ldap_message_body(stls *t, const uint8_t *p, size_t n)
{
    if (t->state == LDAP_HEAD) {
        if (p[0] != LDAP_SEQUENCE) {
            aeh__stls_refuse(t, "not an LDAP message (tag 0x%02x)", p[0]);
            return false;
        }
        if (p[1] == 0) {
            aeh__stls_refuse(t, "an empty LDAP message");
            return false;
        }
        size_t k = p[1] & 0x7f;
        if (p[1] >= 0x80 && (k == 0 || k > 4)) {
            aeh__stls_refuse(t, "an LDAP message length this %s does not take (0x%02x)",
                             t->preset->server ? "server" : "client", p[1]);
            return false;
        }
        t->state = p[1] < 0x80 ? LDAP_BODY : LDAP_LENGTH;
        aeh__stls_read_bytes(t, p[1] < 0x80 ? p[1] : k);
        return false;
    }
    if (t->state == LDAP_LENGTH) {
        size_t len = 0;
        for (size_t k = 0; k < n; k++)
            len = len << 8 | p[k];
        if (!len || len > LDAP_MESSAGE_MAX) {
            aeh__stls_refuse(t, "an LDAP message of %zu bytes%s", len, t->preset->server ? " before StartTLS" : "");
            return false;
        }
        t->state = LDAP_BODY;
        aeh__stls_read_bytes(t, len);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------ client */

static void ldap_client_begin(stls *t)
{
    uint8_t req[64];
    size_t o = 0, ol = sizeof ldap_starttls_oid - 1;
    req[o++] = LDAP_SEQUENCE;                           /* LDAPMessage */
    req[o++] = (uint8_t)(3 + 2 + 2 + ol);
    req[o++] = LDAP_INTEGER; req[o++] = 0x01; req[o++] = 0x01;   /* messageID 1 */
    req[o++] = LDAP_EXTENDED_REQUEST;
    req[o++] = (uint8_t)(2 + ol);
    req[o++] = LDAP_REQUEST_NAME;
    req[o++] = (uint8_t)ol;
    o = aeh__stls_put(req, o, ldap_starttls_oid, ol);
    aeh__stls_send(t, req, o);
    ldap_read_message(t);
}

/* messageID, then ExtendedResponse { resultCode ENUMERATED, matchedDN,
 * diagnosticMessage, ... } */
static void ldap_client_reply(stls *t, const uint8_t *p, size_t n)
{
    if (!ldap_message_body(t, p, n))
        return;
    size_t i = 0;
    if (i + 2 > n || p[i++] != LDAP_INTEGER) {
        aeh__stls_refuse(t, "malformed LDAP response");
        return;
    }
    long l = ber_len(p, n, &i);
    if (l < 0 || i + (size_t)l > n) {
        aeh__stls_refuse(t, "malformed LDAP response");
        return;
    }
    i += (size_t)l;
    if (i >= n || p[i++] != LDAP_EXTENDED_RESPONSE || ber_len(p, n, &i) < 0 || i + 3 > n ||
        p[i] != LDAP_ENUMERATED) {
        aeh__stls_refuse(t, "not an ExtendedResponse to StartTLS");
        return;
    }
    i++;
    long rl = ber_len(p, n, &i);
    if (rl < 1 || rl > 4 || i + (size_t)rl > n) {
        aeh__stls_refuse(t, "malformed LDAP resultCode");
        return;
    }
    long code = 0;
    for (long k = 0; k < rl; k++)
        code = code << 8 | p[i++];
    if (code == 0) {
        aeh__stls_ok(t);
        return;
    }
    /* matchedDN, then diagnosticMessage: the server's words */
    char diag[200] = "";
    if (i < n && p[i] == LDAP_OCTET_STRING) {
        i++;
        long ml = ber_len(p, n, &i);
        if (ml >= 0 && i + (size_t)ml <= n) {
            i += (size_t)ml;
            if (i < n && p[i] == LDAP_OCTET_STRING) {
                i++;
                long dl = ber_len(p, n, &i);
                if (dl > 0 && i + (size_t)dl <= n)
                    snprintf(diag, sizeof diag, ": %s", SHOW(p + i, (size_t)dl));
            }
        }
    }
    aeh__stls_refuse(t, "StartTLS refused with LDAP resultCode %ld%s", code, diag);
}

/* ------------------------------------------------------------ server */

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
    m[o++] = LDAP_SEQUENCE, m[o++] = (uint8_t)(2 + idn + 2 + body);
    m[o++] = LDAP_INTEGER, m[o++] = (uint8_t)idn;     /* messageID */
    o = aeh__stls_put(m, o, id, idn);
    m[o++] = op, m[o++] = (uint8_t)body;
    m[o++] = LDAP_ENUMERATED, m[o++] = 1, m[o++] = code;   /* resultCode */
    m[o++] = LDAP_OCTET_STRING, m[o++] = 0;                /* matchedDN "" */
    m[o++] = LDAP_OCTET_STRING, m[o++] = (uint8_t)dl;      /* diagnosticMessage */
    o = aeh__stls_put(m, o, diag, dl);
    if (with_oid) {
        m[o++] = LDAP_RESPONSE_NAME, m[o++] = (uint8_t)ol;
        o = aeh__stls_put(m, o, ldap_starttls_oid, ol);
    }
    aeh__stls_send(t, m, o);
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

static void ldap_server_reply(stls *t, const uint8_t *p, size_t n)
{
    if (!ldap_message_body(t, p, n))
        return;
    /* messageID INTEGER (1 to 4 bytes), then the operation */
    if (n < 5 || p[0] != LDAP_INTEGER || p[1] < 1 || p[1] > 4 || (size_t)p[1] + 3 > n) {
        aeh__stls_refuse(t, "malformed LDAP message: %s", SHOW(p, n));
        return;
    }
    const uint8_t *id = p + 2;
    size_t idn = p[1], i = 2 + idn;
    uint8_t op = p[i++];
    long l = ber_len(p, n, &i);
    if (l < 0 || i + (size_t)l > n) {
        aeh__stls_refuse(t, "malformed LDAP message: %s", SHOW(p, n));
        return;
    }
    if (op == LDAP_EXTENDED_REQUEST) {   /* { [0] requestName, ... } */
        const uint8_t *q = p + i;
        size_t j = 1, ol = sizeof ldap_starttls_oid - 1;
        if (l >= 2 && q[0] == LDAP_REQUEST_NAME && ber_len(q, (size_t)l, &j) == (long)ol &&
            j + ol <= (size_t)l && !memcmp(q + j, ldap_starttls_oid, ol)) {
            ldap_result(t, id, idn, LDAP_EXTENDED_RESPONSE, 0, "", true);
            aeh__stls_ok(t);
            return;
        }
    }
    if (op == LDAP_UNBIND_REQUEST) {   /* no response, the client is gone */
        if (t->u.ldap.last_op)
            aeh__stls_refuse(t, "the client quit before STARTTLS: an LDAP unbind, after operation tag 0x%02x",
                             t->u.ldap.last_op);
        else
            aeh__stls_refuse(t, "the client quit before STARTTLS: an LDAP unbind");
        return;
    }
    if (aeh__stls_over_bound(t, NULL))
        return;
    t->u.ldap.last_op = op;
    if (op == LDAP_EXTENDED_REQUEST)     /* an unknown extended operation: RFC 4511 4.12 */
        ldap_result(t, id, idn, LDAP_EXTENDED_RESPONSE, 2, "unsupported extended operation", false);
    else if (ldap_response_tag(op))      /* 13: confidentialityRequired */
        ldap_result(t, id, idn, ldap_response_tag(op), 13, "StartTLS is required", false);
    else if (op != LDAP_ABANDON_REQUEST) {   /* which has no response */
        aeh__stls_refuse(t, "the client sent LDAP operation tag 0x%02x before StartTLS", op);
        return;
    }
    ldap_read_message(t);
}

const stls_preset aeh__stls_ldap[2] = {
    { "ldap", false, ldap_client_begin, ldap_client_reply, NULL },
    { "ldap", true, ldap_read_message, ldap_server_reply, NULL },
};
