/* SPDX-License-Identifier: MIT */
/* --json-log FILE: one JSON object per line for each thing that happened
 * (resolve, connect, listen/accept, tls, each dialog step, starttls), then
 * a "result" object.  Every object has "t" (ms since start, monotonic),
 * "time" (wall clock, RFC 3339 UTC, to match other logs) and "event"; the
 * fields of each event are documented in aecat(1), JSON LOG,
 * and only ever added to.  Strings go through the json-strings codec: a
 * text that is not UTF-8 becomes {"base64":"..."}, never garbled. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "log.h"

static struct {
    int fd;                       /* -1: no log */
    bool own;                     /* we opened it */
    const char *name;             /* as given, for messages */
    bool failed;                  /* a write failed: told once, nothing more written */
    double t0;
    aeh_codec *str;               /* JSON strings */
    int attempt;
    char last_error[1024];        /* the last line cli_say printed */
    uint64_t bytes[2], frames[2]; /* the last attempt's, sent and received */
} L = { .fd = -1 };

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* cli_say's lines: the last one is the result event's error. */
static void log_note_error(const char *line)
{
    snprintf(L.last_error, sizeof L.last_error, "%s", line);
}

int log_open(const cli_cfg *c)
{
    L.t0 = mono();
    cli_say_tee(log_note_error);
    if (!c->json_log)
        return -1;
    aeh_error e;
    L.str = aeh_codec_json_strings(&e);
    if (!L.str) {
        cli_say("--json-log: %s", e.msg);
        return EXIT_IOERR;
    }
    L.name = c->json_log;
    int rc = cli_open_output("--json-log", c->json_log, &L.fd, &L.own);
    if (rc >= 0)
        L.fd = -1;
    return rc;
}

void log_close(void)
{
    if (L.own)
        close(L.fd);
    L.fd = -1;
    aeh_codec_free(L.str);
    L.str = NULL;
}

bool log_on(void) { return L.fd >= 0; }

bool log_failed(void) { return L.failed; }

void log_attempt(int n) { L.attempt = n; }

/* ,"key":"value" (or {"base64":...}) */
void log_str(aeh_buf *b, const char *key, const void *p, size_t n)
{
    char head[80];
    int k = snprintf(head, sizeof head, ",\"%s\":", key);
    aeh_buf_append(b, head, (size_t)k);
    size_t before = aeh_buf_len(b);
    aeh_error e;
    if (L.str->encode(L.str, p, n, b, &e) < 0) {
        b->tail = b->head + before;
        aeh_buf_append(b, "null", 4);
        return;
    }
    b->tail--;                    /* the records' "\n" */
}

void log_cstr(aeh_buf *b, const char *key, const char *s)
{
    log_str(b, key, s, strlen(s));
}

/* ,"key":NUMBER or any raw JSON, formatted */
void log_raw(aeh_buf *b, const char *key, const char *fmt, ...)
{
    char v[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof v, fmt, ap);
    va_end(ap);
    char head[80];
    int k = snprintf(head, sizeof head, ",\"%s\":", key);
    aeh_buf_append(b, head, (size_t)k);
    aeh_buf_append(b, v, strlen(v));
}

