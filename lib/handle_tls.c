/* SPDX-License-Identifier: MIT */
/* TLS on a handle: the session sits between the fd and the plaintext
 * buffers.  Ciphertext is read into the session and records are written
 * from the handle's raw output buffer, so nothing already buffered is lost
 * when TLS starts or stops (see man/libaeh.3, TLS). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "handle_int.h"

/* TLS is over: the bytes read after its last record are plaintext. */
static void tls_leftover_to_rbuf(aeh *h)
{
    aeh_buf *in = aeh__tls_in(h->tls);
    if (!aeh_buf_len(in))
        return;
    tap(h, AEH_BYTES_RECV, aeh_buf_data(in), aeh_buf_len(in), false, true);
    aeh_buf_append(&h->rbuf, aeh_buf_data(in), aeh_buf_len(in));
}

/* TLS: queued plaintext into records (at most TLS_OUT_MAX ahead of the
 * socket unless all is asked), then close_notify when shutting down or
 * stopping TLS.  false when the handle failed. */
bool aeh__handle_tls_encrypt(aeh *h, bool all)
{
    if (!h->tls || !aeh__tls_handshaken(h->tls))
        return true;
    size_t len = aeh_buf_len(&h->wbuf);
    if (h->stoptls_pending && h->tls_plain_at < len)
        len = h->tls_plain_at;
    while (len && (all || aeh_buf_len(&h->rout) < TLS_OUT_MAX)) {
        aeh_error e;
        long n = aeh__tls_send(h->tls, aeh_buf_data(&h->wbuf), len, &e);
        if (n < 0) {
            e.op = AEH_OP_TLS;
            aeh__handle_raise(h, &e, true);
            return false;
        }
        tap(h, AEH_BYTES_SENT, aeh_buf_data(&h->wbuf), (size_t)n, false, true);
        aeh_buf_consume(&h->wbuf, (size_t)n);
        len -= (size_t)n;
        if (h->stoptls_pending)
            h->tls_plain_at -= (size_t)n;
    }
    if (len)
        return true;
    if (h->stoptls_pending) {
        /* what follows is plaintext: the peer's close_notify, if it
         * answers, arrives as bytes it must skip */
        aeh__tls_bye(h->tls);
        h->stoptls_pending = false;
        tls_leftover_to_rbuf(h);
        aeh__tls_session_free(h->tls);
        h->tls = NULL;
        return true;
    }
    if (h->shutdown_pending && !h->tls_bye_sent) {
        h->tls_bye_sent = true;
        aeh__tls_bye(h->tls);
    }
    return true;
}


static void set_tcp_nodelay(aeh *h, bool on)
{
    int v = on;
    if (h->is_socket)
        setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v);
}

/* Best effort, once, before the handle goes: the alert that says why. */
static void write_alert(aeh *h)
{
    size_t len = aeh_buf_len(&h->rout);
    if (len && !h->write_dead && h->fd >= 0) {
        ssize_t n = aeh__handle_write_fd(h, aeh_buf_data(&h->rout), len);
        if (n > 0) {
            tap(h, AEH_BYTES_SENT, aeh_buf_data(&h->rout), (size_t)n, true, false);
            aeh_buf_clear(&h->rout);
        }
    }
}

/* The handshake failed: on_starttls hears it and the handle goes, or,
 * without one, on_error does. */
static void tls_failed(aeh *h, aeh_error *e)
{
    e->op = AEH_OP_TLS;
    write_alert(h);
    if (!h->on_starttls) {
        aeh__handle_raise(h, e, true);
        return;
    }
    enter(h);
    h->on_starttls(h, e);
    aeh_destroy(h);
    leave(h);
}

/* The peer's close_notify: end of stream, or with on_stoptls, plaintext
 * from here on. */
static void tls_peer_closed(aeh *h)
{
    if (!h->on_stoptls) {
        h->eof = true;
        return;
    }
    tls_leftover_to_rbuf(h);
    if (aeh_buf_len(&h->wbuf))        /* our records cannot be made any more */
        aeh_buf_clear(&h->wbuf);
    aeh__tls_session_free(h->tls);
    h->tls = NULL;
    if (h->teof)
        h->eof = true;
    h->on_stoptls(h);
}

/* Ciphertext through the session: the handshake, then records into rbuf.
 * Callers hold the handle (enter/leave) or run from its watchers. */
