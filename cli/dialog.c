/* SPDX-License-Identifier: MIT */
/* Dialog steps (--send, --send-file, --expect, --reject, --sleep,
 * --starttls) on the wire before the relay, with the library's dialog.
 * What arrives while an expect waits goes to stdout as records, so a smoke
 * test shows what the server said.  After the last step aecat half-closes,
 * flushes and exits 0, unless --then-relay (the relay goes on) or --count /
 * --until (the frames after the steps are read until they are met). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dialog.h"
#include "relay.h"
#include "end.h"
#include "log.h"
#include "hexdump.h"

/* The user's numbering: the position among the step options, rejects
 * included, from the dialog's index (rejects are not steps of their own). */
static size_t user_step(const session *s, size_t dialog_index, const cli_step **st)
{
    const cli_cfg *c = s->cfg;
    size_t k = 0;
    for (size_t i = 0; i < c->nsteps; i++) {
        if (c->steps[i].kind == AEH_STEP_REJECT)
            continue;
        if (k++ == dialog_index) {
            *st = &c->steps[i];
            return i + 1;
        }
    }
    *st = NULL;
    return c->nsteps + 1;
}

/* "step 3 (--expect 'PONG')" */
static void step_name(const session *s, size_t dialog_index, char *out, size_t n)
{
    const cli_step *st;
    size_t no = user_step(s, dialog_index, &st);
    if (!st)
        snprintf(out, n, "after the last step");
    else
        snprintf(out, n, "step %zu (%s '%.80s')", no, st->opt, st->arg);
}

/* Printable ASCII as it is, the rest as C escapes, in double quotes. */
static void escape(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t o = aeh_escape(p, n, out + 1, cap - 2);
    out[0] = '"';
    out[o + 1] = '"';
    out[o + 2] = 0;
}

/* --json-log: {"event":"step","step":N,"kind":"expect","pattern":...,
 * "result":"skipped"|"matched"|"sent"|"done"|"agreed","data":...,"elapsed_ms":...} */
static void log_step(session *s, const aeh_dialog_event *ev)
{
    static const char *const results[] = {
        [AEH_DIALOG_SENT] = "sent", [AEH_DIALOG_FRAME] = "skipped", [AEH_DIALOG_MATCHED] = "matched",
        [AEH_DIALOG_STEP_DONE] = "done", [AEH_DIALOG_STARTTLS_GO] = "agreed",
    };
    if (ev->kind == AEH_DIALOG_STEP || ev->kind == AEH_DIALOG_TLS_DONE)
        return;                   /* a step's begin is its first line; tls has its own event */
    const cli_step *st;
    size_t no = user_step(s, ev->step, &st);
    if (!st)
        return;
    static const char *const kinds[] = {
        [AEH_STEP_SEND] = "send", [AEH_STEP_EXPECT] = "expect", [AEH_STEP_SLEEP] = "sleep",
        [AEH_STEP_STARTTLS] = "starttls",
    };
    aeh_buf b = { 0 };
    log_begin(&b, "step");
    log_conn(&b, s);
    log_raw(&b, "step", "%zu", no);
    log_cstr(&b, "kind", kinds[st->kind]);
    if (st->kind == AEH_STEP_EXPECT)
        log_cstr(&b, "pattern", st->arg);
    else if (st->kind == AEH_STEP_STARTTLS)
        log_cstr(&b, "protocol", st->arg);
    log_cstr(&b, "result", results[ev->kind]);
    if (ev->data.n || ev->kind == AEH_DIALOG_SENT || ev->kind == AEH_DIALOG_FRAME ||
        ev->kind == AEH_DIALOG_MATCHED)
        log_str(&b, "data", ev->data.p, ev->data.n);
    log_raw(&b, "elapsed_ms", "%.3f", ev->elapsed * 1000);
    log_end(&b);
}

static void on_event(aeh_dialog *d, const aeh_dialog_event *ev, void *arg)
{
    (void)d;
    session *s = arg;
    const cli_cfg *c = s->cfg;
    char name[160], text[1024];
    if (log_on())
        log_step(s, ev);
    switch (ev->kind) {
    case AEH_DIALOG_SENT:
        s->frames_sent++;
        if (c->hexdump && s->send_codec->kind != AEH_CODEC_KIND_RAW)
            hexdump_frame(AEH_BYTES_SENT, s->frames_sent, ev->data.n);
        if (c->verbose) {
            step_name(s, ev->step, name, sizeof name);
            escape(ev->data.p, ev->data.n < 200 ? ev->data.n : 200, text, sizeof text);
            cli_say_in(s->label, "%s: sent %zu bytes %s", name, ev->data.n, text);
        }
        break;
    case AEH_DIALOG_FRAME:
    case AEH_DIALOG_MATCHED:
        s->frames_recv++;
        if (c->hexdump && s->recv_codec->kind != AEH_CODEC_KIND_RAW)
            hexdump_frame(AEH_BYTES_RECV, s->frames_recv, ev->data.n);
        if (c->verbose) {
            step_name(s, ev->step, name, sizeof name);
            escape(ev->data.p, ev->data.n < 200 ? ev->data.n : 200, text, sizeof text);
            cli_say_in(s->label, "%s: %s %s after %.3f s", name,
                    ev->kind == AEH_DIALOG_MATCHED ? "matched" : "skipped", text, ev->elapsed);
        }
        if (s->out)
            aeh_push_frame(s->out, s->out_codec, ev->data.p, ev->data.n);
        else if (s->hooks && s->hooks->frames && s->net)   /* -k: the listener's stdout */
            s->hooks->frames(s->net, &ev->data, 1, s);
        break;
    case AEH_DIALOG_TLS_DONE:
        if (s->net)
            relay_tls_info(s, s->net);
        break;
    case AEH_DIALOG_STARTTLS_GO:
        if (c->verbose) {
            step_name(s, ev->step, name, sizeof name);
            cli_say_in(s->label, "%s: the peer agreed, TLS handshake", name);
        }
        break;
    }
}

