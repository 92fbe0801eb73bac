/* SPDX-License-Identifier: MIT */
/* -k, --keep-open: one listener serving many connections at once, in one
 * loop.  The listener is a session (session.c: loop, codecs, TLS context,
 * the listening socket, stdin and stdout as handles); each accepted
 * connection is a session of its own (its TLS, dialog, framing and
 * timeouts) whose frames this file routes:
 *
 *   fan-in   each frame a connection receives goes to stdout whole, in the
 *            --records format (--tag: with its connection), so frames of
 *            two connections never interleave;
 *   fan-out  each record of stdin goes to every connection in the relay
 *            (--broker: each connection's frames also go to the others).
 *
 * With -e/-c neither: each connection relays to a program of its own
 * (child.c), stdin and stdout are not used, and a connection ends once its
 * program has exited.
 *
 * A connection's end (its peer's EOF, a failure, its dialog done) is its
 * own: told on one line naming it, and the listener goes on.  Stdin's EOF
 * half-closes every connection and each later one (not with --broker: the
 * clients still speak to each other).  The run ends on a
 * signal, --deadline, --count/--until (across all connections),
 * --max-accepts, or a failure of stdin or stdout. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "keep.h"
#include "relay.h"
#include "child.h"
#include "end.h"
#include "log.h"

typedef struct conn conn;
typedef struct keep keep;

/* An accepted connection: its session first, so that the session the
 * hooks are given is the conn. */
struct conn {
    session s;
    conn *prev, *next;            /* the listener's connections, oldest first */
    conn *next_dead;
    bool relaying;                /* in the relay: stdin's frames go to it */
    bool dead;                    /* ended, freed at the next loop turn */
    bool over;                    /* its queue is over the high-water mark */
    bool paused_out;              /* not read while stdout is full */
    bool paused_fanout;           /* --broker: not read while a target is full */
    uint64_t dropped;             /* --slow drop: frames it did not get */
    char *tag;                    /* --tag: "7\t127.0.0.1:51234\t", or the JSON object's start */
    size_t tag_len;
};

struct keep {
    session *s;                   /* the listener */
    conn *head, *tail, *dead;
    uint64_t live;                /* accepted, not yet freed */
    uint64_t accepted, ended;
    uint64_t relaying;            /* connections in the relay */
    uint64_t nover;               /* of them, over the high-water mark */
    bool stdin_reading;           /* stdin's reader is set */
    bool json_tag;                /* --tag with --records json (stdout) */
    bool runs;                    /* the wires' frames go to stdout as runs (conn_run) */
    aeh_codec *routed;            /* --tag, stdin json: splits its JSON texts (NULL: not routed) */
    bool closing;                 /* keep_close frees them all: an end is no news */
    int first_failure;            /* --max-accepts: the exit code */
    aeh_buf record;               /* --tag: one record, encoded */
    aeh_error refusal;            /* fan_out: why the encoder refused a frame */
    ev_prepare reap_w;
};

static conn *conn_of(session *c) { return (conn *)c; }

/* ------------------------------------------------------------ flow control */

/* Stdin is read while some connection is in the relay (unless --slow lets
 * frames go to nobody) and no connection's queue is full under --slow
 * block: backpressure, no frame lost. */
static void stdin_update(keep *k)
{
    session *s = k->s;
    if (!s->in || !k->stdin_reading || s->finishing)
        return;
    bool block = s->cfg->slow == CLI_SLOW_BLOCK;
    if (block && (k->nover || !k->relaying))
        aeh_stop_read(s->in);
    else
        aeh_start_read(s->in);
}

static void conn_read_update(conn *c)
{
    if (c->s.net && !c->dead && !c->s.finishing) {
        if (c->paused_out || c->paused_fanout)
            aeh_stop_read(c->s.net);
        else
            aeh_start_read(c->s.net);
    }
}

static void over_high(keep *k, conn *c)
{
    const cli_cfg *cfg = k->s->cfg;
    if (cfg->slow == CLI_SLOW_CLOSE) {
        cli_say_in(c->s.label, "slow reader: %zu bytes queued for it (--slow close): closing",
                   aeh_wbuf_len(c->s.net));
        end_finish(&c->s, EXIT_IOERR, false);
        return;
    }
    if (cfg->slow == CLI_SLOW_BLOCK && !c->over) {
        c->over = true;
        k->nover++;
    }
}

