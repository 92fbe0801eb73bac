/* SPDX-License-Identifier: MIT */
/* Messages: one line on stderr each, held while an attempt may still be
 * retried; and the exit code a library error maps to.  A leaf: calls
 * nothing of the CLI (the JSON log hears each line through cli_say_tee). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

static void (*say_tee)(const char *line);

void cli_say_tee(void (*fn)(const char *line)) { say_tee = fn; }

static bool held;
static aeh_buf held_lines;        /* "line\n"..., without the "aecat: " */

void cli_escape_controls(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (; *in && o + 5 < cap; in++) {
        unsigned char ch = (unsigned char)*in;
        if (ch >= 0x20 && ch != 0x7f) {
            out[o++] = (char)ch;
            continue;
        }
        const char *e = ch == '\n' ? "\\n" : ch == '\r' ? "\\r" : ch == '\t' ? "\\t" : NULL;
        o += (size_t)(e ? snprintf(out + o, cap - o, "%s", e) : snprintf(out + o, cap - o, "\\x%02x", ch));
    }
    out[o] = 0;
}

static void say_line(const char *label, const char *fmt, va_list ap)
{
    char raw[1024], line[1024];
    size_t at = label && *label ? (size_t)snprintf(raw, sizeof raw, "%s: ", label) : 0;
    if (at >= sizeof raw)
        at = 0;
    vsnprintf(raw + at, sizeof raw - at, fmt, ap);
    cli_escape_controls(raw, line, sizeof line);
    if (say_tee)
        say_tee(line);
    if (held && aeh_buf_append(&held_lines, line, strlen(line)) == 0 &&
        aeh_buf_append(&held_lines, "\n", 1) == 0)
        return;
    fprintf(stderr, "aecat: %s\n", line);
}

void cli_say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say_line(NULL, fmt, ap);
    va_end(ap);
}

void cli_say_in(const char *label, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say_line(label, fmt, ap);
    va_end(ap);
}

static void held_print(const char *prefix, int n, const char *suffix)
{
    if (!aeh_buf_len(&held_lines))
        return;
    const char *p = (const char *)aeh_buf_data(&held_lines), *end = p + aeh_buf_len(&held_lines);
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        int len = (int)((nl ? nl : end) - p);
        const char *after = nl && nl + 1 >= end && suffix ? suffix : "";
        if (prefix)
            fprintf(stderr, "aecat: %s%d: %.*s%s\n", prefix, n, len, p, after);
        else
            fprintf(stderr, "aecat: %.*s%s\n", len, p, after);
        p = nl ? nl + 1 : end;
    }
    aeh_buf_free(&held_lines);
}

void cli_hold_end(const char *suffix)
{
    held_print(NULL, 0, suffix);
    held = false;
}

void cli_hold(bool on)
{
    if (!on)
        held_print(NULL, 0, NULL);
    held = on;
}

void cli_hold_drop(const char *prefix, int n)
{
    if (prefix)
        held_print(prefix, n, NULL);
    aeh_buf_free(&held_lines);
}

int cli_exit_for(int code)
{
    switch (code) {
    case AEH_ENAME: return EXIT_NOHOST;
    case ECONNREFUSED: case EHOSTUNREACH: case ENETUNREACH: case EHOSTDOWN:
    case ENETDOWN: case EADDRNOTAVAIL: case ENOENT:
        return EXIT_UNAVAILABLE;
    case ETIMEDOUT: return EXIT_TEMPFAIL;
    case EBADMSG: case EMSGSIZE: return EXIT_DATAERR;
    case EPROTO: return EXIT_PROTOCOL;
    default: return EXIT_IOERR;
    }
}

int cli_exit_for_file(int code)
{
    return code == EMFILE || code == ENFILE ? EXIT_IOERR : EXIT_CONFIG;
}

int cli_open_output(const char *opt, const char *name, int *fd, bool *own)
{
    *own = false;
    if (!strcmp(name, "-")) {
        *fd = 2;
        return -1;
    }
    if (name[0] == '&') {
        char *end;
        long n = strtol(name + 1, &end, 10);
        if (name[1] < '0' || name[1] > '9' || *end || n > 65535 || fcntl((int)n, F_GETFD) < 0) {
            cli_say("%s: '%s' is not an open file descriptor", opt, name);
            return EXIT_USAGE;
        }
        *fd = (int)n;
        return -1;
    }
    *fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (*fd < 0) {
        int open_errno = errno;
        cli_say("%s: cannot open %s: %s", opt, name, strerror(open_errno));
        return cli_exit_for_file(open_errno);
    }
    *own = true;
    return -1;
}

int cli_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        /* stderr may share a terminal's file description with stdin,
         * which the relay made non-blocking */
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pf = { .fd = fd, .events = POLLOUT };
            if (poll(&pf, 1, -1) >= 0 || errno == EINTR)
                continue;
        }
        if (w <= 0)
            return w < 0 ? errno : EIO;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

const char *cli_exit_class(int code)
{
    switch (code) {
    case EXIT_OK: return "ok";
    case EXIT_EXPECT: return "expect not met";
    case EXIT_USAGE: return "usage error";
    case EXIT_DATAERR: return "malformed data";
    case EXIT_NOHOST: return "name not resolved";
    case EXIT_UNAVAILABLE: return "refused or unreachable";
    case EXIT_IOERR: return "I/O error";
    case EXIT_TEMPFAIL: return "timeout";
    case EXIT_PROTOCOL: return "TLS or protocol failure";
    case EXIT_CONFIG: return "configuration error";
    case EXIT_SIGPIPE: return "stdout closed";
    default: return code > 128 ? "signal" : "failed";
    }
}