static bool in_starttls(const session *s, const aeh_dialog_result *r)
{
    const cli_step *st;
    user_step(s, r->step, &st);
    return st && st->kind == AEH_STEP_STARTTLS;
}

static int fail_code(const session *s, const aeh_dialog_result *r)
{
    switch (r->status) {
    case AEH_DIALOG_CLOSED:
        /* a server that hangs up during its STARTTLS dialog refused it */
        return in_starttls(s, r) ? EXIT_PROTOCOL : EXIT_EXPECT;
    case AEH_DIALOG_REJECTED: return EXIT_EXPECT;
    case AEH_DIALOG_TIMEOUT: return EXIT_TEMPFAIL;
    case AEH_DIALOG_TLS:
    case AEH_DIALOG_REFUSED: return EXIT_PROTOCOL;
    default:
        if (r->err.op == AEH_OP_DECODE)
            return r->err.code == ENOSPC || r->err.code == EBADMSG ? EXIT_DATAERR : EXIT_IOERR;
        return r->err.op == AEH_OP_TLS ? EXIT_PROTOCOL : EXIT_IOERR;
    }
}

static void report(session *s, const aeh_dialog_result *r)
{
    const cli_cfg *c = s->cfg;
    char name[160], last[1024];
    step_name(s, r->step, name, sizeof name);
    escape(r->last.p, r->last.n, last, sizeof last);
    const char *got = r->last.n ? last : "nothing";
    switch (r->status) {
    case AEH_DIALOG_CLOSED: {
        if (in_starttls(s, r))
            cli_say_in(s->label, "starttls: %s: %s closed the connection during the upgrade; last bytes received: %s",
                    name, s->peer, got);
        else
            cli_say_in(s->label, "%s: not met: %s closed the connection first; last bytes received: %s", name, s->peer, got);
        break;
    }
    case AEH_DIALOG_REJECTED: {
        /* the rejects that waited with this expect, as the user wrote them */
        cli_say_in(s->label, "%s: --reject matched; last bytes received: %s", name, got);
        break;
    }
    case AEH_DIALOG_TIMEOUT:
        if (r->timeout_which == AEH_RTIMEOUT)
            cli_say_in(s->label, "timeout: %s: nothing received from %s for %g s (--rtimeout); last bytes received: %s",
                    name, s->peer, c->rtimeout, got);
        else if (r->timeout_which == AEH_WTIMEOUT)
            cli_say_in(s->label, "timeout: %s: could not send to %s for %g s (--wtimeout)", name, s->peer, c->wtimeout);
        else if (r->timeout_which)
            cli_say_in(s->label, "timeout: %s: no traffic with %s for %g s (-w); last bytes received: %s",
                    name, s->peer, c->wait, got);
        else
            cli_say_in(s->label, "timeout: %s: not done within %g s (--step-timeout); last bytes received: %s",
                    name, c->step_timeout, got);
        break;
    case AEH_DIALOG_TLS:
        cli_say_in(s->label, "tls: %s: handshake with %s failed: %s", name, s->peer, r->err.msg);
        break;
    case AEH_DIALOG_REFUSED:
        cli_say_in(s->label, "starttls: %s: %s: %s", name, s->peer, r->err.msg);
        break;
    default:
        if (r->err.op == AEH_OP_DECODE)
            cli_say_in(s->label, "%s: malformed data from %s at byte %llu: %s", name, s->peer,
                    (unsigned long long)r->err.offset, r->err.msg);
        else
            cli_say_in(s->label, "%s: %s: %s", name, s->peer, r->err.msg);
        break;
    }
}