static void no_longer_over(keep *k, conn *c)
{
    if (!c->over)
        return;
    c->over = false;
    if (--k->nover)
        return;
    stdin_update(k);
    for (conn *o = k->head; o; o = o->next)
        if (o->paused_fanout) {
            o->paused_fanout = false;
            conn_read_update(o);
        }
}

/* ------------------------------------------------------------ fan-out */

/* frames[0, n) to every connection in the relay but `from`, in the send
 * framing (src: the handle whose batch they are, or NULL).  Returns how many the encoder took (all connections share it,
 * so it refuses the same frame for each): fewer than n, k->refusal says
 * why.  --slow drop: a full connection misses them. */
static size_t fan_out(keep *k, const aeh *src, const aeh_span *f, size_t n, conn *from)
{
    session *s = k->s;
    size_t ok = n;
    for (conn *c = k->head; c && ok; c = c->next) {
        if (c == from || !c->relaying || c->dead || !c->s.net)
            continue;
        if (s->cfg->slow == CLI_SLOW_DROP && aeh_wbuf_len(c->s.net) > RELAY_HIGH_WATER) {
            c->dropped += ok;
            continue;
        }
        aeh_error why;
        long queued = relay_push_batch(&c->s, c->s.net, c->s.send_codec, src, f, ok, &why);
        if (queued < 0)           /* that connection failed: its own error path ends it */
            continue;
        c->s.frames_sent += (uint64_t)queued;
        if ((size_t)queued < ok) {
            ok = (size_t)queued;
            k->refusal = why;
        }
        if (c->s.net && aeh_wbuf_len(c->s.net) > RELAY_HIGH_WATER)
            over_high(k, c);
    }
    return ok;
}

/* ------------------------------------------------------------ routed stdin
 * With --tag and json records on stdin, a record may name its connection:
 * {"conn":N,"frame":VALUE} goes to connection N only (VALUE is what the
 * record would be alone: a string, {"base64":...}, or any JSON text when
 * the wire is JSON); "peer" is ignored, so that stdout's tagged records
 * can be fed back.  Any other record goes to every connection. */

static bool json_ws(uint8_t ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; }

static size_t json_skip_ws(const uint8_t *t, size_t n, size_t i)
{
    while (i < n && json_ws(t[i]))
        i++;
    return i;
}

/* The end of the JSON value starting at t[i] (the text was validated). */
static size_t json_value_end(const uint8_t *t, size_t n, size_t i)
{
    unsigned depth = 0;
    bool in_string = false;
    for (; i < n; i++) {
        uint8_t ch = t[i];
        if (in_string) {
            if (ch == '\\') {
                i++;
            } else if (ch == '"') {
                in_string = false;
                if (!depth)
                    return i + 1;
            }
        } else if (ch == '"') {
            in_string = true;
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            if (!depth)
                return i;         /* a scalar's end: the enclosing object's */
            if (!--depth)
                return i + 1;
        } else if (!depth && (ch == ',' || json_ws(ch))) {
            return i;
        }
    }
    return n;
}

/* A record's route: 1 with *conn_no and *value set (the member "frame"),
 * 0 when it names no connection, -1 when it names one without a frame or
 * with a bad number (*at: the offending byte). */
static int record_route(aeh_span text, unsigned *conn_no, aeh_span *value, size_t *at)
{
    const uint8_t *t = text.p;
    size_t n = text.n, i = json_skip_ws(t, n, 0);
    bool has_conn = false, has_frame = false;
    if (i >= n || t[i] != '{')
        return 0;
    for (i = json_skip_ws(t, n, i + 1); i < n && t[i] == '"';) {
        size_t key = i + 1, key_end = key;
        while (key_end < n && t[key_end] != '"' && t[key_end] != '\\')
            key_end++;
        if (key_end >= n || t[key_end] != '"')
            return 0;             /* an escaped name: not one of ours */
        size_t v = json_skip_ws(t, n, json_skip_ws(t, n, key_end + 1) + 1);
        size_t v_end = json_value_end(t, n, v);
        size_t key_len = key_end - key;
        if (key_len == 4 && !memcmp(t + key, "conn", 4)) {
            unsigned long long c = 0;
            size_t d = v;
            while (d < v_end && t[d] >= '0' && t[d] <= '9' && c <= UINT_MAX)
                c = c * 10 + (unsigned)(t[d++] - '0');
            if (d == v || d != v_end || c == 0 || c > UINT_MAX) {
                *at = v;
                return -1;
            }
            *conn_no = (unsigned)c;
            has_conn = true;
        } else if (key_len == 5 && !memcmp(t + key, "frame", 5)) {
            *value = (aeh_span){ t + v, v_end - v };
            has_frame = true;
        }
        i = json_skip_ws(t, n, v_end);
        if (i < n && t[i] == ',')
            i = json_skip_ws(t, n, i + 1);
    }
    if (!has_conn)
        return 0;
    if (!has_frame) {
        *at = 0;
        return -1;
    }
    return 1;
}

