/* SPDX-License-Identifier: MIT */
/* libaeh: non-blocking stream handles with framing on libev.
 * A C take on Perl's AnyEvent::Handle; see man/libaeh.3. */
#ifndef AEH_H
#define AEH_H

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with -fvisibility=hidden: what this header declares
 * is its API, visible; everything else in lib/ stays inside the archive
 * (the Makefile localizes it), and the cross-file internals are named
 * aeh__ (two underscores) so that none of them can meet a user's name. */
#pragma GCC visibility push(default)

struct ev_loop;

/* ------------------------------------------------------------------ errors */

/* One error type for the whole library: an errno-style code, what was being
 * done (op) and why (reason) where the code alone does not say, the byte
 * offset in the stream where it happened (for malformed data; otherwise 0),
 * and a one-line message for people.  Codes are errno values (EBADMSG malformed data, ENOSPC
 * over a buffer or frame limit, ETIMEDOUT, EPIPE unexpected EOF, EPROTO TLS,
 * EMSGSIZE frame too long for its encoding, or the system's own) plus the
 * library's codes below, which lie outside the errno range. */
enum {
    AEH_ENAME = 10001,            /* host name could not be resolved */
};

/* What a handle (or the connector) was doing when the error happened
 * (aeh_fail sets NONE). */
enum { AEH_OP_NONE, AEH_OP_READ, AEH_OP_WRITE, AEH_OP_DECODE, AEH_OP_ENCODE, AEH_OP_TIMEOUT,
       AEH_OP_TLS, AEH_OP_CONNECT, AEH_OP_BIND };

/* Why, where the code alone does not tell (aeh_fail sets NONE).  Callers
 * classify an error by code, op and reason, never by its message. */
enum {
    AEH_REASON_NONE,
    AEH_REASON_TRUNCATED,         /* the stream ended inside a frame, or TLS without close_notify */
    AEH_REASON_REJECTED,          /* the data matched a codec's reject pattern (EBADMSG) */
};

typedef struct aeh_error {
    int code;
    int op;                       /* AEH_OP_*, set by handles and the connector */
    int reason;                   /* AEH_REASON_* */
    uint64_t offset;              /* decoders: offset into their input; handles: stream offset */
    char msg[200];
} aeh_error;

