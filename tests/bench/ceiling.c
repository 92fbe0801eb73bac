/* SPDX-License-Identifier: MIT */
/* ceiling: the bare C read-cut-write loop with no event loop and no library,
 * the machine's ceiling for the framed benchmarks (tests/bench/run.sh).
 *   ceiling decode TYPE -L READYFILE
 *       listen on 127.0.0.1 port 0 (writes "listening 127.0.0.1 PORT\n" to
 *       READYFILE), accept one connection, read it with 1 MiB reads, cut it
 *       into TYPE frames, write each frame + "\n" to stdout with 256 KiB writes;
 *       a netstring or packstring payload that holds a "\n" is refused, as
 *       aecat must refuse it (a line record cannot carry it): the same work
 *   ceiling encode TYPE HOST PORT
 *       read stdin with 1 MiB reads, cut it into lines ("\n"; a last line
 *       without one counts), write each as a TYPE frame to the connection
 *       with 256 KiB writes; shutdown(SHUT_WR) at EOF, wait for the peer to close
 * TYPE: line (reading: \r?\n, stripped; writing: \n), netstring, packstring:N
 * (len:u32be: the same wire, a 4-byte big-endian length, so the same loop)
 * Malformed input: a message and exit 65.
 * Build: cc -O2 -o ceiling ceiling.c */
#define _GNU_SOURCE
#define BENCH_PROG "ceiling"
#include "bench_util.h"
#include <stdint.h>

enum { CHUNK = 1 << 20, OUTSZ = 256 << 10 };   /* read size; write size */
enum type { LINE, NETSTRING, PACK_N };

static void bad(const char *what)
{
    fprintf(stderr, "ceiling: malformed data: %s\n", what);
    exit(65);
}

/* ------------------------------------------------------------ output buffer */
typedef struct { int fd; char *p; size_t n; } out_t;

static inline void out_put2(out_t *o, const void *a, size_t an, const void *b, size_t bn,
                            const void *c, size_t cn)
{
    size_t need = an + bn + cn;
    if (o->n + need > OUTSZ) {
        write_all(o->fd, o->p, o->n);
        o->n = 0;
        if (need > OUTSZ) {   /* a huge frame: straight out */
            write_all(o->fd, a, an);
            write_all(o->fd, b, bn);
            write_all(o->fd, c, cn);
            return;
        }
    }
    memcpy(o->p + o->n, a, an);
    memcpy(o->p + o->n + an, b, bn);
    memcpy(o->p + o->n + an + bn, c, cn);
    o->n += need;
}

/* ------------------------------------------------------------ input buffer */
typedef struct { int fd; char *p; size_t cap, head, tail; int eof; } in_t;

/* Keeps the unconsumed bytes, reads more; returns 0 at EOF. */
static int in_fill(in_t *in)
{
    if (in->head) {
        memmove(in->p, in->p + in->head, in->tail - in->head);
        in->tail -= in->head;
        in->head = 0;
    }
    if (in->cap - in->tail < CHUNK / 2) {
        in->cap *= 2;
        if (!(in->p = realloc(in->p, in->cap)))
            die("realloc");
    }
    size_t n = read_some(in->fd, in->p + in->tail, in->cap - in->tail);
    in->tail += n;
    return n > 0;
}

