/* SPDX-License-Identifier: MIT */
/* The STARTTLS presets without any real server: each protocol's client
 * preset against its own server preset over a socketpair, both handles
 * reading one byte at a time, up to the point where both agree to start
 * TLS; and each client against a scripted server that refuses (or says
 * something else), and servers against scripted clients that do not
 * upgrade, all fed one byte at a time, ending with the peer's words. */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include "unit.h"
#include "starttls_int.h"

static const char *const protocols[] = {
    "smtp", "lmtp", "pop3", "imap", "ftp", "xmpp", "xmpp-server", "nntp", "sieve", "ldap",
    "postgres", "mysql", "irc", "telnet",
};
enum { NPROTOCOLS = sizeof protocols / sizeof protocols[0] };

/* One side's run and how it ended. */
typedef struct {
    struct ev_loop *loop;
    aeh *h;
    stls *run;
    bool done;
    bool refused;
    aeh_error err;
    int *pending;                 /* runs still going, shared by both sides */
} side;

static void on_done(void *arg, const aeh_error *err)
{
    side *s = arg;
    ck_assert_msg(!s->done, "done called twice");
    s->done = true;
    if (err) {
        s->refused = true;
        s->err = *err;
    }
    if (--*s->pending == 0)
        ev_break(s->loop, EVBREAK_ALL);
}

static aeh *one_byte_handle(struct ev_loop *loop, int fd)
{
    fcntl(fd, F_SETFL, O_NONBLOCK);
    aeh_opts o = { .loop = loop, .fd = fd, .read_size = 1, .max_read_size = 1 };
    aeh *h = aeh_new(&o);
    ck_assert_ptr_nonnull(h);
    return h;
}

static void start(side *s, struct ev_loop *loop, int fd, const char *proto, bool server, int *pending)
{
    memset(s, 0, sizeof *s);
    s->loop = loop;
    s->pending = pending;
    s->h = one_byte_handle(loop, fd);
    const stls_preset *p = aeh__stls_find(proto, server);
    ck_assert_msg(p != NULL, "no %s preset for %s", server ? "server" : "client", proto);
    aeh_error e;
    s->run = aeh__stls_start(s->h, p, "mail.example", on_done, NULL, s, &e);
    ck_assert_msg(s->run != NULL, "%s: %s", proto, e.msg);
}

static void stop(side *s)
{
    aeh__stls_free(s->run);
    aeh_destroy(s->h);
}

/* Each client preset against its own server preset: both sides end with
 * "start TLS now", and nothing either side wrote is left unread. */
START_TEST(client_meets_server)
{
    const char *proto = protocols[_i];
    int sv[2], pending = 2;
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    side client, server;
    start(&client, loop, sv[0], proto, false, &pending);
    start(&server, loop, sv[1], proto, true, &pending);
    unit_run_for(loop, 5);
    ck_assert_msg(client.done && !client.refused, "%s client: %s", proto,
                  client.done ? client.err.msg : "never ended");
    ck_assert_msg(server.done && !server.refused, "%s server: %s", proto,
                  server.done ? server.err.msg : "never ended");
    /* the last write of either side has been read: what follows is TLS */
    ev_run(loop, EVRUN_NOWAIT);
    ck_assert_uint_eq(aeh_rbuf(client.h).n, 0);
    ck_assert_uint_eq(aeh_rbuf(server.h).n, 0);
    stop(&client);
    stop(&server);
    ev_loop_destroy(loop);
}
END_TEST

/* A preset against a scripted peer: the script is written one byte per
 * loop turn (it is read as the preset asks for it), and the run must end
 * refused with `want` in its message. */
typedef struct {
    const char *proto;
    bool server;                  /* the preset under test is the server */
    const char *script;
    size_t len;                   /* 0: strlen(script) */
    const char *want;
} scripted;

