/* SPDX-License-Identifier: MIT */
/* The read queue: one-shot requests and the persistent one, each a codec
 * and its resumable state over the handle's read buffer, served in order
 * by aeh__handle_dispatch; EOF and held read errors reach the user here,
 * after every byte before them.  handle.c reads the fd into rbuf and calls
 * dispatch; requests call back into handle.c only to raise errors and to
 * update its watchers (one module in two files, like handle_tls.c). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ev.h>
#include "handle_int.h"

void aeh__handle_rreq_free(rreq *r)
{
    aeh_buf_free(&r->st.out);
    free(r);
}

static rreq *rreq_new(const aeh_codec *c, aeh_frame_cb *cb, void *arg)
{
    rreq *r = calloc(1, sizeof *r);
    if (r) {
        r->codec = c;
        r->cb = cb;
        r->arg = arg;
    }
    return r;
}

/* Bytes left the head of rbuf: decoder states are relative to the head,
 * so every request that has scanned, other than the one that consumed,
 * starts over (an unshifted request or a one-shot served ahead of the
 * persistent one moved the input under it). */
static void restart_scan(rreq *r, const rreq *by)
{
    if (!r || r == by || !r->touched)
        return;
    r->touched = false;
    r->st.scan = 0;
    memset(r->st.u, 0, sizeof r->st.u);
    aeh_buf_clear(&r->st.out);
}

void aeh__handle_rbuf_consumed(aeh *h, const rreq *by, size_t n)
{
    if (!n)
        return;
    aeh_buf_consume(&h->rbuf, n);
    h->rbase += n;
    for (rreq *q = h->q_head; q; q = q->next)
        restart_scan(q, by);
    restart_scan(h->frames, by);
}

/* st.frames of a request about to decode: a request that reads on with
 * the codec of the last frame delivered (the next expect of a dialog, the
 * relay after it) continues its count, so a switch A>>B stays past A. */
static void count_from_last(aeh *h, rreq *r)
{
    if (r->counted)
        return;
    r->counted = true;
    r->st.frames = r->codec == h->last_codec ? h->last_frames : 0;
}

static void delivered(aeh *h, rreq *r, uint64_t frames)
{
    r->st.frames = frames;
    h->last_codec = r->codec;
    h->last_frames = frames;
}

/* The stream ended inside a frame: the bytes left in rbuf are its start. */
static void raise_truncated(aeh *h, const rreq *r)
{
    aeh_error e;
    aeh_fail(&e, EBADMSG, h->rbase, "%s: truncated frame at end of stream (%zu bytes)",
             r->codec->name, aeh_buf_len(&h->rbuf));
    e.op = AEH_OP_DECODE;
    e.reason = AEH_REASON_TRUNCATED;
    aeh__handle_raise(h, &e, true);
}

/* After the callback of r: the TLS it started takes over the bytes left. */
static void finish_callback(aeh *h, rreq *r, bool free_it)
{
    if (free_it || r->retired)
        aeh__handle_rreq_free(r);
    if (h->tls_adopt && !h->destroyed) {
        aeh__handle_tls_adopt(h);
        aeh__handle_tls_pump(h);
    }
}

/* One decode step of request r.  Returns true when progress was made. */
static bool run_request(aeh *h, rreq *r)
{
    aeh_span f = { 0 };
    size_t consumed = 0;
    aeh_error e;
    size_t len = aeh_buf_len(&h->rbuf);
    r->touched = true;
    count_from_last(h, r);
    int rc = r->codec->decode(r->codec, &r->st, aeh_buf_data(&h->rbuf), len, h->eof,
                              &f, &consumed, &e);
    if (rc == AEH_DEC_ERROR) {
        e.offset += h->rbase;
        e.op = AEH_OP_DECODE;
        aeh__handle_raise(h, &e, true);
        return false;
    }
    if (rc == AEH_DEC_MORE) {
        if (consumed) {
            aeh__handle_rbuf_consumed(h, r, consumed);
            return true;
        }
        if (h->eof && len)
            raise_truncated(h, r);
        return false;
    }
    bool oneshot = r != h->frames;
    if (oneshot) {
        h->q_head = r->next;
        if (!h->q_head)
            h->q_tail = NULL;
    }
    delivered(h, r, r->st.frames + 1);
    h->running = r;
    r->cb(h, f, r->arg);
    h->running = NULL;
    if (!h->destroyed)
        aeh__handle_rbuf_consumed(h, r, consumed);
    finish_callback(h, r, oneshot);
    return true;
}

