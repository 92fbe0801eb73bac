/* SPDX-License-Identifier: MIT */
/* Inside the handle: its state, shared by handle.c (queues, I/O, timers)
 * and handle_tls.c (TLS over the handle's buffers).  Not installed. */
#ifndef AEH_HANDLE_INT_H
#define AEH_HANDLE_INT_H
#include <assert.h>
#include <ev.h>
#include "aeh.h"
#include "tls_int.h"

enum {
    DEFAULT_READ_SIZE = 16 * 1024, DEFAULT_MAX_READ_SIZE = 256 * 1024,
    TLS_ROOM = 16 * 1024 + 256,   /* a whole record's plaintext fits */
    TLS_OUT_MAX = 256 * 1024,     /* ciphertext made ahead of the socket */
};

enum { BATCH_MAX = 256 };         /* frames per batch callback */
/* A push of this many bytes with nothing queued is written at once even
 * when corking: corking gathers small frames into one system call, and
 * this is enough for a call of its own (the copy into wbuf would cost more) */
enum { CORK_BYPASS = 8 * 1024 };

typedef struct rreq {
    struct rreq *next;
    const aeh_codec *codec;
    aeh_frame_cb *cb;
    aeh_frames_cb *batch_cb;      /* the persistent reader in batches instead */
    aeh_run_cb *run_cb;           /* ... and in runs where its codec finds them */
    void *arg;
    bool retired;                 /* replaced while its callback ran: free after it */
    bool touched;                 /* its decoder has run: st may hold a position */
    bool counted;                 /* st.frames taken over from the last request */
    aeh_dstate st;
} rreq;

/* The three timeouts of a handle, indexes of to[] and last[]; bit i of a
 * `which` (AEH_TIMEOUT, AEH_RTIMEOUT, AEH_WTIMEOUT) is kind i. */
enum { TO_ANY = 0, TO_READ = 1, TO_WRITE = 2, TO_KINDS = 3 };

struct aeh {
    struct ev_loop *loop;
    int fd;
    void *user;
    ev_io rw, ww;
    ev_timer tw;
    ev_prepare corkw;
    ev_timer kickw;               /* deferred dispatch / on_drain, see kick() */
    aeh_buf rbuf, wbuf;           /* plaintext */
    /* Bytes for the fd ahead of wbuf: under TLS every record; otherwise
     * what was queued before a starttls, or the close_notify of a stoptls. */
    aeh_buf rout;
    aeh_tls *tls;
    aeh_tls_ctx *tls_ctx;
    char *peername;
    size_t tls_plain_at;          /* stoptls: wbuf bytes still to encrypt */
    uint64_t rbase;               /* stream offset of the head of rbuf */
    const aeh_codec *last_codec;  /* the codec of the last frame delivered, and */
    uint64_t last_frames;         /* the frames it delivered in a row (st.frames) */
    uint64_t nread, nwritten;
    rreq *q_head, *q_tail;        /* one-shot requests */
    rreq *frames;                 /* persistent request (aeh_read_frames) */
    rreq *running;                /* request whose callback is running */
    const size_t *batch_start;    /* in a batch callback: each frame's offset in rbuf */
    const size_t *batch_end;      /* ... and where its bytes end */
    size_t batch_n;
    double to[TO_KINDS];          /* seconds, by TO_ANY / TO_READ / TO_WRITE */
    ev_tstamp last[TO_KINDS];     /* activity stamps for each */
    size_t rbuf_max, wbuf_max, read_size, max_read_size, low_water_mark;
    int linger;
    void (*on_error)(aeh *, const aeh_error *, bool);
    void (*on_eof)(aeh *);
    void (*on_read)(aeh *);
    void (*on_drain)(aeh *);
    void (*on_timeout)(aeh *, int);
    void (*on_starttls)(aeh *, const aeh_error *);
    void (*on_stoptls)(aeh *);
    aeh_bytes_cb *on_bytes;       /* the tap (aeh_on_bytes) */
    void *bytes_arg;
    bool bytes_wire;
    int busy;                     /* callbacks on the stack: defer the free */
    bool is_socket, autocork, no_close;
    bool user_stopped;            /* aeh_stop_read */
    bool eof;                     /* read side saw EOF (under TLS: close_notify) */
    bool tls_ragged;              /* ... or a TCP EOF without it, taken as the end */
    aeh_error *read_err;          /* held for the readers to take rbuf first (NULL:
                                     none; allocated: an idle handle is small) */
    bool teof;                    /* the fd reached EOF */
    bool tls_adopt;               /* starttls in a read callback: hand rbuf over after it */
    bool tls_due;                 /* a handshake step owed, from the loop */
    bool tls_bye_sent, stoptls_pending;
    bool no_delay, no_delay_tmp;  /* the user's TCP_NODELAY; ours for the handshake */
    bool write_dead;              /* writing failed: salvaging the reads */
    bool eof_done;                /* on_eof (or its error) delivered */
    bool shutdown_pending, wshut;
    bool dispatching;
    bool drain_due;               /* on_drain owed after a direct write */
    bool destroyed;
};

void aeh__handle_free(aeh *h);
void aeh__handle_raise(aeh *h, const aeh_error *e, bool fatal);
void aeh__handle_fail(aeh *h, int op, int code, bool fatal, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void aeh__handle_raise_after_reads(aeh *h, const aeh_error *e);
void aeh__handle_update_read_watcher(aeh *h);
void aeh__handle_kick(aeh *h);
/* handle_read.c */
void aeh__handle_dispatch(aeh *h);
void aeh__handle_rbuf_consumed(aeh *h, const struct rreq *by, size_t n);
void aeh__handle_rreq_free(struct rreq *r);
void aeh__handle_serve(aeh *h);   /* serve buffered bytes now, or from the loop */
void aeh__handle_flush(aeh *h);
int  aeh__handle_schedule_write(aeh *h, size_t before);
ssize_t aeh__handle_write_fd(aeh *h, const void *p, size_t n);
/* handle_tls.c */
bool aeh__handle_tls_encrypt(aeh *h, bool all);
void aeh__handle_tls_pump(aeh *h);
void aeh__handle_tls_adopt(aeh *h);

static inline void enter(aeh *h) { h->busy++; }

/* The tap, at each place bytes move: `wire` for a read or write on the fd,
 * `plain` for bytes entering rbuf or leaving wbuf (without TLS, one move
 * is both).  Unset, it costs one branch per move, not per frame. */
static inline void tap(aeh *h, int dir, const void *p, size_t n, bool wire, bool plain)
{
    if (h->on_bytes && (h->bytes_wire ? wire : plain))
        h->on_bytes(h, dir, p, n, h->bytes_arg);
}

/* false when the handle is gone (and must not be touched again). */
static inline bool leave(aeh *h)
{
    assert(h->busy > 0);          /* unbalanced: the handle would be freed under a callback */
    if (--h->busy == 0 && h->destroyed) {
        aeh__handle_free(h);
        return false;
    }
    return !h->destroyed;
}

static inline size_t out_len(const aeh *h) { return aeh_buf_len(&h->wbuf) + aeh_buf_len(&h->rout); }
static inline bool handshaking(const aeh *h) { return h->tls && !aeh__tls_handshaken(h->tls); }

#endif