#define S(s) s, sizeof s - 1
static const scripted refusals[] = {
    { "smtp", false, "220 mx ESMTP\r\n250-mx\r\n250 8BITMIME\r\n", 0,
      "STARTTLS not offered in the EHLO reply (last line: 250 8BITMIME)" },
    { "lmtp", false, "220 lmtp\r\n250-lmtp\r\n250 STARTTLS\r\n454 4.7.0 TLS not available\r\n", 0,
      "STARTTLS refused: 454 4.7.0 TLS not available" },
    { "pop3", false, "+OK ready\r\n-ERR not now\r\n", 0, "STLS refused: -ERR not now" },
    { "imap", false, "* OK ready\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\na2 NO not today\r\n", 0,
      "STARTTLS refused: a2 NO not today" },
    { "ftp", false, "220-Welcome\r\n more\r\n220 ready\r\n534 Policy\r\n", 0,
      "AUTH TLS refused: 534 Policy" },
    { "xmpp", false, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
      "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'><stream:features>"
      "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>"
      "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", 0, "STARTTLS refused: <failure" },
    { "xmpp-server", false, "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>"
      "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
      "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>no such host</text></stream:error>", 0,
      "stream error host-unknown: no such host" },
    { "nntp", false, "200 news ready\r\n580 Can not initiate TLS negotiation\r\n", 0,
      "STARTTLS refused: 580 Can not initiate TLS negotiation" },
    { "sieve", false, "\"IMPLEMENTATION\" \"x\"\r\n\"SIEVE\" \"fileinto\"\r\nOK \"ready\"\r\n", 0,
      "STARTTLS not among the capabilities (\"IMPLEMENTATION\" \"SIEVE\")" },
    /* ExtendedResponse, resultCode 2 (protocolError), diagnosticMessage "no" */
    { "ldap", false, S("\x30\x0e\x02\x01\x01\x78\x09\x0a\x01\x02\x04\x00\x04\x02no"),
      "StartTLS refused with LDAP resultCode 2: no" },
    { "postgres", false, "N", 0, "the server does not do SSL (it answered N)" },
    /* an ERR packet: 1045, #28000, the text */
    { "mysql", false, S("\x16\x00\x00\x00\xff\x15\x04#28000Access denied"),
      "the server refused the connection: Access denied" },
    { "irc", false, ":irc.example NOTICE * :hello\r\n:irc.example 691 * :STARTTLS failed\r\n", 0,
      "STARTTLS failed on the server (691)" },
    { "telnet", false, S("login: \xff\xfb\x01\xff\xfe\x2e"), "the server refused START_TLS (DONT)" },
    /* servers: clients that leave, or never ask */
    { "smtp", true, "EHLO me\r\nMAIL FROM:<a@b>\r\nQUIT\r\n", 0,
      "the client quit before STARTTLS: QUIT" },
    { "imap", true, "x CAPABILITY\r\nx LOGOUT\r\n", 0, "the client quit before STARTTLS: x LOGOUT" },
    { "xmpp", true, "<stream:stream xmlns='jabber:client' to='x'><message/>", 0,
      "the client sent <message/> before STARTTLS" },
    { "ldap", true, S("\x30\x05\x02\x01\x01\x42\x00"), "the client quit before STARTTLS: an LDAP unbind" },
    { "postgres", true, S("\x00\x00\x00\x08\x04\xd2\x16\x30\x00\x00\x00\x09\x00\x03\x00\x00u"),
      "the client did not ask for SSL (a StartupMessage for protocol 3.0)" },
    { "mysql", true, S("\x02\x00\x00\x01\x00\x00"), "the client did not ask for SSL" },
    { "telnet", true, S("\xff\xfd\x01\xff\xfc\x2e"), "the client refused START_TLS (WONT)" },
};
enum { NREFUSALS = sizeof refusals / sizeof refusals[0] };

START_TEST(refused_by_peer)
{
    const scripted *c = &refusals[_i];
    size_t len = c->len ? c->len : strlen(c->script);
    int sv[2], pending = 1;
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    side s;
    start(&s, loop, sv[0], c->proto, c->server, &pending);
    for (size_t i = 0; i < len && !s.done; i++) {
        ck_assert_int_eq(write(sv[1], c->script + i, 1), 1);
        for (int turn = 0; turn < 4; turn++)
            ev_run(loop, EVRUN_NOWAIT);
    }
    if (!s.done)
        unit_run_for(loop, 2);
    ck_assert_msg(s.done && s.refused, "%s %s (case %d): %s", c->proto, c->server ? "server" : "client",
                  _i, s.done ? "agreed to start TLS" : "never ended");
    ck_assert_int_eq(s.err.code, EPROTO);
    ck_assert_msg(strstr(s.err.msg, c->want), "%s: got '%s', want '%s'", c->proto, s.err.msg, c->want);
    stop(&s);
    close(sv[1]);
    ev_loop_destroy(loop);
}
END_TEST

/* The names as --help lists them, aliases, and no preset for others. */
START_TEST(find_and_names)
{
    for (size_t i = 0; i < NPROTOCOLS; i++)
        for (int server = 0; server < 2; server++) {
            const stls_preset *p = aeh__stls_find(protocols[i], server);
            ck_assert_ptr_nonnull(p);
            ck_assert_str_eq(p->name, protocols[i]);
            ck_assert(p->server == (bool)server);
        }
    ck_assert_str_eq(aeh__stls_find("submission", false)->name, "smtp");
    ck_assert_str_eq(aeh__stls_find("IMAP2", true)->name, "imap");
    ck_assert_str_eq(aeh__stls_find("postgresql", false)->name, "postgres");
    ck_assert_ptr_null(aeh__stls_find("gopher", false));
    ck_assert_str_eq(aeh__stls_names(false), "smtp, lmtp, pop3, imap, ftp, xmpp, xmpp-server, nntp, sieve, "
                                        "ldap, postgres, mysql, irc, telnet");
    ck_assert_str_eq(aeh__stls_names(true), aeh__stls_names(false));
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("starttls");
    TCase *t = tcase_create("presets");
    tcase_add_loop_test(t, client_meets_server, 0, NPROTOCOLS);
    tcase_add_loop_test(t, refused_by_peer, 0, NREFUSALS);
    tcase_add_test(t, find_and_names);
    suite_add_tcase(s, t);
    return s;
}

UNIT_MAIN(make_suite)