static bool in_scratch(const aeh_dstate *st, aeh_span f)
{
    uintptr_t p = (uintptr_t)f.p, lo = (uintptr_t)st->out.base;
    return lo && p >= lo && p <= lo + st->out.cap;
}

/* A run of whole frames from the head of rbuf to r's run_cb, undecoded.
 * Returns false when the codec found none there. */
static bool run_whole(aeh *h, rreq *r)
{
    size_t len = aeh_buf_len(&h->rbuf);
    uint64_t frames = 0;
    size_t run = len ? r->codec->decode_run(r->codec, &r->st, aeh_buf_data(&h->rbuf), len, &frames)
                     : 0;
    if (!run)
        return false;
    r->touched = true;
    count_from_last(h, r);
    h->running = r;
    r->run_cb(h, aeh_buf_data(&h->rbuf), run, frames, r->arg);
    h->running = NULL;
    if (!h->destroyed) {
        delivered(h, r, r->st.frames + frames);
        aeh__handle_rbuf_consumed(h, r, run);
    }
    finish_callback(h, r, false);
    return true;
}

/* The persistent reader in batches: every frame the decoder finds from the
 * head of rbuf, up to BATCH_MAX or one in the decoder's scratch (the next
 * decode would overwrite it), in one call; then what the callback took is
 * consumed.  Frames before a decode error or a truncated end are delivered
 * first.  Returns true when progress was made. */
static bool run_batch(aeh *h, rreq *r)
{
    aeh_span f[BATCH_MAX];
    size_t start[BATCH_MAX], end[BATCH_MAX];
    static const uint8_t nothing[1];
    size_t n = 0, off = 0, len = aeh_buf_len(&h->rbuf);
    /* an empty buffer has no memory yet: decoders still get a pointer */
    const uint8_t *base = len ? aeh_buf_data(&h->rbuf) : nothing;
    aeh_error e;
    int rc = AEH_DEC_FRAME;       /* a full batch: more may follow */
    r->touched = true;
    count_from_last(h, r);
    const uint64_t frames_before = r->st.frames;
    for (;;) {
        r->st.frames = frames_before + n;
        if (r->codec->decode_many) {
            size_t k = r->codec->decode_many(r->codec, &r->st, base + off, len - off, f + n,
                                             end + n, BATCH_MAX - n);
            for (size_t i = n; i < n + k; i++) {
                start[i] = off;
                off += end[i];    /* the bytes it used, made an offset */
                end[i] = off;
            }
            if ((n += k) == BATCH_MAX)
                break;
        }
        size_t consumed = 0;
        r->st.frames = frames_before + n;
        rc = r->codec->decode(r->codec, &r->st, base + off, len - off, h->eof, &f[n], &consumed, &e);
        if (rc == AEH_DEC_FRAME) {
            start[n] = off;
            off += consumed;
            end[n] = off;
            /* a frame that consumed nothing would come again and again;
             * for a reader of runs, the frames after the one decode
             * finished (the line a read cut) may be a run */
            if (++n == BATCH_MAX || !consumed || in_scratch(&r->st, f[n - 1]) || r->run_cb)
                break;
        } else if (rc == AEH_DEC_ERROR || !consumed) {
            break;
        } else {
            off += consumed;      /* bytes skipped between frames */
        }
    }
    size_t taken = 0;
    r->st.frames = frames_before;
    if (n) {
        h->running = r;
        h->batch_start = start;
        h->batch_end = end;
        h->batch_n = n;
        taken = r->batch_cb(h, f, n, r->arg);
        h->running = NULL;
        h->batch_start = h->batch_end = NULL;
        if (taken > n)
            taken = n;
        if (taken && !h->destroyed)
            delivered(h, r, frames_before + taken);
    }
    if (!h->destroyed) {
        if (taken < n)            /* the rest is decoded again from the end of what was taken */
            restart_scan(r, NULL);
        aeh__handle_rbuf_consumed(h, r, taken < n ? (taken ? end[taken - 1] : 0) : off);
    }
    /* a reader replaced in the callback is freed now; its successor
     * decodes what is left, an error included */
    bool replaced = r->retired;
    finish_callback(h, r, false);
    if (h->destroyed || taken < n || replaced)
        return taken > 0 || replaced;
    if (rc == AEH_DEC_ERROR) {
        e.offset += h->rbase;     /* rbuf's head is where the failed decode began */
        e.op = AEH_OP_DECODE;
        aeh__handle_raise(h, &e, true);
        return false;
    }
    if (rc == AEH_DEC_MORE && h->eof && aeh_buf_len(&h->rbuf)) {
        raise_truncated(h, r);
        return false;
    }
    return n > 0 || off > 0;
}

