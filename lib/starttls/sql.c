/* SPDX-License-Identifier: MIT */
/* Databases: PostgreSQL's SSLRequest (frontend/backend protocol 3) and
 * MySQL's SSLRequest (Handshake v10, CLIENT_SSL): client and server. */
#include <stdio.h>
#include <string.h>
#include "preset_int.h"

/* ------------------------------------------------------------ PostgreSQL */

enum { PG_SSL_REQUEST = 80877103, PG_GSSENC_REQUEST = 80877104, PG_CANCEL_REQUEST = 80877102 };

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void pg_client_begin(stls *t)
{
    static const uint8_t ssl_request[8] = { 0, 0, 0, 8, PG_SSL_REQUEST >> 24 & 0xff,
        PG_SSL_REQUEST >> 16 & 0xff, PG_SSL_REQUEST >> 8 & 0xff, PG_SSL_REQUEST & 0xff };
    aeh__stls_send(t, ssl_request, sizeof ssl_request);
    aeh__stls_read_bytes(t, 1);
}

static void pg_client_reply(stls *t, const uint8_t *p, size_t n)
{
    (void)n;
    if (p[0] == 'S')
        aeh__stls_ok(t);
    else if (p[0] == 'N')
        aeh__stls_refuse(t, "the server does not do SSL (it answered N)");
    else
        aeh__stls_refuse(t, "unexpected answer to SSLRequest: byte 0x%02x", p[0]);
}

static void pg_server_begin(stls *t)
{
    aeh__stls_read_bytes(t, 8);
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
    aeh__stls_send(t, e, o);
}

/* "S" to an SSLRequest, and TLS follows.  libpq may ask GSSENCRequest
 * first (when it has Kerberos credentials): "N", and it goes on with
 * SSLRequest. */
static void pg_server_reply(stls *t, const uint8_t *p, size_t n)
{
    (void)n;
    uint32_t len = be32(p), code = be32(p + 4);
    if (len == 8 && code == PG_SSL_REQUEST) {
        aeh__stls_send(t, "S", 1);
        aeh__stls_ok(t);
        return;
    }
    if (len == 8 && code == PG_GSSENC_REQUEST) {
        if (aeh__stls_over_bound(t, NULL))
            return;
        aeh__stls_send(t, "N", 1);
        aeh__stls_read_bytes(t, 8);
        return;
    }
    if (len == 16 && code == PG_CANCEL_REQUEST) {
        aeh__stls_refuse(t, "the client did not ask for SSL (a CancelRequest)");
        return;
    }
    if (code >> 16 == 3) {        /* a StartupMessage, protocol 3.x */
        pg_error(t, "the server accepts only SSL connections");
        aeh__stls_refuse(t, "the client did not ask for SSL (a StartupMessage for protocol 3.%u)",
                         code & 0xffff);
        return;
    }
    aeh__stls_refuse(t, "the client did not ask for SSL: %s", SHOW(p, 8));
}

const stls_preset aeh__stls_postgres[2] = {
    { "postgres", false, pg_client_begin, pg_client_reply, NULL },
    { "postgres", true, pg_server_begin, pg_server_reply, NULL },
};

/* ------------------------------------------------------------ MySQL */

/* Both roles read packets: the header (length 3, sequence id 1), then
 * the payload. */
enum { MYSQL_HEAD, MYSQL_PAYLOAD };
enum { CLIENT_LONG_PASSWORD = 1, CLIENT_PROTOCOL_41 = 0x200, CLIENT_SSL = 0x800,
       CLIENT_TRANSACTIONS = 0x2000, CLIENT_SECURE_CONNECTION = 0x8000,
       CLIENT_PLUGIN_AUTH = 0x80000 };
/* A handshake is about 100 bytes, an SSLRequest 32. */
enum { MYSQL_PACKET_MAX = 1 << 16 };

static void mysql_read_packet(stls *t)
{
    t->state = MYSQL_HEAD;
    aeh__stls_read_bytes(t, 4);
}

/* One read of a packet: true when p[0, n) is its payload; otherwise the
 * payload is asked for, or the run refused. */
static bool mysql_payload(stls *t, const uint8_t *p, size_t n)
{
    if (t->state == MYSQL_PAYLOAD)
        return true;
    size_t len = p[0] | p[1] << 8 | (size_t)p[2] << 16;
    t->u.mysql.seq = p[3];
    if (len < (t->preset->server ? 2u : 1u) || len > MYSQL_PACKET_MAX) {
        if (t->preset->server)
            aeh__stls_refuse(t, "the client sent a MySQL packet of %zu bytes", len);
        else
            aeh__stls_refuse(t, "a MySQL packet of %zu bytes for a handshake: %s", len, SHOW(p, n));
        return false;
    }
    t->state = MYSQL_PAYLOAD;
    aeh__stls_read_bytes(t, len);
    return false;
}