static void on_done(aeh_dialog *d, const aeh_dialog_result *r, void *arg)
{
    (void)d;
    session *s = arg;
    const cli_cfg *c = s->cfg;
    if (r->status != AEH_DIALOG_OK) {
        relay_count_bytes(s);
        if (r->handle_gone)
            s->net = NULL;
        else
            relay_net_callbacks(s);
        report(s, r);
        end_finish(s, fail_code(s, r), false);
        return;
    }
    if (c->verbose)
        cli_say_in(s->label, "dialog: all %zu steps done", c->nsteps);
    relay_net_callbacks(s);
    if (c->then_relay) {
        relay_begin(s);
        return;
    }
    if (c->count || c->until) {
        /* the frames after the steps, until --count or --until: stdin has
         * nothing to add (half-close, as at its end) */
        relay_begin(s);
        return;
    }
    end_done(s);
}

static void dialog_free_commands(aeh_buf *resp, size_t n)
{
    for (size_t i = 0; resp && i < n; i++)
        aeh_buf_free(&resp[i]);
    free(resp);
}

int dialog_prepare(session *s)
{
    const cli_cfg *c = s->cfg;
    if (!c->nsteps)
        return -1;
    aeh_step *steps = calloc(c->nsteps, sizeof *steps);
    if (!steps) {
        cli_say_in(s->label, "dialog: out of memory");
        return EXIT_IOERR;
    }
    /* --send on a resp wire with json records is a command line, as a
     * stdin line would be */
    bool commands = s->in_codec->kind == AEH_CODEC_KIND_RESP_JSON;
    aeh_buf *resp = commands ? calloc(c->nsteps, sizeof *resp) : NULL;
    if (commands && !resp) {
        free(steps);
        cli_say_in(s->label, "dialog: out of memory");
        return EXIT_IOERR;
    }
    for (size_t i = 0; i < c->nsteps; i++) {
        const cli_step *cs = &c->steps[i];
        const aeh_buf *data = &cs->data;
        aeh_error e;
        if (commands && cs->kind == AEH_STEP_SEND && !cs->file) {
            if (aeh_resp_command(aeh_buf_data(data), aeh_buf_len(data), &resp[i], &e) < 0) {
                cli_say_in(s->label, "usage: %s (step %zu): not a command line: %s at byte %llu", cs->opt,
                        i + 1, e.msg, (unsigned long long)e.offset);
                dialog_free_commands(resp, c->nsteps);
                free(steps);
                return EXIT_USAGE;
            }
            data = &resp[i];
        }
        steps[i] = (aeh_step){
            .kind = cs->kind, .data = aeh_buf_data(data), .len = aeh_buf_len(data),
            .file = cs->file,
            .regex = cs->arg, .seconds = cs->seconds,
            .tls_mode = c->listen ? AEH_TLS_ACCEPT : AEH_TLS_CONNECT,
            .proto = cs->kind == AEH_STEP_STARTTLS ? cs->arg : NULL,
        };
    }
    bool raw_recv = s->recv_codec->kind == AEH_CODEC_KIND_RAW;
    bool raw_send = s->send_codec->kind == AEH_CODEC_KIND_RAW;
    aeh_dialog_opts o = {
        .recv_codec = raw_recv ? NULL : s->recv_codec,
        .send_codec = raw_send ? NULL : s->send_codec,
        .step_timeout = c->step_timeout, .tls_ctx = s->tls_ctx,
        .peername = c->servername ? c->servername : c->host,
        .starttls_reissue = c->starttls_reissue,
        .starttls_name = c->starttls_name ? c->starttls_name
                       : c->listen ? NULL : c->servername ? c->servername : c->host,
        .on_event = on_event, .on_done = on_done, .arg = s,
    };
    size_t bad;
    aeh_error e;
    s->dialog = aeh_dialog_new(steps, c->nsteps, &o, &bad, &e);
    free(steps);
    dialog_free_commands(resp, c->nsteps);
    if (s->dialog)
        return -1;
    if (e.code == ENOMEM) {
        cli_say_in(s->label, "dialog: out of memory");
        return EXIT_IOERR;
    }
    const cli_step *cs = &c->steps[bad < c->nsteps ? bad : 0];
    if (cs->kind == AEH_STEP_SEND && e.op == AEH_OP_READ) {
        cli_say_in(s->label, "%s: %s", cs->opt, e.msg);
        return cli_exit_for_file(e.code);
    }
    if (cs->kind == AEH_STEP_SEND)
        cli_say_in(s->label, "usage: %s (step %zu): cannot send it as a %s frame: %s", cs->opt, bad + 1,
                s->send_codec->name, e.msg);
    else if (cs->kind == AEH_STEP_STARTTLS)
        cli_say_in(s->label, "usage: --starttls (step %zu): %s", bad + 1, e.msg);
    else
        cli_say_in(s->label, "usage: %s '%s' (step %zu): %s at offset %llu of the pattern", cs->opt, cs->arg,
                bad + 1, e.msg, (unsigned long long)e.offset);
    return EXIT_USAGE;
}

void dialog_begin(session *s)
{
    aeh_error e;
    if (aeh_dialog_run(s->dialog, s->net, &e) < 0) {
        cli_say_in(s->label, "dialog: %s", e.msg);
        end_finish(s, EXIT_IOERR, false);
    }
}

void dialog_free(session *s)
{
    aeh_dialog_free(s->dialog);
    s->dialog = NULL;
}