uint64_t aeh_batch_offset(const aeh *h, size_t i)
{
    return h->rbase + (h->batch_start && i < h->batch_n ? h->batch_start[i] : 0);
}

/* Feeds buffered bytes to the read queue, then to on_read; handles EOF. */
void aeh__handle_dispatch(aeh *h)
{
    if (h->dispatching || h->destroyed)
        return;
    h->dispatching = true;
    enter(h);
    while (!h->destroyed && !h->user_stopped) {
        rreq *r = h->q_head ? h->q_head : h->frames;
        if (r) {
            if (r->run_cb && !h->q_head && run_whole(h, r))
                continue;
            if (!(r->batch_cb && !h->q_head ? run_batch(h, r) : run_request(h, r)))
                break;
            continue;
        }
        size_t len = aeh_buf_len(&h->rbuf);
        if (!h->on_read || !len)
            break;
        h->on_read(h);
        if (aeh_buf_len(&h->rbuf) == len && !h->q_head && !h->frames)
            break;                /* on_read wants more bytes */
    }
    /* stopped: an error or EOF waits, like the bytes before it, for aeh_start_read */
    if (h->read_err && !h->destroyed && !h->user_stopped) {
        aeh_error e = *h->read_err;
        free(h->read_err);
        h->read_err = NULL;
        aeh__handle_raise(h, &e, true);
    }
    if (!h->destroyed && h->eof && !h->user_stopped && (!h->eof_done || h->q_head)) {
        if (h->q_head) {          /* also a read pushed after on_eof: it can never be served */
            h->eof_done = true;
            aeh__handle_fail(h, AEH_OP_READ, EPIPE, true, "unexpected end of file with a read request pending");
        } else if (h->on_read && aeh_buf_len(&h->rbuf)) {
            h->eof_done = true;
            aeh__handle_fail(h, AEH_OP_READ, EPIPE, true, "end of file with unconsumed data");
        } else if (!aeh_buf_len(&h->rbuf)) {
            h->eof_done = true;
            if (h->on_eof)
                h->on_eof(h);
            else
                aeh__handle_fail(h, AEH_OP_READ, EPIPE, true, "unexpected end of file");
        }
    }
    h->dispatching = false;
    if (leave(h)) {
        if (h->rbuf_max && aeh_buf_len(&h->rbuf) > h->rbuf_max) {
            aeh_error e;
            aeh_fail(&e, ENOSPC, h->rbase + h->rbuf_max,
                     "read buffer over its limit of %zu bytes", h->rbuf_max);
            e.op = AEH_OP_DECODE;
            aeh__handle_raise(h, &e, true);
            return;
        }
        aeh__handle_update_read_watcher(h);
    }
}

