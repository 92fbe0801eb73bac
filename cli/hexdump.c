/* SPDX-License-Identifier: MIT */
/* --hexdump[=FILE]: every byte that crosses the socket, in the order the
 * reads and writes happen, as hexdump -C shows a file:
 *
 *   > 00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  |GET / HTTP/1.1..|
 *
 * ">" sent, "<" received, then the offset of the line's first byte in that
 * direction's stream.  Each read or write starts a line of its own, so a
 * line holds 1 to 16 bytes; a short one is padded so that the text column
 * lines up.  "#" lines are comments (frame boundaries); --hexdump-time puts
 * the seconds since the start, with microseconds, before every line.  A
 * dump that cannot be written is told once and stops: the data goes on,
 * and the run's exit status says so (cli_run). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "hexdump.h"

static struct {
    int fd;                       /* -1: no dump */
    bool own;                     /* we opened it */
    const char *name;             /* as given, for messages */
    bool time;                    /* --hexdump-time */
    bool failed;
    double t0;
    uint64_t off[2];              /* the next offset received, sent */
    aeh_buf out;                  /* the lines of one move, written at once */
} H = { .fd = -1 };

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int hexdump_open(const cli_cfg *c)
{
    H.t0 = mono();
    if (!c->hexdump)
        return -1;
    H.name = c->hexdump;
    H.time = c->hexdump_time;
    int rc = cli_open_output("--hexdump", c->hexdump, &H.fd, &H.own);
    if (rc >= 0)
        H.fd = -1;
    return rc;
}

void hexdump_close(void)
{
    if (H.own)
        close(H.fd);
    H.fd = -1;
    aeh_buf_free(&H.out);
}

bool hexdump_failed(void) { return H.failed; }

void hexdump_begin(void)
{
    H.off[0] = H.off[1] = 0;
}

static void stamp(void)
{
    if (H.time)
        aeh_buf_printf(&H.out, "%.6f ", mono() - H.t0);
}

static void flush(void)
{
    int err = cli_write_all(H.fd, aeh_buf_data(&H.out), aeh_buf_len(&H.out));
    aeh_buf_clear(&H.out);
    if (err) {
        H.failed = true;
        cli_say("--hexdump: cannot write to %s: %s (the dump stops here)", H.name, strerror(err));
    }
}

static char arrow(int dir) { return dir == AEH_BYTES_SENT ? '>' : '<'; }

/* One line: up to 16 bytes. */
static void dump_line(char to, uint64_t off, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char line[96], *o = line;
    stamp();
    o += snprintf(line, sizeof line, "%c %08llx  ", to, (unsigned long long)off);
    for (size_t i = 0; i < 16; i++) {
        if (i < n) {
            *o++ = hex[p[i] >> 4];
            *o++ = hex[p[i] & 15];
        } else {
            *o++ = ' ';
            *o++ = ' ';
        }
        *o++ = ' ';
        if (i == 7)
            *o++ = ' ';
    }
    *o++ = ' ';
    *o++ = '|';
    for (size_t i = 0; i < n; i++)
        *o++ = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
    *o++ = '|';
    *o++ = '\n';
    aeh_buf_append(&H.out, line, (size_t)(o - line));
}

void hexdump_bytes(aeh *h, int dir, const uint8_t *p, size_t n, void *arg)
{
    (void)h; (void)arg;
    if (H.fd < 0 || H.failed)
        return;
    uint64_t *off = &H.off[dir == AEH_BYTES_SENT];
    for (size_t i = 0; i < n; i += 16)
        dump_line(arrow(dir), *off + i, p + i, n - i < 16 ? n - i : 16);
    *off += n;
    flush();
}

void hexdump_frame(int dir, uint64_t number, size_t len)
{
    if (H.fd < 0 || H.failed)
        return;
    stamp();
    aeh_buf_printf(&H.out, "# %c frame %llu, %zu bytes\n", arrow(dir), (unsigned long long)number, len);
    flush();
}
