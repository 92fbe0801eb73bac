/* SPDX-License-Identifier: MIT */
/* STARTTLS presets: the plaintext part of a protocol's upgrade, client and
 * server side, up to the point where TLS starts.  Run by the dialog's
 * STARTTLS step (dialog.c), which then calls aeh_starttls.  Not installed.
 *
 * A preset is a small state machine fed one reply at a time: a line (text
 * protocols), a byte count, or the bytes up to a pattern (XMPP).  It asks
 * for the next one with stls_read_*, writes with stls_send, and ends with
 * stls_ok (the peer agreed: start TLS now) or stls_refuse (the peer said no
 * or said something else: its words go into the message). */
#ifndef AEH_STARTTLS_INT_H
#define AEH_STARTTLS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "aeh.h"

typedef struct stls stls;

/* How a preset run ends: 0 (start TLS), or -1 with msg (the refusal, or
 * why the reply made no sense). */
typedef void stls_done_fn(void *arg, int rc, const char *msg);
/* Each reply as it is read (a line without its end: line true), so that
 * a failure can show the peer's last words. */
typedef void stls_seen_fn(void *arg, const uint8_t *p, size_t n, bool line);

/* What a preset does with each reply, and how it begins. */
typedef struct stls_preset {
    const char *name;
    bool server;
    void (*begin)(stls *t);
    void (*reply)(stls *t, const uint8_t *p, size_t n);
    /* optional, client side: after the handshake, what the protocol asks
     * again (SMTP's EHLO: RFC 3207 forgets the first one) */
    void (*after)(stls *t);
} stls_preset;

/* The run's state, shared by the engine and the presets. */
struct stls {
    aeh *h;
    const stls_preset *preset;
    char name[256];               /* EHLO/LHLO argument, XMPP to=, server's own name */
    int state;
    unsigned flags;               /* the preset's own */
    uint32_t seq;                 /* IMAP tag number, MySQL sequence id, ... */
    stls_done_fn *done;
    stls_seen_fn *seen;
    void *arg;
    aeh_codec *line;              /* for stls_read_line */
    aeh_codec **made;             /* codecs made for other reads, freed at the end */
    size_t nmade;
    bool finished;
    bool reading_line;            /* the pending read is a line (for seen) */
    char show[512];               /* SHOW's buffer: a reply quoted in a message */
};

/* The preset for proto (aliases resolved), or NULL. */
const stls_preset *stls_find(const char *proto, bool server);
/* The names, comma-separated, for messages and --help. */
const char *stls_names(bool server);

/* Our name in a protocol (EHLO argument, XMPP to=, a server's greeting)
 * goes into its lines as it is: 0 if it can (no space, no control
 * character, at most 255 bytes), else -1 with *err (EINVAL). */
int stls_check_name(const char *name, aeh_error *err);
/* s with each byte of `bad` written as &#N; (XML) or with a backslash
 * before it (quoted strings: ManageSieve), so that a name cannot break
 * the syntax of the text around it. */
const char *stls_escape(const char *s, const char *bad, bool xml, char *buf, size_t cap);

/* Starts a run on h; done is called once (not from within this call). */
stls *stls_start(aeh *h, const stls_preset *p, const char *name, stls_done_fn *done,
                 stls_seen_fn *seen, void *arg, aeh_error *err);
void stls_free(stls *t);
/* Runs the preset's `after` over TLS, ending again through done. */
void stls_after(stls *t);

/* For presets. */
void stls_send(stls *t, const void *p, size_t n);
void stls_sendf(stls *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void stls_read_line(stls *t);                 /* one line, its "\r\n" or "\n" removed */
void stls_read_bytes(stls *t, size_t n);      /* exactly n bytes */
void stls_read_until(stls *t, const char *re);   /* the bytes up to and including a match */
void stls_ok(stls *t);
void stls_refuse(stls *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Shows up to 120 bytes of a reply in a message: printable, escaped. */
const char *stls_show(const uint8_t *p, size_t n, char *buf, size_t cap);

extern const stls_preset stls_client_presets[], stls_server_presets[];

/* Telnet (RFC 854) and its START_TLS option, for both sides. */
enum { IAC = 255, DONT = 254, DO = 253, WONT = 252, WILL = 251, SB = 250, SE = 240,
       START_TLS = 46, FOLLOWS = 1 };
/* One telnet command and the text before it (text: any byte but IAC, or
 * IAC IAC); then IAC and a two-byte command, an option command (WILL,
 * WONT, DO, DONT and the option), or a subnegotiation up to IAC SE. */
#define TELNET_RE "\\A(?:[^\\xff]|\\xff\\xff)*+\\xff(?:[^\\xfa-\\xff]|[\\xfb-\\xfe][\\x00-\\xff]" \
                  "|\\xfa(?:[^\\xff]|\\xff[^\\xf0])*+\\xff\\xf0)"
/* Where the command starts in a read of TELNET_RE (after the text, whose
 * IAC IAC pairs are data). */
size_t stls_telnet_command(const uint8_t *p, size_t n);

#endif