/* Serve buffered bytes now when inside a callback of h (the caller's outer
 * frame owns the handle's lifetime), else from the loop. */
void aeh__handle_serve(aeh *h)
{
    if (h->busy) {
        aeh__handle_dispatch(h);
        if (!h->destroyed)
            aeh__handle_update_read_watcher(h);
    } else {
        aeh__handle_update_read_watcher(h);
        /* a held read error too: the reader may have taken every byte
         * before it and stopped, and no read will come to raise it */
        if (aeh_buf_len(&h->rbuf) || h->eof || h->read_err)
            aeh__handle_kick(h);
    }
}

static void queue_request(aeh *h, rreq *r, bool front)
{
    if (front) {
        r->next = h->q_head;
        h->q_head = r;
        if (!h->q_tail)
            h->q_tail = r;
    } else {
        if (h->q_tail)
            h->q_tail->next = r;
        else
            h->q_head = r;
        h->q_tail = r;
    }
    aeh__handle_serve(h);
}

static void push_request(aeh *h, const aeh_codec *c, aeh_frame_cb *cb, void *arg, bool front)
{
    if (h->destroyed)
        return;
    rreq *r = rreq_new(c, cb, arg);
    if (!r) {
        aeh__handle_fail(h, AEH_OP_READ, ENOMEM, true, "read request: %s", strerror(ENOMEM));
        return;
    }
    queue_request(h, r, front);
}

void aeh_push_read(aeh *h, const aeh_codec *c, aeh_frame_cb *cb, void *arg)
{
    push_request(h, c, cb, arg, false);
}

void aeh_unshift_read(aeh *h, const aeh_codec *c, aeh_frame_cb *cb, void *arg)
{
    push_request(h, c, cb, arg, true);
}

static void set_reader(aeh *h, const aeh_codec *c, aeh_frame_cb *cb, aeh_frames_cb *batch_cb,
                       aeh_run_cb *run_cb, void *arg)
{
    if (h->destroyed)
        return;
    rreq *old = h->frames;
    h->frames = NULL;
    if (old) {
        if (old == h->running)
            old->retired = true;
        else
            aeh__handle_rreq_free(old);
    }
    if (!c) {
        aeh__handle_update_read_watcher(h);
        return;
    }
    h->frames = rreq_new(c, cb, arg);
    if (!h->frames) {
        aeh__handle_fail(h, AEH_OP_READ, ENOMEM, true, "read request: %s", strerror(ENOMEM));
        return;
    }
    h->frames->batch_cb = batch_cb;
    h->frames->run_cb = c->decode_run ? run_cb : NULL;
    aeh__handle_serve(h);
}

void aeh_read_frames(aeh *h, const aeh_codec *c, aeh_frame_cb *cb, void *arg)
{
    set_reader(h, c, cb, NULL, NULL, arg);
}

void aeh_read_batches(aeh *h, const aeh_codec *c, aeh_frames_cb *cb, void *arg)
{
    set_reader(h, c, NULL, cb, NULL, arg);
}

void aeh_read_runs(aeh *h, const aeh_codec *c, aeh_run_cb *run_cb, aeh_frames_cb *cb, void *arg)
{
    set_reader(h, c, NULL, cb, run_cb, arg);
}

aeh_span aeh_rbuf(const aeh *h)
{
    return (aeh_span){ aeh_buf_data(&h->rbuf), aeh_buf_len(&h->rbuf) };
}

void aeh_rbuf_consume(aeh *h, size_t n)
{
    size_t len = aeh_buf_len(&h->rbuf);
    if (n > len)
        n = len;
    aeh__handle_rbuf_consumed(h, NULL, n);
}

void aeh_start_read(aeh *h)
{
    if (h->destroyed)
        return;
    h->user_stopped = false;
    aeh__handle_serve(h);                 /* a request may be waiting on bytes already buffered */
}

void aeh_stop_read(aeh *h)
{
    if (h->destroyed)
        return;
    h->user_stopped = true;
    aeh__handle_update_read_watcher(h);
}
