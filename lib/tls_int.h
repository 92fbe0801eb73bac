/* SPDX-License-Identifier: MIT */
/* Between the handle and the GnuTLS glue (tls.c).  A session never touches
 * a file descriptor: the handle reads ciphertext into aeh__tls_in() and writes
 * out what the session appended to the handle's raw output buffer. */
#ifndef AEH_TLS_INT_H
#define AEH_TLS_INT_H
#include "aeh.h"

typedef struct aeh_tls aeh_tls;

enum {
    TLS_AGAIN = 0,                /* needs more ciphertext */
    TLS_DONE = 1,                 /* handshake finished */
    TLS_CLOSED = -2,              /* close_notify received */
};

/* out: where every byte GnuTLS sends is appended (the handle's raw output). */
aeh_tls *aeh__tls_session_new(aeh_tls_ctx *ctx, int mode, const char *peername,
                              aeh_buf *out, aeh_error *err);
void aeh__tls_session_free(aeh_tls *t);
aeh_buf *aeh__tls_in(aeh_tls *t);      /* ciphertext read, not yet taken by GnuTLS */
void aeh__tls_in_eof(aeh_tls *t);      /* the transport reached EOF */
bool aeh__tls_handshaken(const aeh_tls *t);
/* TLS_DONE, TLS_AGAIN, or -1 with *err (EPROTO, a one-line reason). */
int aeh__tls_handshake(aeh_tls *t, aeh_error *err);
/* Decrypts into at most room bytes at p: > 0 bytes, TLS_AGAIN, TLS_CLOSED,
 * or -1 with *err (EPROTO).  A TCP EOF without close_notify is TLS_CLOSED
 * at a record boundary after aeh__tls_bye (unless the context is strict) or
 * with allow_truncation; otherwise a truncation, -1. */
long aeh__tls_recv(aeh_tls *t, uint8_t *p, size_t room, aeh_error *err);
/* Encrypts up to one record of p: the bytes taken, or -1 with *err. */
long aeh__tls_send(aeh_tls *t, const uint8_t *p, size_t n, aeh_error *err);
void aeh__tls_bye(aeh_tls *t);         /* close_notify, appended to out */
/* The last TLS_CLOSED was a TCP EOF without close_notify, taken as the end. */
bool aeh__tls_ragged_eof(const aeh_tls *t);
void aeh__tls_info(aeh_tls *t, aeh_tls_info *info);

#endif