/* ------------------------------------------------------------ decode */
static int decode(enum type t, int fd)
{
    in_t in = { fd, malloc(2 * CHUNK), 2 * CHUNK, 0, 0, 0 };
    out_t out = { 1, malloc(CHUNK), 0 };
    size_t scan = 0;   /* line: bytes of the current frame already searched */
    int more = 1;
    while (more) {
        more = in_fill(&in);
        for (;;) {
            char *p = in.p + in.head;
            size_t avail = in.tail - in.head;
            if (t == LINE) {
                char *nl = memchr(p + scan, '\n', avail - scan);
                if (!nl) {
                    scan = avail;
                    if (!more && avail) {   /* a last line without "\n" */
                        out_put2(&out, p, avail, "\n", 1, "", 0);
                        in.head = in.tail;
                    }
                    break;
                }
                size_t len = (size_t)(nl - p);
                size_t flen = len && p[len - 1] == '\r' ? len - 1 : len;
                out_put2(&out, p, flen, "\n", 1, "", 0);
                in.head += len + 1;
                scan = 0;
            } else if (t == NETSTRING) {
                size_t i = 0, len = 0;
                while (i < avail && i < 10 && p[i] >= '0' && p[i] <= '9')
                    len = len * 10 + (size_t)(p[i++] - '0');
                if (i == avail) {
                    if (!more && avail)
                        bad("netstring: truncated");
                    break;
                }
                if (i == 0 || p[i] != ':' || (p[0] == '0' && i > 1))
                    bad("netstring: bad length");
                if (avail < i + 1 + len + 1) {
                    if (!more)
                        bad("netstring: truncated");
                    break;
                }
                if (p[i + 1 + len] != ',')
                    bad("netstring: missing ','");
                if (len && memchr(p + i + 1, '\n', len))
                    bad("netstring: a payload with \"\\n\" cannot be a line");
                out_put2(&out, p + i + 1, len, "\n", 1, "", 0);
                in.head += i + 1 + len + 1;
            } else {
                if (avail < 4) {
                    if (!more && avail)
                        bad("packstring: truncated");
                    break;
                }
                const unsigned char *u = (const unsigned char *)p;
                size_t len = (size_t)u[0] << 24 | (size_t)u[1] << 16 | (size_t)u[2] << 8 | u[3];
                if (avail < 4 + len) {
                    if (!more)
                        bad("packstring: truncated");
                    break;
                }
                if (len && memchr(p + 4, '\n', len))
                    bad("packstring: a payload with \"\\n\" cannot be a line");
                out_put2(&out, p + 4, len, "\n", 1, "", 0);
                in.head += 4 + len;
            }
        }
    }
    write_all(1, out.p, out.n);
    return 0;
}

/* ------------------------------------------------------------ encode */
/* "N:" for a netstring head, without printf; returns its length. */
static size_t ns_head(char *dst, size_t n)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do
        tmp[--i] = (char)('0' + n % 10);
    while (n /= 10);
    size_t len = sizeof tmp - i;
    memcpy(dst, tmp + i, len);
    dst[len] = ':';
    return len + 1;
}

static int encode(enum type t, int sock)
{
    in_t in = { 0, malloc(2 * CHUNK), 2 * CHUNK, 0, 0, 0 };
    out_t out = { sock, malloc(CHUNK), 0 };
    size_t scan = 0;
    int more = 1;
    while (more) {
        more = in_fill(&in);
        for (;;) {
            char *p = in.p + in.head;
            size_t avail = in.tail - in.head;
            char *nl = memchr(p + scan, '\n', avail - scan);
            size_t len, used;
            if (nl) {
                len = (size_t)(nl - p);
                used = len + 1;
            } else if (!more && avail) {
                len = used = avail;
            } else {
                scan = avail;
                break;
            }
            scan = 0;
            if (t == LINE) {
                out_put2(&out, p, len, "\n", 1, "", 0);
            } else if (t == NETSTRING) {
                char hdr[24];
                out_put2(&out, hdr, ns_head(hdr, len), p, len, ",", 1);
            } else {
                unsigned char hdr[4] = { (unsigned char)(len >> 24), (unsigned char)(len >> 16),
                                         (unsigned char)(len >> 8), (unsigned char)len };
                out_put2(&out, hdr, 4, p, len, "", 0);
            }
            in.head += used;
        }
    }
    write_all(sock, out.p, out.n);
    shut_and_drain(sock);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3) {
        enum type t;
        if (!strcmp(argv[2], "line"))
            t = LINE;
        else if (!strcmp(argv[2], "netstring"))
            t = NETSTRING;
        else if (!strcmp(argv[2], "packstring:N") || !strcmp(argv[2], "len:u32be"))
            t = PACK_N;
        else {
            fprintf(stderr, "ceiling: unknown type '%s' (line, netstring, packstring:N, len:u32be)\n", argv[2]);
            return 2;
        }
        if (argc == 5 && !strcmp(argv[1], "decode") && !strcmp(argv[3], "-L"))
            return decode(t, listen_ready(argv[4]));
        if (argc == 5 && !strcmp(argv[1], "encode"))
            return encode(t, connect_to(argv[3], argv[4]));
    }
    fprintf(stderr, "usage: ceiling decode TYPE -L READYFILE | ceiling encode TYPE HOST PORT\n");
    return 2;
}