static conn *conn_by_id(keep *k, unsigned id)
{
    for (conn *c = k->head; c; c = c->next)
        if (c->s.conn_id == id)
            return c;
    return NULL;
}

static size_t fan_out(keep *k, const aeh *src, const aeh_span *f, size_t n, conn *from);

/* One routed stdin record at stream offset `at`: sent, or -1 with the
 * run's end begun (a record that is not one). */
static int route_record(keep *k, aeh_span text, uint64_t at)
{
    session *s = k->s;
    unsigned id = 0;
    aeh_span value = text;
    size_t bad_at = 0;
    int routed = record_route(text, &id, &value, &bad_at);
    aeh_error e = { 0 };
    if (routed < 0) {
        cli_say("stdin: malformed data at byte %llu: a record naming \"conn\" needs a positive "
                "connection number and a \"frame\"", (unsigned long long)(at + bad_at));
        end_finish(s, EXIT_DATAERR, true);
        return -1;
    }
    /* the record (or its frame) as the records decoder sees it alone */
    aeh_dstate st = { 0 };
    aeh_span frame = value;
    size_t used = 0;
    if (s->in_codec != k->routed &&
        s->in_codec->decode(s->in_codec, &st, value.p, value.n, true, &frame, &used, &e) != AEH_DEC_FRAME) {
        cli_say("stdin: malformed data at byte %llu: %s",
                (unsigned long long)(at + (size_t)(value.p - text.p) + e.offset), e.msg);
        aeh_buf_free(&st.out);
        end_finish(s, EXIT_DATAERR, true);
        return -1;
    }
    if (!routed) {
        size_t ok = fan_out(k, NULL, &frame, 1, NULL);
        if (!ok) {
            s->in_frame_at = at;
            s->frames_sent++;
            relay_send_refused(s, &k->refusal);
        }
    } else {
        conn *c = conn_by_id(k, id);
        if (!c || !c->relaying || c->dead || !c->s.net) {
            if (s->cfg->verbose)
                cli_say("stdin: the record at byte %llu names conn %u, which is not open: dropped",
                        (unsigned long long)at, id);
        } else if (relay_push_batch(&c->s, c->s.net, c->s.send_codec, NULL, &frame, 1, &e) == 0) {
            s->in_frame_at = at;
            s->frames_sent++;
            relay_send_refused(s, &e);
        } else {
            c->s.frames_sent++;
            if (c->s.net && aeh_wbuf_len(c->s.net) > RELAY_HIGH_WATER)
                over_high(k, c);
        }
    }
    aeh_buf_free(&st.out);
    return s->finishing ? -1 : 0;
}

static size_t stdin_frames(aeh *h, const aeh_span *f, size_t n, void *arg)
{
    session *s = arg;
    keep *k = s->hub;
    if (s->cfg->verbose >= 2)
        for (size_t i = 0; i < n; i++)
            cli_say("> frame %llu, %zu bytes", (unsigned long long)(s->frames_sent + i + 1), f[i].n);
    if (k->routed) {
        /* a text's own offset: its frame's start is that of the blanks before it */
        aeh_span unread = aeh_rbuf(h);
        for (size_t i = 0; i < n; i++) {
            uint64_t at = f[i].p >= unread.p && f[i].p < unread.p + unread.n
                        ? aeh_batch_offset(h, 0) + (uint64_t)(f[i].p - unread.p) : aeh_batch_offset(h, i);
            if (route_record(k, f[i], at) < 0)
                return i + 1;
            s->frames_sent++;
        }
        stdin_update(k);
        return n;
    }
    size_t ok = fan_out(k, h, f, n, NULL);
    s->frames_sent += ok;
    if (ok < n) {
        s->frames_sent++;
        s->in_frame_at = aeh_batch_offset(h, ok);
        relay_send_refused(s, &k->refusal);
        return ok + 1;
    }
    stdin_update(k);
    return n;
}

