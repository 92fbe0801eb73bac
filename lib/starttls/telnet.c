/* SPDX-License-Identifier: MIT */
/* Telnet (RFC 854) and its START_TLS option (draft-altman-telnet-starttls):
 * client and server.  The server asks DO START_TLS, the client answers
 * WILL, the server sends SB START_TLS FOLLOWS, and the client's own
 * FOLLOWS in return means TLS starts. */
#include "preset_int.h"

enum { IAC = 255, DONT = 254, DO = 253, WONT = 252, WILL = 251, SB = 250, SE = 240,
       START_TLS = 46, FOLLOWS = 1 };

/* A server that never offers START_TLS cannot keep the client forever. */
enum { TELNET_CLIENT_MAX_COMMANDS = 64 };

/* One telnet command per read, with the text before it (ignored: a banner
 * or a prompt): text is any byte but IAC, or IAC IAC (a data 255); then IAC
 * and a two-byte command, an option command (WILL, WONT, DO, DONT and the
 * option), or a subnegotiation up to IAC SE.  A read per command (not per
 * byte: each read makes a codec that lives until the end of the run), as
 * many as the commands that the bounds allow, and text bounded by the
 * read's maximum frame. */
#define TELNET_RE "\\A(?:[^\\xff]|\\xff\\xff)*+\\xff(?:[^\\xfa-\\xff]|[\\xfb-\\xfe][\\x00-\\xff]" \
                  "|\\xfa(?:[^\\xff]|\\xff[^\\xf0])*+\\xff\\xf0)"

static void telnet_read_command(stls *t)
{
    aeh__stls_read_until(t, TELNET_RE);
}

/* Where the command starts in a read of TELNET_RE (after the text, whose
 * IAC IAC pairs are data). */
static size_t telnet_command(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && !(p[i] == IAC && (i + 1 == n || p[i + 1] != IAC)))
        i += p[i] == IAC ? 2 : 1;
    return i;
}

static bool is_option(const uint8_t *c, size_t cn, uint8_t verb)
{
    return cn == 3 && c[1] == verb && c[2] == START_TLS;
}

static bool is_follows(const uint8_t *c, size_t cn)
{
    return cn == 6 && c[1] == SB && c[2] == START_TLS && c[3] == FOLLOWS;
}

static void send_follows(stls *t)
{
    static const uint8_t follows[6] = { IAC, SB, START_TLS, FOLLOWS, IAC, SE };
    aeh__stls_send(t, follows, sizeof follows);
}

/* Any other option: we will not, and the peer should not.  This cannot
 * loop: a refusal is never answered. */
static void refuse_option(stls *t, const uint8_t *c, size_t cn)
{
    if (cn == 3 && (c[1] == DO || c[1] == WILL)) {
        uint8_t no[3] = { IAC, c[1] == DO ? WONT : DONT, c[2] };
        aeh__stls_send(t, no, sizeof no);
    }
}

/* ------------------------------------------------------------ client */

static void telnet_client_reply(stls *t, const uint8_t *p, size_t n)
{
    size_t i = telnet_command(p, n);
    const uint8_t *c = p + i;     /* the command: IAC first */
    size_t cn = n - i;
    if (cn < 2 || ++t->commands > TELNET_CLIENT_MAX_COMMANDS) {
        aeh__stls_refuse(t, "no START_TLS after %u telnet commands from the server", t->commands - 1);
        return;
    }
    if (is_option(c, cn, DO)) {
        static const uint8_t will[3] = { IAC, WILL, START_TLS };
        aeh__stls_send(t, will, sizeof will);
    } else if (is_option(c, cn, DONT)) {
        aeh__stls_refuse(t, "the server refused START_TLS (DONT)");
        return;
    } else if (is_follows(c, cn)) {
        send_follows(t);
        aeh__stls_ok(t);
        return;
    } else if (cn > 3 && c[1] == SB && c[2] == START_TLS) {
        aeh__stls_refuse(t, "unexpected START_TLS subnegotiation: %s", SHOW(c, cn));
        return;
    } else {
        refuse_option(t, c, cn);
    }
    telnet_read_command(t);
}

/* ------------------------------------------------------------ server */

static void telnet_server_begin(stls *t)
{
    static const uint8_t do_tls[3] = { IAC, DO, START_TLS };
    aeh__stls_send(t, do_tls, sizeof do_tls);
    telnet_read_command(t);
}

static void telnet_server_follows(stls *t)
{
    if (!t->u.telnet.follows_sent)
        send_follows(t);
    t->u.telnet.follows_sent = true;
}

static void telnet_server_reply(stls *t, const uint8_t *p, size_t n)
{
    size_t i = telnet_command(p, n);
    const uint8_t *c = p + i;     /* the command: IAC first */
    size_t cn = n - i;
    if (cn < 2) {                 /* cannot happen with TELNET_RE; but never read past p */
        telnet_read_command(t);
        return;
    }
    if (is_follows(c, cn)) {
        telnet_server_follows(t);   /* even if the client skipped WILL */
        aeh__stls_ok(t);
        return;
    }
    if (is_option(c, cn, WONT)) {
        aeh__stls_refuse(t, "the client refused START_TLS (WONT)");
        return;
    }
    if (is_option(c, cn, WILL)) {
        telnet_server_follows(t);
    } else {
        if (aeh__stls_over_bound(t, NULL))
            return;
        refuse_option(t, c, cn);
    }
    telnet_read_command(t);
}

const stls_preset aeh__stls_telnet[2] = {
    { "telnet", false, telnet_read_command, telnet_client_reply, NULL },
    { "telnet", true, telnet_server_begin, telnet_server_reply, NULL },
};