/* The wall clock as RFC 3339 UTC with milliseconds: 2026-12-07T08:14:01.123Z */
static void wall_time(char *out, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, size - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* Starts an event: {"t":...,"time":"...","event":"NAME"[,"attempt":N] */
void log_begin(aeh_buf *b, const char *event)
{
    char head[160], now[40];
    wall_time(now, sizeof now);
    int k = snprintf(head, sizeof head, "{\"t\":%.3f,\"time\":\"%s\",\"event\":\"%s\"",
                     (mono() - L.t0) * 1000, now, event);
    aeh_buf_append(b, head, (size_t)k);
    if (L.attempt)
        log_raw(b, "attempt", "%d", L.attempt);
}

/* Ends it and writes the line (in one write, so lines never interleave).
 * A log that cannot be written does not stop the data: the failure is told
 * once, the log stops there (no line cut in the middle of it follows) and
 * the run's exit status says it (cli_run). */
void log_end(aeh_buf *b)
{
    aeh_buf_append(b, "}\n", 2);
    int err = L.failed ? 0 : cli_write_all(L.fd, aeh_buf_data(b), aeh_buf_len(b));
    if (err) {
        L.failed = true;
        cli_say("--json-log: cannot write to %s: %s", L.name, strerror(err));
    }
    aeh_buf_free(b);
}

/* The address part of an event: "address":"127.0.0.1","port":80 (or a
 * Unix socket's path). */
void log_addr(aeh_buf *b, const struct sockaddr *sa, socklen_t len)
{
    char host[200], port[16];
    if (aeh_addr_numeric(sa, len, host, sizeof host, port, sizeof port) == 0) {
        log_cstr(b, "address", host);
        log_raw(b, "port", "%s", port);
    } else {
        char any[200];
        log_cstr(b, "address", aeh_addr_str(sa, len, any, sizeof any));
    }
}

/* "tls": the session, the peer's strings as their bytes (JSON-escaped). */
void log_tls(const session *s, aeh *h)
{
    aeh_tls_info info;
    if (aeh_tls_get_info(h, &info) < 0)
        return;
    aeh_buf b = { 0 };
    log_begin(&b, "tls");
    log_conn(&b, s);
    log_cstr(&b, "version", info.version);
    log_cstr(&b, "cipher", info.cipher);
    if (info.has_alpn)
        log_str(&b, "alpn", info.alpn, info.alpn_len);
    else
        log_cstr(&b, "alpn", "none");
    if (info.accepting) {
        if (info.has_sni)
            log_str(&b, "sni", info.sni, info.sni_len);
        else
            log_cstr(&b, "sni", "none");
    }
    if (info.peer_pin[0])
        log_cstr(&b, "peer_pin", info.peer_pin);
    log_cstr(&b, "verification", aeh_tls_verification_str(info.verification));
    aeh_buf certs = { 0 };
    for (unsigned i = 0; i < info.ncerts; i++) {
        const aeh_tls_cert_info *ci = &info.certs[i];
        aeh_buf text = { 0 }, one = { 0 };
        char head[32], tail[100];
        int hn = snprintf(head, sizeof head, "%u: subject ", i);
        int tn = snprintf(tail, sizeof tail, "; valid from %s to %s", ci->valid_from, ci->valid_to);
        aeh_buf_append(&text, head, (size_t)hn);
        aeh_buf_append(&text, ci->subject, ci->subject_len);
        aeh_buf_append(&text, "; issuer ", 9);
        aeh_buf_append(&text, ci->issuer, ci->issuer_len);
        aeh_buf_append(&text, tail, (size_t)tn);
        log_str(&one, "x", aeh_buf_data(&text), aeh_buf_len(&text));
        /* ,"x":"..." -> the string alone, into the array */
        aeh_buf_append(&certs, i ? "," : "", i ? 1 : 0);
        aeh_buf_append(&certs, (const char *)aeh_buf_data(&one) + 5, aeh_buf_len(&one) - 5);
        aeh_buf_free(&text);
        aeh_buf_free(&one);
    }
    aeh_buf_append(&b, ",\"peer_certificates\":[", 22);
    aeh_buf_append(&b, aeh_buf_data(&certs), aeh_buf_len(&certs));
    aeh_buf_append(&b, "]", 1);
    log_end(&b);
    aeh_buf_free(&certs);
}

static const char *exit_class(int code)
{
    switch (code) {
    case EXIT_OK: return "ok";
    case EXIT_EXPECT: return "expect";
    case EXIT_USAGE: return "usage";
    case EXIT_DATAERR: return "data";
    case EXIT_NOHOST: return "resolve";
    case EXIT_UNAVAILABLE: return "connect";
    case EXIT_IOERR: return "io";
    case EXIT_TEMPFAIL: return "timeout";
    case EXIT_PROTOCOL: return "protocol";
    case EXIT_CONFIG: return "config";
    default: return code > 128 ? "signal" : "other";
    }
}

/* -k: which connection an event is about ("conn": N). */
void log_conn(aeh_buf *b, const session *s)
{
    if (s->conn_id)
        log_raw(b, "conn", "%u", s->conn_id);
}

/* "close" (who ended the connection and why), once per attempt. */
void log_close_event(const session *s, int code)
{
    if (!log_on())
        return;
    aeh_buf b = { 0 };
    log_begin(&b, "close");
    log_conn(&b, s);
    log_cstr(&b, "by", s->peer_eof ? "peer" : "aecat");
    log_cstr(&b, "reason", code == EXIT_OK ? (s->peer_eof ? "end of stream" : "done") : exit_class(code));
    if (s->peer_eof && s->tls_ctx)
        log_raw(&b, "peer_close_notify", "%s", s->peer_ragged_eof ? "false" : "true");
    log_raw(&b, "bytes_sent", "%llu", (unsigned long long)s->bytes_sent);
    log_raw(&b, "bytes_received", "%llu", (unsigned long long)s->bytes_recv);
    log_raw(&b, "frames_sent", "%llu", (unsigned long long)s->frames_sent);
    log_raw(&b, "frames_received", "%llu", (unsigned long long)s->frames_recv);
    if (s->child_pid > 0) {       /* -e/-c: the program and how it ended */
        log_raw(&b, "child_pid", "%d", (int)s->child_pid);
        log_raw(&b, "child_exit", "%d", s->child_code);
    }
    log_end(&b);
    /* the result's totals: the last attempt's, or every -k connection's */
    if (!s->conn_id)
        L.bytes[0] = L.bytes[1] = L.frames[0] = L.frames[1] = 0;
    L.bytes[0] += s->bytes_sent;
    L.bytes[1] += s->bytes_recv;
    L.frames[0] += s->frames_sent;
    L.frames[1] += s->frames_recv;
}

/* The last line: how the run ended. */
void log_result(int code)
{
    if (!log_on())
        return;
    aeh_buf b = { 0 };
    log_begin(&b, "result");
    log_raw(&b, "exit", "%d", code);
    log_cstr(&b, "class", exit_class(code));
    log_raw(&b, "bytes_sent", "%llu", (unsigned long long)L.bytes[0]);
    log_raw(&b, "bytes_received", "%llu", (unsigned long long)L.bytes[1]);
    log_raw(&b, "frames_sent", "%llu", (unsigned long long)L.frames[0]);
    log_raw(&b, "frames_received", "%llu", (unsigned long long)L.frames[1]);
    log_raw(&b, "duration_ms", "%.3f", (mono() - L.t0) * 1000);
    if (code)
        log_cstr(&b, "message", L.last_error);
    log_end(&b);
}