/* ------------------------------------------------------------ fan-in */

/* --tag: the record's start, from the connection's number and address. */
static void make_tag(keep *k, conn *c, const struct sockaddr *peer, socklen_t len)
{
    char host[100] = "", port[16] = "", where[130];
    if (peer->sa_family == AF_UNIX ||
        aeh_addr_numeric(peer, len, host, sizeof host, port, sizeof port) < 0)
        snprintf(where, sizeof where, "unix");
    else
        snprintf(where, sizeof where, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
    char tag[160];
    int n = k->json_tag ? snprintf(tag, sizeof tag, "{\"conn\":%u,\"peer\":\"%s\",\"frame\":",
                                   c->s.conn_id, where)
                        : snprintf(tag, sizeof tag, "%u\t%s\t", c->s.conn_id, where);
    c->tag = n > 0 && (size_t)n < sizeof tag ? strdup(tag) : NULL;
    c->tag_len = c->tag ? (size_t)n : 0;
}

/* One frame as a tagged record on stdout: 0, or -1 with *e (the records
 * cannot carry it). */
static int push_tagged(keep *k, conn *c, aeh_span f, aeh_error *e)
{
    session *s = k->s;
    aeh_buf *r = &k->record;
    aeh_buf_clear(r);
    if (s->out_codec->encode(s->out_codec, f.p, f.n, r, e) < 0)
        return -1;
    size_t len = aeh_buf_len(r);
    const uint8_t *p = aeh_buf_data(r);
    aeh_push_write(s->out, c->tag, c->tag_len);
    if (k->json_tag && len && p[len - 1] == '\n') {
        aeh_push_write(s->out, p, len - 1);   /* the frame's JSON, then the object's end */
        aeh_push_write(s->out, "}\n", 2);
    } else {
        aeh_push_write(s->out, p, len);
    }
    return 0;
}

/* frames[0, n) of c's batch (from its handle h) to stdout: how many went
 * (fewer: *e says why the next could not). */
static size_t to_stdout(keep *k, conn *c, const aeh *h, const aeh_span *f, size_t n, aeh_error *e)
{
    session *s = k->s;
    if (!s->cfg->tag) {
        long queued = relay_push_batch(s, s->out, s->out_codec, h, f, n, e);
        return queued < 0 ? n : (size_t)queued;
    }
    for (size_t i = 0; i < n; i++)
        if (push_tagged(k, c, f[i], e) < 0)
            return i;
    return n;
}

static size_t conn_frames(aeh *h, const aeh_span *f, size_t n, void *arg)
{
    conn *c = conn_of(arg);
    keep *k = c->s.hub;
    session *s = k->s;
    const cli_cfg *cfg = s->cfg;
    if (cfg->verbose >= 2)
        for (size_t i = 0; i < n; i++)
            cli_say_in(c->s.label, "< frame %llu, %zu bytes", (unsigned long long)(c->s.frames_recv + i + 1),
                       f[i].n);
    if (!s->out || s->finishing) {   /* the run's answer is in: the rest is not wanted */
        c->s.frames_recv += n;
        return n;
    }
    bool last = false;
    size_t want = relay_frames_wanted(s, f, n, &last);
    aeh_error e;
    size_t went = to_stdout(k, c, h, f, want, &e);
    s->frames_recv += went;
    c->s.frames_recv += went;
    if (cfg->broker && went)
        fan_out(k, h, f, went, c);  /* the wire's frames re-encode as they were decoded */
    if (went < want) {
        c->s.frames_recv++;
        c->s.net_frame_at = aeh_batch_offset(h, went);
        relay_out_refused(&c->s, &e);
        return went + 1;
    }
    if (last) {
        if (cfg->verbose)
            cli_say("%s after %llu frames", cfg->count && s->frames_recv >= cfg->count
                    ? "--count reached" : "--until matched", (unsigned long long)s->frames_recv);
        end_finish(s, EXIT_OK, false);
        return want;
    }
    if (s->out && aeh_wbuf_len(s->out) > RELAY_HIGH_WATER)
        c->paused_out = true;
    if (cfg->broker && k->nover)
        c->paused_fanout = true;
    conn_read_update(c);
    return n;
}

/* A run of c's frames to stdout as they came (keep_hooks chose runs:
 * untagged, no broker, and relay_runs_ok). */
static void conn_run(aeh *h, const uint8_t *p, size_t len, uint64_t frames, void *arg)
{
    (void)h;
    conn *c = conn_of(arg);
    keep *k = c->s.hub;
    session *s = k->s;
    c->s.frames_recv += frames;
    if (!s->out || s->finishing)  /* the run's answer is in: the rest is not wanted */
        return;
    s->frames_recv += frames;
    if (aeh_push_write(s->out, p, len) < 0)
        return;                   /* stdout failed: its error ends the run */
    if (s->out && aeh_wbuf_len(s->out) > RELAY_HIGH_WATER)
        c->paused_out = true;
    conn_read_update(c);
}

/* stdout is down to its low-water mark: the connections it held read on. */
static void stdout_drained(aeh *h)
{
    session *s = aeh_user(h);
    keep *k = s->hub;
    for (conn *c = k->head; c; c = c->next)
        if (c->paused_out) {
            c->paused_out = false;
            conn_read_update(c);
        }
    end_check_done(s);
}

/* ------------------------------------------------------------ a connection's life */

static void conn_relaying(session *cs)
{
    conn *c = conn_of(cs);
    keep *k = cs->hub;
    session *s = k->s;
    c->relaying = true;
    k->relaying++;
    if (s->stdin_done && !s->cfg->no_shutdown && !s->cfg->broker)
        aeh_push_shutdown(cs->net);   /* stdin ended before it came */
    if (!k->stdin_reading && !s->stdin_done) {
        k->stdin_reading = true;
        if (s->in)
            aeh_read_batches(s->in, k->routed ? k->routed : s->in_codec, stdin_frames, s);
        else
            end_stdin_ended(s);
    }
    stdin_update(k);
}

static void conn_drained(session *cs)
{
    conn *c = conn_of(cs);
    no_longer_over(cs->hub, c);
}

static void reap(struct ev_loop *loop, ev_prepare *w, int revents);

static void conn_ended(session *cs)
{
    conn *c = conn_of(cs);
    keep *k = cs->hub;
    if (c->dead || k->closing)
        return;
    c->dead = true;
    if (c->relaying) {
        c->relaying = false;
        k->relaying--;
    }
    no_longer_over(k, c);
    stdin_update(k);
    c->next_dead = k->dead;
    k->dead = c;
    ev_prepare_start(k->s->loop, &k->reap_w);
}

static const conn_hooks hooks = {
    .frames = conn_frames, .relaying = conn_relaying, .drained = conn_drained, .ended = conn_ended,
};
/* ... and where the wire's frames go to stdout as they came, as runs */
static const conn_hooks run_hooks = {
    .frames = conn_frames, .run = conn_run, .relaying = conn_relaying, .drained = conn_drained,
    .ended = conn_ended,
};

/* -e/-c: each connection relays to its own program; only its end is the
 * listener's business. */
static const conn_hooks exec_hooks = { .ended = conn_ended };

/* A connection's last words: its exit code (-v, the log), freed. */
static int conn_free(keep *k, conn *c)
{
    session *s = k->s;
    if (c->prev)
        c->prev->next = c->next;
    else
        k->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        k->tail = c->prev;
    if (s->cfg->verbose) {
        int code = c->s.exit_code < 0 ? EXIT_OK : c->s.exit_code;
        char dropped[64] = "";
        if (c->dropped)
            snprintf(dropped, sizeof dropped, ", %llu frames dropped (--slow drop)",
                     (unsigned long long)c->dropped);
        cli_say_in(c->s.label, "closed: %s%s", code ? cli_exit_class(code) : "ok", dropped);
    }
    int code = session_conn_close(&c->s);
    s->bytes_sent += c->s.bytes_sent;
    s->bytes_recv += c->s.bytes_recv;
    k->live--;
    free(c->tag);
    free(c);
    return code;
}

static bool accepts_left(const keep *k)
{
    const cli_cfg *cfg = k->s->cfg;
    return !cfg->max_accepts || k->accepted < cfg->max_accepts;
}

static void reap(struct ev_loop *loop, ev_prepare *w, int revents)
{
    (void)revents;
    keep *k = w->data;
    session *s = k->s;
    ev_prepare_stop(loop, w);
    while (k->dead) {
        conn *c = k->dead;
        k->dead = c->next_dead;
        int code = conn_free(k, c);
        k->ended++;
        if (code && !k->first_failure)
            k->first_failure = code;
    }
    const cli_cfg *cfg = s->cfg;
    if (s->finishing) {
        end_check_done(s);
        return;
    }
    if (cfg->max_accepts && k->ended >= cfg->max_accepts) {
        if (cfg->verbose)
            cli_say("--max-accepts %llu: all connections ended", (unsigned long long)cfg->max_accepts);
        end_finish(s, k->first_failure, false);
        return;
    }
    if (k->live < cfg->max_conns && !s->accept_paused)
        session_accepting(s, true);
}

static void accept_conn(session *s, int fd, const struct sockaddr *peer, socklen_t len)
{
    keep *k = s->hub;
    const cli_cfg *cfg = s->cfg;
    conn *c = calloc(1, sizeof *c);
    if (!c) {
        cli_say("accept: %s", strerror(ENOMEM));
        close(fd);
        return;
    }
    k->accepted++;
    k->live++;
    int rc = session_conn_open(&c->s, s, (unsigned)k->accepted, cfg->exec_argv ? &exec_hooks
                                                                : k->runs ? &run_hooks : &hooks);
    c->prev = k->tail;
    if (k->tail)
        k->tail->next = c;
    else
        k->head = c;
    k->tail = c;
    if (log_on()) {
        aeh_buf b = { 0 };
        log_begin(&b, "accept");
        log_conn(&b, &c->s);
        log_addr(&b, peer, len);
        log_end(&b);
    }
    if (cfg->tag)
        make_tag(k, c, peer, len);
    if (!accepts_left(k)) {       /* --max-accepts: no more; later clients are refused */
        session_close_listeners(s);
    } else if (k->live >= cfg->max_conns) {
        session_accepting(s, false);
    }
    if (rc >= 0)
        close(fd);
    else
        rc = session_conn_start(&c->s, fd, peer, len);
    if (rc >= 0) {
        c->s.exit_code = rc;
        conn_ended(&c->s);
    }
}

/* ------------------------------------------------------------ the listener's transport
 * What the end-of-stream policy (end.c) asks of the listener. */

static bool keep_pending(const session *s, bool wire_too)
{
    (void)wire_too;
    const keep *k = s->hub;
    return (s->out && aeh_wbuf_len(s->out)) || k->live > 0;
}

static bool keep_wire_unsent(const session *s)
{
    const keep *k = s->hub;
    for (const conn *c = k->head; c; c = c->next)
        if (c->s.net && aeh_wbuf_len(c->s.net))
            return true;
    return false;
}

static void keep_stdin_flow(const session *s, const aeh *net, stdin_flow *f)
{
    (void)net;
    if (s->in)
        f->taken = aeh_bytes_read(s->in);
}

static bool keep_wire_open(const session *s)
{
    (void)s;
    return true;                  /* later connections too: each is half-closed as it comes */
}

static void keep_shutdown(session *s)
{
    keep *k = s->hub;
    if (s->cfg->broker)           /* the clients still speak to each other */
        return;
    for (conn *c = k->head; c; c = c->next)
        if (c->relaying && c->s.net)
            aeh_push_shutdown(c->s.net);
}

/* The run ends: no more accepts, stdin no longer read; each connection
 * flushes what it has (close_notify under TLS) and closes. */
static void keep_finish(session *s, int code)
{
    (void)code;
    keep *k = s->hub;
    session_accepting(s, false);
    ev_timer_stop(s->loop, &s->accept_w);
    if (s->in)
        aeh_read_frames(s->in, NULL, NULL, NULL);
    for (conn *c = k->head; c; c = c->next)
        if (!c->dead)
            end_finish(&c->s, EXIT_OK, true);
}

static void keep_close(session *s)
{
    keep *k = s->hub;
    const cli_cfg *cfg = s->cfg;
    ev_prepare_stop(s->loop, &k->reap_w);
    uint64_t conns = k->accepted;
    k->closing = true;
    /* -e/-c: the programs still running all get SIGTERM at once, then
     * each is waited for (SIGKILL after the grace) */
    for (conn *c = k->head; c; c = c->next)
        child_stop(&c->s);
    while (k->head)
        conn_free(k, k->head);
    aeh_destroy(s->in);
    aeh_destroy(s->out);
    s->in = s->out = NULL;
    if (cfg->stats) {
        double t = ev_time() - s->t_start;
        cli_say("stats: %llu connections; sent %llu bytes, received %llu bytes; %llu frames from stdin, "
                "%llu frames to stdout, in %.3f s",
                (unsigned long long)conns, (unsigned long long)s->bytes_sent,
                (unsigned long long)s->bytes_recv, (unsigned long long)s->frames_sent,
                (unsigned long long)s->frames_recv, t);
    }
    aeh_buf_free(&k->record);
    if (k->routed != s->in_codec)
        aeh_codec_free(k->routed);
    free(k);
    s->hub = NULL;
}

static const transport keep_transport = {
    .pending = keep_pending, .wire_unsent = keep_wire_unsent, .stdin_flow = keep_stdin_flow,
    .wire_open = keep_wire_open, .shutdown = keep_shutdown, .finish = keep_finish, .close = keep_close,
};

/* Each connection holds a descriptor (with -e/-c five: the socket and
 * both ends of the program's two pipes until it starts): the soft limit
 * (often 1024) is raised toward --max-conns, as far as the hard limit lets
 * it. */
static void raise_fd_limit(const cli_cfg *cfg)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)cfg->max_conns * (cfg->exec_argv ? 5 : 1) + 64;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ? rl.rlim_max : want;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && cfg->verbose)
        cli_say("-k: cannot raise the open files limit: %s", strerror(errno));
}