void aeh__handle_tls_pump(aeh *h)
{
    if (!h->tls || h->destroyed)
        return;
    aeh_error e;
    if (!aeh__tls_handshaken(h->tls)) {
        int rc = aeh__tls_handshake(h->tls, &e);
        if (rc < 0) {
            tls_failed(h, &e);
            return;
        }
        aeh__handle_flush(h);                 /* our handshake messages */
        if (rc == TLS_AGAIN || h->destroyed)
            return;
        if (h->no_delay_tmp) {
            h->no_delay_tmp = false;
            set_tcp_nodelay(h, false);
        }
        if (h->on_starttls) {
            enter(h);
            h->on_starttls(h, NULL);
            if (!leave(h))
                return;
        }
        aeh__handle_flush(h);                 /* what was queued during the handshake */
        if (h->destroyed || !h->tls)
            return;
    }
    while (!h->eof) {
        uint8_t *p = aeh_buf_reserve(&h->rbuf, TLS_ROOM);
        if (!p) {
            aeh__handle_fail(h, AEH_OP_READ, ENOMEM, true, "read: %s", strerror(ENOMEM));
            return;
        }
        long n = aeh__tls_recv(h->tls, p, TLS_ROOM, &e);
        if (n > 0) {
            tap(h, AEH_BYTES_RECV, p, (size_t)n, false, true);
            aeh_buf_commit(&h->rbuf, (size_t)n);
            continue;
        }
        if (n == TLS_AGAIN)
            break;
        if (n == TLS_CLOSED && aeh__tls_ragged_eof(h->tls)) {
            /* TCP is gone too: no plaintext can follow, whatever on_stoptls wants */
            h->tls_ragged = true;
            h->eof = true;
            break;
        }
        if (n == TLS_CLOSED) {
            enter(h);
            tls_peer_closed(h);
            if (!leave(h))
                return;
            break;
        }
        /* the records before the failure (a truncation) are the peer's
         * words: deliver them, then the error */
        write_alert(h);
        e.op = AEH_OP_TLS;
        aeh__handle_raise_after_reads(h, &e);
        return;
    }
    if (h->tls && aeh_buf_len(&h->rout))   /* a key update or ticket answer */
        aeh__handle_flush(h);
}

/* Bytes read before starttls belong to TLS (a pipelined ClientHello): move
 * them to the session, and make every request start its scan over. */
void aeh__handle_tls_adopt(aeh *h)
{
    h->tls_adopt = false;
    size_t n = aeh_buf_len(&h->rbuf);
    if (!n || !h->tls)
        return;
    if (aeh_buf_append(aeh__tls_in(h->tls), aeh_buf_data(&h->rbuf), n) < 0) {
        aeh__handle_fail(h, AEH_OP_READ, ENOMEM, true, "read: %s", strerror(ENOMEM));
        return;
    }
    aeh__handle_rbuf_consumed(h, NULL, n);
    if (h->eof && h->teof) {      /* the fd's EOF is now the session's */
        h->eof = false;
        aeh__tls_in_eof(h->tls);
    }
}

int aeh_starttls(aeh *h, int mode, aeh_tls_ctx *ctx, const char *peername)
{
    if (h->destroyed)
        return -1;
    aeh_error e;
    if (h->tls || (mode != AEH_TLS_CONNECT && mode != AEH_TLS_ACCEPT) || !ctx) {
        aeh_fail(&e, EINVAL, 0, "starttls: %s", h->tls ? "TLS is already on" : "bad mode or no context");
        e.op = AEH_OP_TLS;
        aeh__handle_raise(h, &e, false);
        return -1;
    }
    if (peername && peername != h->peername) {
        free(h->peername);
        h->peername = strdup(peername);
    }
    aeh_tls *t = aeh__tls_session_new(ctx, mode, h->peername, &h->rout, &e);
    if (!t) {
        e.op = AEH_OP_TLS;
        aeh__handle_raise(h, &e, true);
        return -1;
    }
    /* what was queued before goes out as it is, ahead of the handshake */
    if (aeh_buf_len(&h->wbuf) && aeh_buf_append(&h->rout, aeh_buf_data(&h->wbuf), aeh_buf_len(&h->wbuf)) == 0) {
        /* the plaintext leaves the write queue now; the wire sees it in rout */
        tap(h, AEH_BYTES_SENT, aeh_buf_data(&h->wbuf), aeh_buf_len(&h->wbuf), false, true);
        aeh_buf_clear(&h->wbuf);
    }
    h->tls = t;
    h->tls_ctx = ctx;
    h->tls_bye_sent = false;
    if (!h->no_delay) {           /* the handshake is a ping-pong of small writes */
        h->no_delay_tmp = true;
        set_tcp_nodelay(h, true);
    }
    if (h->running) {             /* after the frame being read is consumed */
        h->tls_adopt = true;
        return 0;
    }
    aeh__handle_tls_adopt(h);
    if (h->busy) {
        aeh__handle_tls_pump(h);
    } else {
        h->tls_due = true;
        aeh__handle_kick(h);
    }
    if (!h->destroyed)
        aeh__handle_update_read_watcher(h);
    return 0;
}

