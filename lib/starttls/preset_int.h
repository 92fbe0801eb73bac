/* SPDX-License-Identifier: MIT */
/* For the STARTTLS presets (one file per protocol, both roles in it) and
 * their engine (engine.c): the run's state, the engine's calls, and the
 * helpers that more than one protocol or role uses (helpers.c).
 *
 * A preset is a small state machine fed one reply at a time: a line (text
 * protocols), a byte count, or the bytes up to a pattern (XMPP, telnet).
 * It asks for the next one with stls_read_*, writes with aeh__stls_send, and
 * ends with aeh__stls_ok (the peer agreed: start TLS now) or aeh__stls_refuse (the
 * peer said no or said something else: its words go into the message). */
#ifndef AEH_STARTTLS_PRESET_INT_H
#define AEH_STARTTLS_PRESET_INT_H

#include "starttls_int.h"

/* The run's state, shared by the engine and the presets. */
struct stls {
    aeh *h;
    const stls_preset *preset;
    char name[256];               /* EHLO/LHLO argument, XMPP to=, server's own name */
    int state;                    /* the protocol's own enum */
    unsigned commands;            /* the peer's commands so far without STARTTLS */
    /* What one protocol keeps between replies, by protocol. */
    union {
        struct {
            bool offered;         /* client: STARTTLS among the EHLO/LHLO keywords */
        } smtp;
        struct {
            unsigned tag;         /* client: the number in our tag "aN" */
            bool offered;         /* client: STARTTLS among the capabilities */
            char capability[512]; /* client: the CAPABILITY line, for a refusal */
        } imap;
        struct {
            bool offered;         /* client: "STARTTLS" among the capabilities */
            char names[128];      /* client: the capabilities' names, for a refusal */
        } sieve;
        struct {
            bool jabber_server;   /* server: the client's stream is s2s */
        } xmpp;
        struct {
            uint8_t last_op;      /* server: the last operation refused, 0 if none */
        } ldap;
        struct {
            uint8_t seq;          /* the last packet's sequence id */
        } mysql;
        struct {
            bool tls_acked;       /* server: CAP REQ :tls was acknowledged */
        } irc;
        struct {
            bool follows_sent;    /* server: our SB START_TLS FOLLOWS is out */
        } telnet;
    } u;
    stls_done_fn *done;
    stls_seen_fn *seen;
    void *arg;
    aeh_codec *line;              /* for aeh__stls_read_line */
    aeh_codec **made;             /* codecs made for other reads, freed at the end */
    size_t nmade;
    bool finished;
    bool reading_line;            /* the pending read is a line (for seen) */
    char show[512];               /* SHOW's buffer: a reply quoted in a message */
};

/* Each protocol: its client and its server, indexed by `server`. */
extern const stls_preset aeh__stls_smtp[2], aeh__stls_lmtp[2], aeh__stls_pop3[2], aeh__stls_imap[2], aeh__stls_ftp[2],
    aeh__stls_xmpp[2], aeh__stls_xmpp_server[2], aeh__stls_nntp[2], aeh__stls_sieve[2], aeh__stls_ldap[2],
    aeh__stls_postgres[2], aeh__stls_mysql[2], aeh__stls_irc[2], aeh__stls_telnet[2];

/* The engine's calls, for presets. */
void aeh__stls_send(stls *t, const void *p, size_t n);
void aeh__stls_sendf(stls *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void aeh__stls_read_line(stls *t);                 /* one line, its "\r\n" or "\n" removed */
void aeh__stls_read_bytes(stls *t, size_t n);      /* exactly n bytes */
void aeh__stls_read_until(stls *t, const char *re);   /* the bytes up to and including a match */
void aeh__stls_ok(stls *t);
void aeh__stls_refuse(stls *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Shows up to 120 bytes of a reply in a message: printable, escaped. */
const char *aeh__stls_show(const uint8_t *p, size_t n, char *buf, size_t cap);
#define SHOW(p, n) aeh__stls_show((p), (n), t->show, sizeof t->show)

/* ---- helpers.c: what more than one protocol or role uses */

/* s with each byte of `bad` written as &#N; (XML) or with a backslash
 * before it (quoted strings: ManageSieve), so that a name cannot break
 * the syntax of the text around it. */
const char *aeh__stls_escape(const char *s, const char *bad, bool xml, char *buf, size_t cap);

/* Reply codes "250-x" / "250 x" (SMTP, LMTP, FTP, NNTP): the code, or -1;
 * *more when a continuation line. */
int aeh__stls_reply_code(const uint8_t *p, size_t n, bool *more);
/* Does p[0, n) begin with s, any case? */
bool aeh__stls_starts(const uint8_t *p, size_t n, const char *s);
/* Is `word` in p[0, n) as a whole word, any case? */
bool aeh__stls_has_word(const uint8_t *p, size_t n, const char *word);

/* Server side, text commands: the next space-separated word of p[0, n)
 * from *i on; what follows the words read so far, without its leading
 * spaces; a word against a command name (any case, as in every protocol
 * here). */
aeh_span aeh__stls_next_word(const uint8_t *p, size_t n, size_t *i);
aeh_span aeh__stls_rest_of(const uint8_t *p, size_t n, size_t i);
bool aeh__stls_is(aeh_span w, const char *s);

/* Server side.  Before STARTTLS a client may only do what the protocol
 * allows without TLS; a client that never upgrades must not keep us
 * forever.  aeh__stls_over_bound counts a command that was not STARTTLS; past
 * STLS_MAX_COMMANDS it says `bye` (a line, if any) and refuses: true
 * then, and the caller stops.  aeh__stls_quit: a QUIT-like command's goodbye,
 * then the end of the run. */
enum { STLS_MAX_COMMANDS = 50 };
bool aeh__stls_over_bound(stls *t, const char *bye);
void aeh__stls_quit(stls *t, const char *bye, const uint8_t *p, size_t n);

/* Appends n bytes at b[o]: the new end. */
size_t aeh__stls_put(uint8_t *b, size_t o, const void *p, size_t n);
/* Not secret, only distinct between runs: XMPP stream ids, MySQL's thread
 * id and scramble (no authentication happens before TLS here). */
uint32_t aeh__stls_pseudo_random(stls *t);

#endif