int keep_open(session *s)
{
    keep *k = calloc(1, sizeof *k);
    if (!k) {
        cli_say("-k: %s", strerror(ENOMEM));
        return EXIT_IOERR;
    }
    k->s = s;
    /* JSON records (strings, JSON texts, RESP values as JSON): tagged as objects */
    aeh_codec_kind out = s->out_codec->kind;
    k->json_tag = s->cfg->tag && (out == AEH_CODEC_KIND_JSON_STRINGS || out == AEH_CODEC_KIND_JSON ||
                                  out == AEH_CODEC_KIND_RESP_JSON);
    if (s->cfg->tag && (s->in_codec->kind == AEH_CODEC_KIND_JSON_STRINGS ||
                        s->in_codec->kind == AEH_CODEC_KIND_JSON)) {
        /* whole JSON texts first, each then routed (a JSON wire's records
         * are its frames already) */
        aeh_error e;
        k->routed = s->in_codec->kind == AEH_CODEC_KIND_JSON ? s->in_codec : aeh_codec_json(0, &e);
        if (!k->routed) {
            cli_say("-k: %s", e.msg);
            free(k);
            return EXIT_IOERR;
        }
        k->routed->max_frame = s->in_codec->max_frame ? 8 * s->in_codec->max_frame + 64 : 0;
    }
    ev_prepare_init(&k->reap_w, reap);
    k->reap_w.data = k;
    s->hub = k;
    s->transport = &keep_transport;
    s->on_accept = accept_conn;
    raise_fd_limit(s->cfg);
    if (s->cfg->exec_argv)        /* each connection has its program: stdin and stdout are not used */
        return -1;
    int rc = relay_stdio_open(s);
    if (rc >= 0) {
        aeh_destroy(s->out);
        s->out = NULL;
        s->transport = NULL;
        s->on_accept = NULL;
        if (k->routed != s->in_codec)
            aeh_codec_free(k->routed);
        free(k);
        s->hub = NULL;
        return rc;
    }
    aeh_on_drain(s->out, stdout_drained);
    /* the records are what stdin decoded and the wires' frames: checked once */
    aeh_codec_trust(s->out_codec, s->recv_codec);
    aeh_codec_trust(s->send_codec, s->in_codec);
    k->runs = !s->cfg->tag && !s->cfg->broker && relay_runs_ok(s, s->out_codec);
    return -1;
}
