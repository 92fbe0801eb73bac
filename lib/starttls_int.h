/* SPDX-License-Identifier: MIT */
/* STARTTLS presets: the plaintext part of a protocol's upgrade, client and
 * server side, up to the point where TLS starts.  Run by the dialog's
 * STARTTLS step (dialog.c), which then calls aeh_starttls.  Not installed.
 *
 * The engine (starttls/engine.c) runs a preset; each protocol's two roles
 * live in one file of lib/starttls/, which see starttls/preset_int.h. */
#ifndef AEH_STARTTLS_INT_H
#define AEH_STARTTLS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "aeh.h"

typedef struct stls stls;

/* How a preset run ends: err NULL (start TLS now), or the refusal, or why
 * the reply made no sense (EPROTO, the peer's words in its msg). */
typedef void stls_done_fn(void *arg, const aeh_error *err);
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

/* The preset for proto (aliases resolved), or NULL. */
const stls_preset *aeh__stls_find(const char *proto, bool server);
/* The names, comma-separated, for messages and --help. */
const char *aeh__stls_names(bool server);

/* Our name in a protocol (EHLO argument, XMPP to=, a server's greeting)
 * goes into its lines as it is: 0 if it can (no space, no control
 * character, at most 255 bytes), else -1 with *err (EINVAL). */
int aeh__stls_check_name(const char *name, aeh_error *err);

/* Starts a run on h; done is called once (not from within this call). */
stls *aeh__stls_start(aeh *h, const stls_preset *p, const char *name, stls_done_fn *done,
                      stls_seen_fn *seen, void *arg, aeh_error *err);
void aeh__stls_free(stls *t);
/* Runs the preset's `after` over TLS, ending again through done. */
void aeh__stls_after(stls *t);

#endif