static void mysql_client_reply(stls *t, const uint8_t *p, size_t n)
{
    if (!mysql_payload(t, p, n))
        return;
    if (p[0] == 0xff) {           /* an ERR packet: code, then "#" state, text */
        size_t at = n > 9 && p[3] == '#' ? 9 : 3;
        aeh__stls_refuse(t, "the server refused the connection: %s", SHOW(p + at, n > at ? n - at : 0));
        return;
    }
    if (p[0] != 10) {
        aeh__stls_refuse(t, "not a MySQL Handshake v10 (protocol %u)", p[0]);
        return;
    }
    /* version (NUL-terminated), thread id 4, auth data 8, filler 1,
     * capability flags (lower 2) */
    const uint8_t *nul = memchr(p + 1, 0, n - 1);
    size_t i = nul ? (size_t)(nul - p) + 1 + 4 + 8 + 1 : n;
    if (i + 2 > n) {
        aeh__stls_refuse(t, "a MySQL handshake cut short");
        return;
    }
    unsigned caps = p[i] | p[i + 1] << 8;
    if (!(caps & CLIENT_SSL)) {
        aeh__stls_refuse(t, "the server does not offer SSL (no CLIENT_SSL in its handshake, version %s)",
                         SHOW(p + 1, (size_t)(nul - p) - 1));
        return;
    }
    uint8_t req[36] = { 32, 0, 0, (uint8_t)(t->u.mysql.seq + 1) };
    uint32_t flags = CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SSL |
                     CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH;
    for (int k = 0; k < 4; k++)
        req[4 + k] = (uint8_t)(flags >> (8 * k));
    req[8 + 2] = 0;               /* max packet: 16 MiB */
    req[8 + 3] = 1;
    req[12] = 45;                 /* utf8mb4_general_ci */
    aeh__stls_send(t, req, sizeof req);
    aeh__stls_ok(t);
}

/* Handshake v10, sequence 0, in one write (openssl s_client reads it with
 * one read and checks its length). */
static void mysql_server_begin(stls *t)
{
    static const char version[] = "5.7.0-aecat", plugin[] = "mysql_native_password";
    uint32_t caps = CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SSL | CLIENT_TRANSACTIONS |
                    CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH;
    uint8_t scramble[20];
    for (size_t k = 0; k < sizeof scramble; k++)   /* printable, never NUL */
        scramble[k] = (uint8_t)(0x21 + aeh__stls_pseudo_random(t) % 94);
    uint32_t thread = aeh__stls_pseudo_random(t) & 0xffff;
    uint8_t pk[128];
    size_t o = 4;
    pk[o++] = 10;                                   /* protocol version */
    o = aeh__stls_put(pk, o, version, sizeof version);   /* with its NUL */
    for (int k = 0; k < 4; k++)
        pk[o++] = (uint8_t)(thread >> (8 * k));
    o = aeh__stls_put(pk, o, scramble, 8);               /* auth-plugin-data part 1 */
    pk[o++] = 0;                                    /* filler */
    pk[o++] = (uint8_t)caps, pk[o++] = (uint8_t)(caps >> 8);
    pk[o++] = 45;                                   /* utf8mb4_general_ci */
    pk[o++] = 2, pk[o++] = 0;                       /* SERVER_STATUS_AUTOCOMMIT */
    pk[o++] = (uint8_t)(caps >> 16), pk[o++] = (uint8_t)(caps >> 24);
    pk[o++] = 21;                                   /* auth-plugin-data length */
    o = aeh__stls_put(pk, o, (const uint8_t[10]){ 0 }, 10);   /* reserved */
    o = aeh__stls_put(pk, o, scramble + 8, 12);          /* part 2, NUL-terminated */
    pk[o++] = 0;
    o = aeh__stls_put(pk, o, plugin, sizeof plugin);
    size_t len = o - 4;
    pk[0] = (uint8_t)len, pk[1] = (uint8_t)(len >> 8), pk[2] = (uint8_t)(len >> 16), pk[3] = 0;
    aeh__stls_send(t, pk, o);
    mysql_read_packet(t);
}

/* The client's answer: an SSLRequest (its capability flags with CLIENT_SSL,
 * 32 bytes) means TLS follows; a full HandshakeResponse does not. */
static void mysql_server_reply(stls *t, const uint8_t *p, size_t n)
{
    if (!mysql_payload(t, p, n))
        return;
    if ((p[0] | p[1] << 8) & CLIENT_SSL) {
        aeh__stls_ok(t);
        return;
    }
    /* ERR_Packet, as a server with require_secure_transport answers:
     * 3159 ER_SECURE_TRANSPORT_REQUIRED, SQLSTATE HY000 */
    static const char msg[] = "Connections using insecure transport are prohibited";
    uint8_t e[80] = { 0, 0, 0, (uint8_t)(t->u.mysql.seq + 1), 0xff, 3159 & 0xff, 3159 >> 8 };
    size_t o = aeh__stls_put(e, aeh__stls_put(e, 7, "#HY000", 6), msg, sizeof msg - 1);
    e[0] = (uint8_t)(o - 4);
    aeh__stls_send(t, e, o);
    aeh__stls_refuse(t, "the client did not ask for SSL");
}

const stls_preset aeh__stls_mysql[2] = {
    { "mysql", false, mysql_read_packet, mysql_client_reply, NULL },
    { "mysql", true, mysql_server_begin, mysql_server_reply, NULL },
};