void aeh_stoptls(aeh *h)
{
    if (h->destroyed || !h->tls || h->stoptls_pending)
        return;
    h->stoptls_pending = true;
    h->tls_plain_at = aeh_buf_len(&h->wbuf);
    if (!handshaking(h))
        aeh__handle_schedule_write(h, out_len(h));
}

bool aeh_tls_active(const aeh *h) { return h->tls != NULL; }
bool aeh_tls_ragged_eof(const aeh *h) { return h->tls_ragged; }

int aeh_tls_get_info(const aeh *h, aeh_tls_info *info)
{
    if (!h->tls)
        return -1;
    aeh__tls_info(h->tls, info);
    return 0;
}

const char *aeh_tls_verification_str(aeh_tls_verification v)
{
    switch (v) {
    case AEH_TLS_NOT_VERIFIED: return "not checked";
    case AEH_TLS_VERIFIED_CHAIN: return "ok (chain and name)";
    case AEH_TLS_VERIFIED_CHAIN_AND_PIN: return "ok (chain, name and pinned key)";
    case AEH_TLS_VERIFIED_PIN: return "ok (pinned key)";
    case AEH_TLS_VERIFY_SKIPPED: return "skipped";
    case AEH_TLS_VERIFY_INSECURE: return "skipped (insecure)";
    case AEH_TLS_VERIFIED_CLIENT: return "ok (client certificate)";
    case AEH_TLS_NO_CLIENT_CERT_ASKED: return "no client certificate asked";
    }
    return "?";
}

/* One "key value\n" line, value the peer's bytes escaped ("none" if absent). */
static void describe_bytes(aeh_buf *out, const char *key, bool has, const void *p, size_t n)
{
    char shown[4 * 255 + 1];
    if (has)
        aeh_escape(p, n, shown, sizeof shown);
    aeh_buf_printf(out, "%s %s\n", key, has ? shown : "none");
}

int aeh_tls_describe(const aeh *h, aeh_buf *out)
{
    aeh_tls_info info;
    if (aeh_tls_get_info(h, &info) < 0)
        return -1;
    aeh_buf_printf(out, "version %s\ncipher %s\n", info.version, info.cipher);
    describe_bytes(out, "alpn", info.has_alpn, info.alpn, info.alpn_len);
    if (info.accepting)
        describe_bytes(out, "sni", info.has_sni, info.sni, info.sni_len);
    for (unsigned i = 0; i < info.ncerts; i++) {
        const aeh_tls_cert_info *ci = &info.certs[i];
        char subject[512], issuer[512];
        aeh_escape(ci->subject, ci->subject_len, subject, sizeof subject);
        aeh_escape(ci->issuer, ci->issuer_len, issuer, sizeof issuer);
        aeh_buf_printf(out, "peer certificate %u: subject %.500s; issuer %.500s; valid from %s to %s\n",
                       i, subject, issuer, ci->valid_from, ci->valid_to);
    }
    if (info.peer_pin[0])
        aeh_buf_printf(out, "peer pin %s\n", info.peer_pin);
    aeh_buf_printf(out, "verification %s\n", aeh_tls_verification_str(info.verification));
    return 0;
}

static void autostart_cb(aeh *h, aeh_span frame, void *ctx)
{
    if (frame.n)
        aeh_starttls(h, AEH_TLS_ACCEPT, ctx, NULL);
}

void aeh_push_tls_autostart(aeh *h, aeh_tls_ctx *ctx)
{
    aeh_push_read(h, aeh_codec_tls_detect(), autostart_cb, ctx);
}

void aeh_on_starttls(aeh *h, void (*cb)(aeh *, const aeh_error *)) { h->on_starttls = cb; }
void aeh_on_stoptls(aeh *h, void (*cb)(aeh *)) { h->on_stoptls = cb; }