/* Fills e and returns -1, so decoders can `return aeh_fail(...)`. */
int aeh_fail(aeh_error *e, int code, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same with a va_list, for the caller's own printf-like helpers. */
int aeh_vfail(aeh_error *e, int code, uint64_t offset, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
const char *aeh_strerror(int code);   /* strerror(), extended by AEH_E* */

/* ------------------------------------------------------------------ buffer */

/* The one byte-buffer type: bytes live in base[head, tail); append at the
 * tail, consume at the head.  Memory is allocated lazily. */
typedef struct aeh_buf {
    uint8_t *base;
    size_t head, tail, cap;
} aeh_buf;

static inline size_t aeh_buf_len(const aeh_buf *b) { return b->tail - b->head; }
static inline uint8_t *aeh_buf_data(const aeh_buf *b) { return b->base ? b->base + b->head : b->base; }
/* At least n writable bytes at the tail (compacting or growing); NULL on ENOMEM. */
uint8_t *aeh_buf_reserve(aeh_buf *b, size_t n);
static inline void aeh_buf_commit(aeh_buf *b, size_t n)
{
    assert(n <= b->cap - b->tail);   /* past the reserve: a heap overflow already happened */
    b->tail += n;
}
int  aeh_buf_append(aeh_buf *b, const void *p, size_t n);   /* 0 or -ENOMEM */
int  aeh_buf_printf(aeh_buf *b, const char *fmt, ...)      /* 0 or -ENOMEM, whole */
    __attribute__((format(printf, 2, 3)));
int  aeh_buf_vprintf(aeh_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void aeh_buf_consume(aeh_buf *b, size_t n);                 /* n <= len */
void aeh_buf_clear(aeh_buf *b);                             /* empty, keeps memory */
void aeh_buf_free(aeh_buf *b);                              /* empty, frees memory */

/* ------------------------------------------------------------------ codecs */

typedef struct aeh_span {
    const uint8_t *p;
    size_t n;
} aeh_span;

/* A decoder's resumable state, owned by one read request.  The handle zeroes
 * it when the request is queued and frees `out` when the request ends.  It
 * is always relative to the current head of the input: a decoder that
 * returns a frame or consumes bytes leaves its state ready for the input
 * that starts `consumed` bytes later. */
typedef struct aeh_dstate {
    size_t scan;                  /* bytes of the input already examined */
    uint64_t u[4];                /* decoder-defined */
    aeh_buf out;                  /* scratch for decoders whose frame is not a
                                     slice of the input (hex, base64, crlf) */
    uint64_t frames;              /* kept by the driver, read by decoders: the
                                     frames of the stream already delivered with
                                     this codec (the switch A>>B reads it) */
} aeh_dstate;

enum {
    AEH_DEC_ERROR = -1,           /* *err filled; err->offset is an offset into buf */
    AEH_DEC_MORE  = 0,            /* need more input (may still have set *consumed) */
    AEH_DEC_FRAME = 1,            /* *frame set: into buf or into st->out */
};

typedef struct aeh_codec aeh_codec;

/* Pure, resumable decoder: looks at the unconsumed input buf[0, len).
 * eof: no more input will come; the decoder must then return a frame, an
 * error (a truncated frame is EBADMSG), or MORE with nothing pending.
 * *consumed is preset to 0; total work must be linear in the bytes received
 * however they are split. */
typedef int aeh_decode_fn(const aeh_codec *c, aeh_dstate *st,
                          const uint8_t *buf, size_t len, bool eof,
                          aeh_span *frame, size_t *consumed, aeh_error *err);

/* Encoder: appends one encoded frame to out.  0, or -1 with *err set
 * (EMSGSIZE frame too long for its prefix or over max_frame, EINVAL frame
 * not representable, e.g. a line containing its end marker; ENOMEM). */
typedef int aeh_encode_fn(const aeh_codec *c, const uint8_t *p, size_t n,
                          aeh_buf *out, aeh_error *err);

/* Optional fast paths for batches (aeh_read_batches, aeh_push_frames),
 * each doing what a loop of the one-frame call would, minus the calls.
 * decode_many: frames back to back from buf[0, len) while each is
 * complete, a slice of buf and acceptable, at most max: frames[i] and the
 * bytes it used (used[i] > 0); returns how many.  It may stop early, even
 * at 0, for anything else (a partial or bad frame, st not fresh): decode
 * then takes over from there.  encode_many: appends frames[0, n) and
 * returns how many it encoded; fewer than n with *err set for the next
 * one (nothing of which was appended). */
typedef size_t aeh_decode_many_fn(const aeh_codec *c, const aeh_dstate *st,
                                  const uint8_t *buf, size_t len,
                                  aeh_span *frames, size_t *used, size_t max);
typedef size_t aeh_encode_many_fn(const aeh_codec *c, const aeh_span *frames, size_t n,
                                  aeh_buf *out, aeh_error *err);
/* Optional, for readers of runs (aeh_read_runs): the length of the longest
 * prefix of buf[0, len) made of whole frames that the codec's own encoder
 * writes back as exactly their bytes (lines each ended by the marker alone)
 * and within max_frame; *frames: how many.  It may stop early at a frame's
 * end, even at 0, for anything else (st not fresh): the frames are then
 * decoded one by one, and decode reports what is wrong. */
typedef size_t aeh_decode_run_fn(const aeh_codec *c, const aeh_dstate *st,
                                 const uint8_t *buf, size_t len, uint64_t *frames);

/* Which built-in constructor made a codec, for a program that treats some
 * framings specially (raw bytes, self-delimiting JSON or CBOR) without
 * comparing names.  A codec of the user's own is AEH_CODEC_KIND_CUSTOM (0,
 * what a zeroed or designated initializer leaves). */
typedef enum aeh_codec_kind {
    AEH_CODEC_KIND_CUSTOM = 0,
    AEH_CODEC_KIND_RAW,           /* aeh_codec_raw */
    AEH_CODEC_KIND_CHUNK,
    AEH_CODEC_KIND_LINE,          /* aeh_codec_line and aeh_codec_line_re */
    AEH_CODEC_KIND_REGEX,
    AEH_CODEC_KIND_NETSTRING,
    AEH_CODEC_KIND_PACKSTRING,
    AEH_CODEC_KIND_HEXLINES,
    AEH_CODEC_KIND_BASE64LINES,
    AEH_CODEC_KIND_CRLF,
    AEH_CODEC_KIND_JSON,
    AEH_CODEC_KIND_CBOR,
    AEH_CODEC_KIND_JSON_STRINGS,
    AEH_CODEC_KIND_TLS_DETECT,
    AEH_CODEC_KIND_LEN,           /* aeh_codec_len */
    AEH_CODEC_KIND_SWITCH,        /* aeh_codec_switch */
    AEH_CODEC_KIND_RESP,          /* aeh_codec_resp */
    AEH_CODEC_KIND_RESP_JSON,     /* aeh_codec_resp_json */
    AEH_CODEC_KIND_SMTP,          /* aeh_codec_smtp */
    AEH_CODEC_KIND_HTTP,          /* aeh_codec_http */
} aeh_codec_kind;

/* A framing: decoder + encoder + configuration.  Public so that users can
 * write their own (AnyEvent's register_read_type). */
struct aeh_codec {
    const char *name;             /* "line", "netstring", ... (for messages) */
    aeh_decode_fn *decode;
    aeh_encode_fn *encode;
    void (*destroy)(aeh_codec *); /* frees the codec; NULL for static codecs */
    size_t max_frame;             /* 0 = no limit; decoders fail early past it */
    unsigned flags;               /* AEH_CODEC_* */
    void *priv;                   /* codec-specific configuration */
    aeh_codec_kind kind;          /* set by the built-in constructors */
    aeh_decode_many_fn *decode_many;   /* NULL: decode in a loop */
    aeh_encode_many_fn *encode_many;   /* NULL: encode in a loop */
    aeh_decode_run_fn *decode_run;     /* NULL: runs are never found */
};

enum {
    /* line-like decoders: at EOF, return an unterminated last record as a
     * frame instead of failing (POSIX text on stdin). */
    AEH_CODEC_PARTIAL_AT_EOF = 1u << 0,
    /* the encoder writes each frame as it is (raw): aeh_push_frame then
     * passes it to aeh_push_write, which need not copy it. */
    AEH_CODEC_VERBATIM = 1u << 1,
    /* the frames given to the encoder come from a decoder of the same
     * kind, which validated them (json -> json, cbor -> cbor, a line
     * without the marker written): the encoder need not check them again.
     * Set by aeh_codec_trust. */
    AEH_CODEC_TRUSTED = 1u << 2,
};

/* Marks enc AEH_CODEC_TRUSTED when every frame dec can decode is one enc
 * accepts without its costly checks (json -> json, cbor -> cbor, a line
 * read up to one byte -> a line written with that byte); true if so.  The
 * checks of size and the like stay. */
bool aeh_codec_trust(aeh_codec *enc, const aeh_codec *dec);
/* True when dec finds runs (decode_run) and enc writes the frames of every
 * run back as the run's very bytes, within its own limit (a line read up to
 * '\n' and written with '\n', enc's max_frame 0 or at least dec's): a reader
 * of runs may then pass them on as they are. */
bool aeh_codec_verbatim(const aeh_codec *enc, const aeh_codec *dec);

/* Constructors return NULL with *err set (code EINVAL for a bad spec, with
 * err->offset the offset in the spec string) or ENOMEM. */
aeh_codec *aeh_codec_raw(void);                 /* every read is one frame; encoder writes as is */
aeh_codec *aeh_codec_chunk(size_t n, aeh_error *err);
/* Line with a fixed end marker; eol NULL = "\r?\n" when reading.  weol is the
 * marker written after each frame (NULL = eol, or "\n" when eol is NULL). */
aeh_codec *aeh_codec_line(const void *eol, size_t eol_len,
                          const void *weol, size_t weol_len, aeh_error *err);
/* Line whose end marker is a PCRE2 pattern; weol as above ("\n" if NULL). */
aeh_codec *aeh_codec_line_re(const char *re, const void *weol, size_t weol_len,
                             aeh_error *err);
/* AnyEvent's regex read: frame = everything up to and including the accept
 * match; reject (may be NULL) -> EBADMSG; skip (may be NULL) as in AnyEvent. */
aeh_codec *aeh_codec_regex(const char *accept, const char *reject,
                           const char *skip, aeh_error *err);
aeh_codec *aeh_codec_netstring(aeh_error *err);
/* Perl pack letter with optional !<> modifier, or "varint" / "grpc". */
aeh_codec *aeh_codec_packstring(const char *fmt, aeh_error *err);
/* A length field in a header:
 * "FMT[@OFF][,adj=N][,strip=hdr|N][,mask=HEX][,last=HEX][,max=SIZE]" (FMT
 * u8 ... u64le, varint, varint4, ber) or a preset (pg, mysql, mqtt, rpc,
 * ...); encode is NULL for a strip that sending cannot undo.  See libaeh(3). */
aeh_codec *aeh_codec_len(const char *spec, aeh_error *err);
/* A>>B: the first frame by first, every later one by then; it owns both
 * (freed with it, or at once when it fails).  Its encoder remembers that
 * it wrote the first frame: one switch codec per stream and direction. */
aeh_codec *aeh_codec_switch(aeh_codec *first, aeh_codec *then, aeh_error *err);
aeh_codec *aeh_codec_hexlines(aeh_error *err);     /* a frame = one line of hex digits */
aeh_codec *aeh_codec_base64lines(aeh_error *err);  /* a frame = one line of base64 */
aeh_codec *aeh_codec_crlf(aeh_error *err);         /* raw bytes, "\n" -> "\r\n", never doubling */
aeh_codec *aeh_codec_json(unsigned max_depth, aeh_error *err); /* JSON texts, validated (RFC 8259); max_depth 0 = 512 */
/* CBOR data items back to back, each checked well-formed (RFC 8949), with
 * shortest-form arguments and valid UTF-8 text; max_depth 0 = 512 */
aeh_codec *aeh_codec_cbor(unsigned max_depth, aeh_error *err);
aeh_codec *aeh_codec_json_strings(aeh_error *err); /* frame = JSON string "..." or {"base64":"..."}, one per line */
/* Read type: does the input start with a TLS ClientHello?  Consumes
 * nothing; the frame is the record's two version bytes (major, minor) when it
 * does, empty when it does not (AnyEvent's tls_detect). */
aeh_codec *aeh_codec_tls_detect(void);
/* Redis RESP2/RESP3: a frame is one whole value as its bytes (an attribute
 * is part of the value it precedes); the encoder writes a frame that is
 * exactly one value as it is.  max_depth 0 = 512. */
aeh_codec *aeh_codec_resp(unsigned max_depth, aeh_error *err);
/* Records for RESP: the encoder writes a RESP value (a resp frame) as one
 * JSON line; the decoder reads a line in redis-cli syntax and gives the
 * command, an array of bulk strings (blank lines give nothing). */
aeh_codec *aeh_codec_resp_json(aeh_error *err);
/* Appends the command of one redis-cli line (words, "double quotes" with
 * \xHH \n \r \t \b \a escapes, 'single quotes') to out as a RESP array of
 * bulk strings: the number of words (0 for a blank line: nothing written),
 * or -1 with err (EBADMSG at the byte: an unterminated quote, a closing
 * quote not followed by a blank). */
long aeh_resp_command(const void *line, size_t n, aeh_buf *out, aeh_error *err);
/* SMTP, LMTP and FTP control replies: a frame is one whole reply, its
 * lines up to the last one, line ends included; the encoder writes a
 * command line (no CR or LF in it) + CRLF. */
aeh_codec *aeh_codec_smtp(aeh_error *err);
/* HTTP/1.1 (RFC 9112): a frame is one whole message, head and body
 * (Content-Length, chunked with its extensions and trailer fields, or a
 * response read up to EOF), as its bytes; see libaeh(3).  The encoder
 * writes a record that is exactly one message as it is, and notes each
 * request's method: a response to HEAD, which has no body, is then read
 * right, pipelined or not.  One codec notes and reads its own requests;
 * two (a handle's send and receive codecs) share them with
 * aeh_codec_http_share.  Smuggling (Content-Length with
 * Transfer-Encoding, two different lengths) is EBADMSG unless
 * AEH_HTTP_LENIENT, which lets Transfer-Encoding win (RFC 9112 §6.3). */
enum { AEH_HTTP_LENIENT = 1u << 0 };
enum { AEH_HTTP_LINE_MAX = 8192 };  /* bytes of a start, field or chunk line, its end included */
aeh_codec *aeh_codec_http(unsigned flags, aeh_error *err);
/* Makes c use with's record of requests (both http codecs): with's
 * encoder's requests tell c's decoder which responses have no body, and
 * back.  0, or -1 with err (EINVAL). */
int aeh_codec_http_share(aeh_codec *c, aeh_codec *with, aeh_error *err);
/* The framing of a message whose head is in p[0, n): 1 with *info when the
 * head is complete, 0 when it is not yet, -1 with err (EBADMSG at the byte)
 * as the codec would fail.  A response's body is as if it answered GET. */
enum { AEH_HTTP_BODY_NONE, AEH_HTTP_BODY_LENGTH, AEH_HTTP_BODY_CHUNKED, AEH_HTTP_BODY_CLOSE };
typedef struct aeh_http_info {
    bool response;                /* a status line, else a request line */
    unsigned status;              /* a response's status code */
    size_t method_len;            /* a request's method: p[0, method_len) */
    size_t head_len;              /* start line, fields and the empty line */
    int body;                     /* AEH_HTTP_BODY_* */
    uint64_t length;              /* AEH_HTTP_BODY_LENGTH: the body's bytes */
    bool te_over_cl;              /* AEH_HTTP_LENIENT: both were given, Content-Length ignored */
} aeh_http_info;
int aeh_http_parse_head(const void *p, size_t n, unsigned flags, aeh_http_info *info,
                        aeh_error *err);
/* The CLI's framing grammar: raw, line[:EOL], line:/RE/, regex:RE,
 * netstring, packstring:FMT, chunk:N, json[:DEPTH], cbor[:DEPTH], len:SPEC,
 * resp[:DEPTH], smtp, http, A>>B (EOL with C
 * escapes). */
aeh_codec *aeh_codec_parse(const char *spec, aeh_error *err);
void aeh_codec_free(aeh_codec *c);

/* C escapes \r \n \t \0 \e \a \b \f \v \\ \xHH \NNN (octal) into out.  Returns
 * the decoded length, or -1 with *err (offset into s) on a bad escape. */
long aeh_unescape(const char *s, aeh_buf *out, aeh_error *err);
/* The reverse, for showing bytes that may come from anyone (a peer's
 * certificate, a reply) on one line of a terminal or log: printable ASCII
 * as it is, \r \n \t \\ \" named, other bytes (NUL included) as \xHH.
 * Writes a NUL-terminated string of at most cap - 1 characters into out,
 * never half an escape; returns its length.  aeh_unescape gives the bytes
 * back when nothing was left out. */
size_t aeh_escape(const void *p, size_t n, char *out, size_t cap);

/* A regular expression (PCRE2) tested against whole strings, such as a
 * frame, with the regex codecs' match limits.  aeh_match_new: NULL with
 * *err (EINVAL, err->offset the offset in the pattern; or ENOMEM).
 * aeh_match_test: 1 when the pattern matches somewhere in p[0, n), 0 when
 * not, -1 with *err (EBADMSG) when a limit blew on this subject.  One test
 * at a time per aeh_match. */
typedef struct aeh_match aeh_match;
enum { AEH_MATCH_MULTILINE = 1u << 0 };  /* ^ and $ at line starts and ends */
aeh_match *aeh_match_new(const char *pattern, unsigned flags, aeh_error *err);
int aeh_match_test(aeh_match *m, const void *p, size_t n, aeh_error *err);
void aeh_match_free(aeh_match *m);
/* The version of PCRE2 the library runs on (e.g. "10.42 2022-12-11"). */
const char *aeh_match_version(void);

/* ------------------------------------------------------------------ handle */

typedef struct aeh aeh;
typedef void aeh_frame_cb(aeh *h, aeh_span frame, void *arg);
typedef size_t aeh_frames_cb(aeh *h, const aeh_span *frames, size_t n, void *arg);
/* A run of whole frames as their bytes p[0, len) (aeh_read_runs): all taken. */
typedef void aeh_run_cb(aeh *h, const uint8_t *p, size_t len, uint64_t frames, void *arg);

/* ------------------------------------------------------------------ TLS */

/* Credentials and policy shared by sessions.  GnuTLS is loaded (dlopen) the
 * first time one is made: programs that never use TLS do not pay for it. */
typedef struct aeh_tls_ctx aeh_tls_ctx;

typedef struct aeh_tls_opts {
    bool server;                  /* credentials for accepting (else connecting) */
    const char *ca_file;          /* trust anchors (PEM); NULL = the system store */
    const char *cert_file;        /* own certificate chain (PEM): server, or client for mutual TLS */
    const char *key_file;         /* its key (PEM); NULL = in cert_file */
    bool ephemeral;               /* server without cert_file: a self-signed ECDSA P-256 made now */
    bool insecure;                /* connect: no chain or name check (pins still apply) */
    bool verify_client;           /* accept: require a client certificate valid under ca_file */
    const char *pins;             /* "pin-sha256:BASE64[,...]"; alone they replace CA trust */
    const char *priority;         /* GnuTLS priority string; NULL = the system default */
    const char *alpn;             /* comma-separated ALPN protocol names, or NULL */
    /* A TCP EOF without close_notify, at a record boundary, after our own
     * close_notify reads as EOF (real servers close without answering
     * ours); before ours it is EPROTO (truncation).  In the middle of a
     * record it is always EPROTO. */
    bool allow_truncation;        /* ... also before ours: EOF */
    bool strict_close;            /* ... also after ours: EPROTO (unless allow_truncation) */
} aeh_tls_opts;

/* NULL + *err: EINVAL bad option (priority string, pin, ALPN list; offset
 * into it), ENOENT/EACCES/EBADMSG unreadable or malformed file (the message
 * names it), EPROTO GnuTLS missing. */
aeh_tls_ctx *aeh_tls_ctx_new(const aeh_tls_opts *o, aeh_error *err);
void aeh_tls_ctx_free(aeh_tls_ctx *ctx);       /* after every handle using it */
const char *aeh_tls_ctx_pin(const aeh_tls_ctx *ctx);   /* own certificate's pin-sha256, or NULL */
/* The version of GnuTLS (e.g. "3.7.9"), which is loaded at the first TLS
 * use, so this loads it; NULL + *err (EPROTO) when it cannot be loaded. */
const char *aeh_tls_version(aeh_error *err);

enum { AEH_TLS_CONNECT = 1, AEH_TLS_ACCEPT = 2 };

enum { AEH_TIMEOUT = 1, AEH_RTIMEOUT = 2, AEH_WTIMEOUT = 4 };

/* A tap on the bytes a handle moves, for dumps and traces: dir is
 * AEH_BYTES_RECV or AEH_BYTES_SENT, p[0, n) the bytes, in the order they
 * moved.  Plaintext (the default): what enters the read buffer and leaves
 * the write queue, after TLS decryption and before encryption.  Wire
 * (bytes_wire): each read(2) and write(2) on the fd, TLS records as they
 * are.  The callback must not call into the handle. */
enum { AEH_BYTES_RECV = 1, AEH_BYTES_SENT = 2 };
typedef void aeh_bytes_cb(aeh *h, int dir, const uint8_t *p, size_t n, void *arg);

typedef struct aeh_opts {
    struct ev_loop *loop;         /* required */
    int fd;                       /* the non-blocking stream; the handle owns it */
    void *user;
    double timeout, rtimeout, wtimeout;   /* seconds, 0 = off */
    size_t rbuf_max, wbuf_max;            /* 0 = no limit */
    size_t read_size, max_read_size;      /* 0 = defaults (16 KiB, 256 KiB) */
    size_t low_water_mark;
    bool autocork, no_delay, keepalive, oobinline;
    int linger;                   /* seconds to keep flushing after destroy; 0 = drop */
    bool no_close;                /* destroy leaves the fd open (stdin/stdout) */
    void (*on_error)(aeh *h, const aeh_error *e, bool fatal);
    void (*on_eof)(aeh *h);
    void (*on_read)(aeh *h);      /* bytes arrived and no read request is queued */
    void (*on_drain)(aeh *h);     /* write queue at or below low_water_mark */
    void (*on_timeout)(aeh *h, int which);   /* AEH_TIMEOUT / AEH_RTIMEOUT / AEH_WTIMEOUT */
    int tls;                      /* 0, AEH_TLS_CONNECT or AEH_TLS_ACCEPT: start TLS at once */
    aeh_tls_ctx *tls_ctx;         /* required with tls; must outlive the handle */
    const char *peername;         /* name verified and sent as SNI (connect) */
    /* handshake over: err NULL, or the failure (EPROTO, op AEH_OP_TLS;
     * then the handle is destroyed after the callback, and on_error is
     * not called) */
    void (*on_starttls)(aeh *h, const aeh_error *err);
    void (*on_stoptls)(aeh *h);   /* peer's close_notify: TLS is gone, plaintext follows */
    aeh_bytes_cb *on_bytes;       /* the tap, or NULL; see aeh_on_bytes */
    void *bytes_arg;
    bool bytes_wire;
} aeh_opts;

aeh *aeh_new(const aeh_opts *o);  /* NULL + errno on failure */
void aeh_destroy(aeh *h);         /* safe inside any callback of h */

int   aeh_fd(const aeh *h);
void *aeh_user(const aeh *h);
void  aeh_set_user(aeh *h, void *user);

/* Read queue.  A request reads one frame with its codec, then is removed.
 * aeh_read_frames sets a persistent request at the tail that reads every
 * frame until replaced (codec NULL clears it).  Codecs must outlive the
 * requests that use them. */
void aeh_push_read(aeh *h, const aeh_codec *c, aeh_frame_cb *cb, void *arg);
void aeh_unshift_read(aeh *h, const aeh_codec *c, aeh_frame_cb *cb, void *arg);
void aeh_read_frames(aeh *h, const aeh_codec *c, aeh_frame_cb *cb, void *arg);
/* The persistent reader in batches, the fast way to take many small
 * frames: every complete frame in the read buffer (up to 256) is decoded
 * in one pass and handed over in one call.  The callback returns how many
 * it took, from the first (n: all).  The rest stay unread: for a request
 * it pushed, a reader it set, TLS it started, or after aeh_start_read when
 * it stopped reading; taking none waits for more bytes.  A decode error or
 * a truncated end is raised after every frame before it was taken.  Frames
 * are valid during the call only.  aeh_read_frames and aeh_read_batches
 * replace each other's reader. */
void aeh_read_batches(aeh *h, const aeh_codec *c, aeh_frames_cb *cb, void *arg);
/* aeh_read_batches, but where the codec finds a run of frames its encoder
 * would write back as they are (decode_run), the run goes to run_cb as
 * bytes, with how many frames it holds, undecoded: for a reader that passes
 * frames on unchanged (aeh_codec_verbatim) and needs no frame by itself.
 * The frames around runs go to cb.  run_cb NULL: aeh_read_batches. */
void aeh_read_runs(aeh *h, const aeh_codec *c, aeh_run_cb *run_cb, aeh_frames_cb *cb,
                   void *arg);
/* In a batch callback: the stream offset where frame i starts (its header
 * included); elsewhere, where the unread bytes start. */
uint64_t aeh_batch_offset(const aeh *h, size_t i);
/* The unconsumed read buffer, for on_read; consume from its head only. */
aeh_span aeh_rbuf(const aeh *h);
void aeh_rbuf_consume(aeh *h, size_t n);
void aeh_start_read(aeh *h);
void aeh_stop_read(aeh *h);

/* Write queue.  0, or -1 with the error raised through on_error: fatal for
 * ENOSPC over wbuf_max and for a write that failed at once (the handle is
 * then gone: do not touch it again); not fatal for a frame its encoder
 * refuses (op AEH_OP_ENCODE), which leaves the queue as it was. */
int  aeh_push_write(aeh *h, const void *p, size_t n);
int  aeh_push_frame(aeh *h, const aeh_codec *c, const void *p, size_t n);
/* n frames, as n aeh_push_frame calls would queue them, in one pass: how
 * many were queued (fewer when the encoder refused the next one, raised as
 * aeh_push_frame raises it), or -1 when the handle failed. */
long aeh_push_frames(aeh *h, const aeh_codec *c, const aeh_span *frames, size_t n);
/* Inside a batch callback of `from`: frames[0, n) of that batch (the
 * callback's own array, from its start) pushed as aeh_push_frames would.
 * When c writes each of them as the very bytes it was decoded from (a line
 * read up to '\n' and written with '\n', no "\r\n" among them), those
 * bytes go out as they are, in one aeh_push_write: no encoding, and no
 * copy when h has nothing queued. */
long aeh_push_batch(aeh *h, const aeh_codec *c, const aeh *from, const aeh_span *frames,
                    size_t n);
void aeh_push_shutdown(aeh *h);   /* shutdown(SHUT_WR) once the queue is written */
size_t aeh_wbuf_len(const aeh *h);

/* Settings that can change at any time. */
void aeh_set_timeout(aeh *h, int which, double seconds);
void aeh_timeout_reset(aeh *h, int which);
void aeh_set_rbuf_max(aeh *h, size_t n);
void aeh_set_wbuf_max(aeh *h, size_t n);
void aeh_set_low_water_mark(aeh *h, size_t n);
void aeh_set_autocork(aeh *h, bool on);
int  aeh_set_no_delay(aeh *h, bool on);
int  aeh_set_keepalive(aeh *h, bool on);
int  aeh_set_oobinline(aeh *h, bool on);
void aeh_on_drain(aeh *h, void (*cb)(aeh *));
void aeh_on_eof(aeh *h, void (*cb)(aeh *));
void aeh_on_error(aeh *h, void (*cb)(aeh *, const aeh_error *, bool));
void aeh_on_read(aeh *h, void (*cb)(aeh *));
void aeh_on_timeout(aeh *h, void (*cb)(aeh *, int));
/* The tap (NULL: none), plaintext or wire; a dialog leaves it alone. */
void aeh_on_bytes(aeh *h, aeh_bytes_cb *cb, void *arg, bool wire);

/* TLS at any point of the stream.  Bytes queued for writing go out in
 * plaintext first; bytes already read are handed to TLS (a pipelined
 * ClientHello), never read as plaintext after it.  0, or -1 with on_error. */
int  aeh_starttls(aeh *h, int mode, aeh_tls_ctx *ctx, const char *peername);
/* close_notify after the bytes queued so far, then plaintext again. */
void aeh_stoptls(aeh *h);
bool aeh_tls_active(const aeh *h);             /* a session exists (maybe handshaking) */
/* The read side ended with a TCP EOF without close_notify that was taken
 * as the end (after our close_notify, or with allow_truncation). */
bool aeh_tls_ragged_eof(const aeh *h);
/* How the peer was verified.  Accepting, a client is checked only with
 * verify_client (else AEH_TLS_NO_CLIENT_CERT_ASKED). */
typedef enum aeh_tls_verification {
    AEH_TLS_NOT_VERIFIED = 0,         /* not checked (yet) */
    AEH_TLS_VERIFIED_CHAIN,           /* chain and name */
    AEH_TLS_VERIFIED_CHAIN_AND_PIN,   /* chain, name and a pinned key */
    AEH_TLS_VERIFIED_PIN,             /* a pinned key alone */
    AEH_TLS_VERIFY_SKIPPED,           /* nothing asked to check */
    AEH_TLS_VERIFY_INSECURE,          /* skipped: the context is insecure */
    AEH_TLS_VERIFIED_CLIENT,          /* accepting: the client's certificate */
    AEH_TLS_NO_CLIENT_CERT_ASKED,     /* accepting without verify_client */
} aeh_tls_verification;
/* "ok (chain and name)", "skipped (insecure)", ... for messages. */
const char *aeh_tls_verification_str(aeh_tls_verification v);

enum { AEH_TLS_INFO_MAX_CERTS = 16 };
/* One certificate of the peer.  Its names are the peer's bytes (RFC 4514
 * DNs as GnuTLS writes them, NUL-terminated, "?" when unreadable): escape
 * them (aeh_escape) before showing them. */
typedef struct aeh_tls_cert_info {
    char subject[512], issuer[512];
    size_t subject_len, issuer_len;
    char valid_from[40], valid_to[40];  /* "2026-01-31 12:00:00 UTC" */
} aeh_tls_cert_info;
/* A TLS session, for a program to show as it likes.  alpn and sni are the
 * peer's bytes too. */
typedef struct aeh_tls_info {
    char version[16];                 /* "TLS1.3" ("?" unknown) */
    char cipher[96];                  /* GnuTLS's suite name */
    bool accepting;                   /* our side accepted (the server) */
    bool has_alpn;                    /* a protocol was agreed */
    uint8_t alpn[255];
    size_t alpn_len;
    bool has_sni;                     /* accepting: the client sent a DNS name */
    uint8_t sni[255];
    size_t sni_len;
    unsigned ncerts;                  /* the peer's chain, leaf first (at most MAX) */
    aeh_tls_cert_info certs[AEH_TLS_INFO_MAX_CERTS];
    char peer_pin[64];                /* the leaf's pin; "" without a certificate */
    aeh_tls_verification verification;
} aeh_tls_info;
/* 0 with *info filled, or -1 if there is no session. */
int  aeh_tls_get_info(const aeh *h, aeh_tls_info *info);
/* The same as text, one "key value" line each, the peer's strings escaped:
 * version, cipher, alpn, sni (accepting), peer certificates, peer pin,
 * verification.  -1 if no session. */
int  aeh_tls_describe(const aeh *h, aeh_buf *out);
/* tls_detect, then starttls(ACCEPT, ctx) if it saw a ClientHello. */
void aeh_push_tls_autostart(aeh *h, aeh_tls_ctx *ctx);
void aeh_on_starttls(aeh *h, void (*cb)(aeh *, const aeh_error *));
void aeh_on_stoptls(aeh *h, void (*cb)(aeh *));

struct ev_loop *aeh_loop(const aeh *h);

/* Counters: bytes through the fd, and where the read side stands. */
uint64_t aeh_bytes_read(const aeh *h);
uint64_t aeh_bytes_written(const aeh *h);
bool aeh_eof_seen(const aeh *h);

/* ------------------------------------------------------------------ dialog */

/* Steps run in order on a handle before the user goes on with it: send
 * bytes (one frame with a send codec), expect a pattern (the first frame
 * it matches, skipping others; raw: the bytes up to and including the
 * first match), sleep, start TLS.  A REJECT is not a step of its own: its
 * pattern fails the dialog if it matches while the next EXPECT waits. */
typedef struct aeh_dialog aeh_dialog;

enum {
    AEH_STEP_SEND = 1, AEH_STEP_EXPECT, AEH_STEP_REJECT, AEH_STEP_SLEEP, AEH_STEP_STARTTLS,
};

typedef struct aeh_step {
    int kind;
    const void *data;             /* SEND */
    size_t len;
    const char *file;             /* SEND: this file's bytes instead of data, opened by
                                   * aeh_dialog_new; without a send codec read as the
                                   * handle drains (memory stays bounded), with one
                                   * read then as one frame of at most its max_frame */
    const char *regex;            /* EXPECT, REJECT: a PCRE2 pattern */
    double seconds;               /* SLEEP */
    int tls_mode;                 /* STARTTLS: AEH_TLS_CONNECT (0) or AEH_TLS_ACCEPT */
    const char *proto;            /* STARTTLS: a protocol's upgrade first (client side
                                   * with CONNECT, server side with ACCEPT: smtp, imap,
                                   * ...); NULL or "now": the bare handshake */
} aeh_step;

/* The STARTTLS protocols, comma-separated, of either side. */
const char *aeh_starttls_protocols(bool server);

/* What happened, for logs: a step began, data was sent, a frame was read
 * and skipped, the frame (raw: the bytes) that met an expect, a STARTTLS
 * handshake finished, a step ended.  step: its index among the steps
 * (rejects not counted); elapsed: seconds since the step began. */
enum {
    AEH_DIALOG_STEP = 1, AEH_DIALOG_SENT, AEH_DIALOG_FRAME, AEH_DIALOG_MATCHED,
    AEH_DIALOG_TLS_DONE, AEH_DIALOG_STEP_DONE,
    AEH_DIALOG_STARTTLS_GO,       /* a STARTTLS protocol agreed: the handshake begins */
};

typedef struct aeh_dialog_event {
    int kind;
    size_t step;
    aeh_span data;                /* SENT, FRAME, MATCHED */
    double elapsed;
} aeh_dialog_event;

/* How it ended: every step done; the peer closed first (an expect still
 * waiting); a reject matched; step_timeout ran out; a TLS handshake failed;
 * another error of the handle (err says which: a malformed frame, I/O). */
enum {
    AEH_DIALOG_OK = 0, AEH_DIALOG_CLOSED, AEH_DIALOG_REJECTED, AEH_DIALOG_TIMEOUT,
    AEH_DIALOG_TLS, AEH_DIALOG_ERROR,
    AEH_DIALOG_REFUSED,           /* a STARTTLS protocol's peer said no (its words in err) */
};

typedef struct aeh_dialog_result {
    int status;
    size_t step;                  /* the step that failed (n when all were done) */
    aeh_error err;                /* unless OK */
    aeh_span last;                /* up to the last 200 bytes received, for messages */
    double elapsed;               /* in the last step */
    int timeout_which;            /* TIMEOUT by the handle's AEH_*TIMEOUT; 0: step_timeout */
    bool handle_gone;             /* the handle is being destroyed (fatal error, failed TLS) */
} aeh_dialog_result;

typedef struct aeh_dialog_opts {
    const aeh_codec *recv_codec;  /* frames that expects match; NULL: raw bytes */
    const aeh_codec *send_codec;  /* how SEND data is framed; NULL: as it is */
    double step_timeout;          /* seconds per expect or STARTTLS; 0: none */
    aeh_tls_ctx *tls_ctx;         /* for STARTTLS steps */
    const char *peername;         /* STARTTLS as a client: the name to verify */
    const char *starttls_name;    /* our name in a STARTTLS protocol (EHLO, XMPP to=, the
                                   * server's greeting); NULL: peername, else "localhost" */
    bool starttls_reissue;        /* SMTP, LMTP client: EHLO/LHLO again over TLS */
    void (*on_event)(aeh_dialog *d, const aeh_dialog_event *ev, void *arg);
    /* required: called once; the handle's user pointer is back and all its
     * callbacks are NULL (the dialog owned them): set yours again */
    void (*on_done)(aeh_dialog *d, const aeh_dialog_result *r, void *arg);
    void *arg;
} aeh_dialog_opts;

/* Compiles the patterns and frames the data now, so that a bad step is
 * known before any connection: NULL + *err (EINVAL with the offset in the
 * step's pattern or data, ENOMEM) and *bad_step its index in steps. */
aeh_dialog *aeh_dialog_new(const aeh_step *steps, size_t n, const aeh_dialog_opts *o,
                           size_t *bad_step, aeh_error *err);
/* Starts the steps on h (the codecs must outlive the run).  -1 if running. */
int aeh_dialog_run(aeh_dialog *d, aeh *h, aeh_error *err);
/* Not from its own callbacks, and after the handle is destroyed: a read it
 * queued may still be pending when it failed. */
void aeh_dialog_free(aeh_dialog *d);

/* ------------------------------------------------------------------ net */

typedef struct aeh_connector aeh_connector;

/* What a connector does, for logs: an address the name resolved to, an
 * attempt begun, an attempt failed (err: its errno), the attempt that won. */
enum { AEH_CONNECT_RESOLVED = 1, AEH_CONNECT_TRYING, AEH_CONNECT_FAILED, AEH_CONNECT_WON };

typedef struct aeh_connect_event {
    int kind;
    const struct sockaddr *addr;
    socklen_t addrlen;
    int err;
} aeh_connect_event;

typedef struct aeh_connect_opts {
    int family;                   /* AF_UNSPEC, AF_INET, AF_INET6 */
    const char *source_host;      /* -s: bind before connect, or NULL */
    const char *source_port;      /* -p: bind before connect, or NULL */
    double timeout;               /* resolve + connect, seconds; 0 = none */
    /* optional: told each event, with the connect callback's arg */
    void (*on_event)(void *arg, const aeh_connect_event *ev);
} aeh_connect_opts;

/* fd >= 0: connected non-blocking socket, peer its address.
 * fd < 0: *err set (AEH_ENAME, ECONNREFUSED, ETIMEDOUT, ...), message names
 * the host and port.  Called once, from the loop, never from aeh_connect. */
typedef void aeh_connect_cb(void *arg, int fd, const struct sockaddr *peer,
                            socklen_t peerlen, const aeh_error *err);

/* Resolves (in resolver threads, so the deadline holds even for DNS),
 * then races the addresses as in RFC 8305 (Happy Eyeballs).  NULL + *err if
 * it cannot even start. */
aeh_connector *aeh_connect(struct ev_loop *loop, const char *host, const char *port,
                           const aeh_connect_opts *o, aeh_connect_cb *cb, void *arg,
                           aeh_error *err);
void aeh_connect_cancel(aeh_connector *c);   /* cb is not called after this */
/* Whether a port operand can be looked up: a number 0-65535, or a TCP
 * service name that the system's services database knows ("http"). */
bool aeh_port_known(const char *port);

/* Bound, listening, non-blocking socket, or -1 with *err.  host NULL: any
 * address (IPv6 dual-stack where possible, else IPv4, per family). */
int aeh_listen(const char *host, const char *port, int family, int backlog, aeh_error *err);
/* Unix-domain sockets; a path starting with '@' is in the abstract namespace. */
int aeh_listen_unix(const char *path, int backlog, aeh_error *err);
int aeh_connect_unix(const char *path, aeh_error *err);
/* accept4 with SOCK_NONBLOCK|SOCK_CLOEXEC; -1 with *err (EAGAIN: none yet). */
int aeh_accept(int lfd, struct sockaddr_storage *peer, socklen_t *len, aeh_error *err);
/* "127.0.0.1 port 80", "::1 port 80", "unix socket /path". */
const char *aeh_addr_str(const struct sockaddr *sa, socklen_t len, char *buf, size_t size);
/* Numeric host and port of a socket address (for --ready, env vars). */
int aeh_addr_numeric(const struct sockaddr *sa, socklen_t len,
                     char *host, size_t hostsz, char *port, size_t portsz);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
