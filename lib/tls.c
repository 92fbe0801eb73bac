/* SPDX-License-Identifier: MIT */
/* TLS with GnuTLS: contexts (credentials, trust, pins, priority, ALPN),
 * sessions driven over memory buffers, verification with named reasons.
 *
 * libgnutls is loaded with dlopen at the first TLS use: linking it costs
 * every run about 2.5 ms of start-up (it pulls in p11-kit, nettle, gmp,
 * libidn2...), which a plaintext one-shot must not pay. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include "textenc_int.h"
#include "tls_gnutls_int.h"
#include "tls_int.h"

/* ------------------------------------------------------------ loading */

static struct gnutls_api {
#define DECLARE(f) __typeof__(f) *f;
    GNUTLS_FUNCS(DECLARE)
#undef DECLARE
} G;
#define T(f) (G.f)

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[160];
static int load_errno = EPROTO;

/* dlopen says why only in text: a descriptor we cannot make now tells
 * that the process ran out of them (an I/O error, not a missing GnuTLS). */
static int out_of_fds(void)
{
    int fd = dup(STDERR_FILENO);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    return errno == EMFILE || errno == ENFILE ? errno : 0;
}

static void load(void)
{
    /* the library's constructor runs gnutls_global_init */
    void *lib = dlopen("libgnutls.so.30", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(load_error, sizeof load_error, "cannot load GnuTLS: %s", dlerror());
        int e = out_of_fds();
        if (e)
            load_errno = e;
        return;
    }
#define RESOLVE(f) \
    if (!(G.f = (__typeof__(f) *)dlsym(lib, #f))) { \
        snprintf(load_error, sizeof load_error, "GnuTLS lacks %s (3.7.3 or later needed)", #f); \
        return; \
    }
    GNUTLS_FUNCS(RESOLVE)
#undef RESOLVE
}

static int tls_load(aeh_error *err)
{
    pthread_once(&load_once, load);
    if (load_error[0])
        return aeh_fail(err, load_errno, 0, "%s", load_error);
    return 0;
}

const char *aeh_tls_version(aeh_error *err)
{
    if (tls_load(err) < 0)
        return NULL;
    return T(gnutls_check_version)(NULL);
}

/* ------------------------------------------------------------ context */

enum {
    PIN_LEN = 32,                 /* SHA-256 of the public key */
    PIN_CHARS = 11 + 44,          /* "pin-sha256:" + its base64 */
    MAX_ALPN = 16,
};

/* Without a priority string: the system's default, less the versions
 * older than TLS 1.2 (RFC 8996 deprecates 1.0 and 1.1). */
static const char TLS12_FLOOR[] = "-VERS-TLS1.1:-VERS-TLS1.0";

struct aeh_tls_ctx {
    gnutls_certificate_credentials_t cred;
    gnutls_priority_t prio;             /* the user's string, or the default with TLS12_FLOOR */
    bool own_priority;                  /* prio is the user's: no floor of ours */
    gnutls_datum_t alpn[MAX_ALPN];
    unsigned nalpn;
    char *alpn_store;
    char (*pins)[PIN_CHARS + 1];
    size_t npins;
    bool server, insecure, verify_client, check_chain, allow_truncation, strict_close;
    char pin[64];                       /* of our own certificate */
};

static void pin_string(const uint8_t key_id[PIN_LEN], char *out, size_t size)
{
    char s[PIN_CHARS + 1] = "pin-sha256:";
    s[11 + aeh__base64_encode((uint8_t *)s + 11, key_id, PIN_LEN)] = 0;
    snprintf(out, size, "%s", s);
}

/* "pin-sha256:" and 44 base64 characters, the last one '=': the form
 * gnutls-cli prints.  Pins are compared as strings. */
static bool pin_ok(const char *s, size_t n)
{
    if (n != PIN_CHARS || memcmp(s, "pin-sha256:", 11) || s[n - 1] != '=')
        return false;
    for (size_t i = 11; i < n - 1; i++)
        if (textenc_base64_value((uint8_t)s[i]) < 0)
            return false;
    return true;
}

static int crt_pin(const gnutls_datum_t *der, char *pin, size_t size)
{
    gnutls_x509_crt_t crt;
    uint8_t id[PIN_LEN];
    size_t len = sizeof id;
    if (T(gnutls_x509_crt_init)(&crt) < 0)
        return -1;
    int rc = T(gnutls_x509_crt_import)(crt, der, GNUTLS_X509_FMT_DER);
    if (rc >= 0)
        rc = T(gnutls_x509_crt_get_key_id)(crt, GNUTLS_KEYID_USE_SHA256, id, &len);
    T(gnutls_x509_crt_deinit)(crt);
    if (rc < 0 || len != PIN_LEN)
        return -1;
    pin_string(id, pin, size);
    return 0;
}

/* A file GnuTLS will read: say why it cannot, with errno, before GnuTLS
 * says only "Error while reading file". */
static int check_file(const char *what, const char *path, aeh_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return aeh_fail(err, errno, 0, "%s %s: %s", what, path, strerror(errno));
    fclose(f);
    return 0;
}

/* A self-signed ECDSA P-256 certificate for localhost, 127.0.0.1 and ::1,
 * valid from an hour ago for 30 days. */
static int make_ephemeral(aeh_tls_ctx *ctx, aeh_error *err)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    uint8_t serial[16];
    static const uint8_t v4[4] = { 127, 0, 0, 1 };
    static const uint8_t v6[16] = { [15] = 1 };
    time_t now = time(NULL);
    int rc;
    if ((rc = T(gnutls_x509_privkey_init)(&key)) < 0 ||
        (rc = T(gnutls_x509_privkey_generate)(key, GNUTLS_PK_ECDSA,
                                             GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0 ||
        (rc = T(gnutls_x509_crt_init)(&crt)) < 0 ||
        (rc = T(gnutls_rnd)(GNUTLS_RND_NONCE, serial, sizeof serial)) < 0)
        goto out;
    serial[0] &= 0x7f;            /* a positive integer */
    if ((rc = T(gnutls_x509_crt_set_version)(crt, 3)) < 0 ||
        (rc = T(gnutls_x509_crt_set_serial)(crt, serial, sizeof serial)) < 0 ||
        (rc = T(gnutls_x509_crt_set_activation_time)(crt, now - 3600)) < 0 ||
        (rc = T(gnutls_x509_crt_set_expiration_time)(crt, now + 30 * 86400)) < 0 ||
        (rc = T(gnutls_x509_crt_set_dn_by_oid)(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "localhost", 9)) < 0 ||
        (rc = T(gnutls_x509_crt_set_subject_alt_name)(crt, GNUTLS_SAN_DNSNAME, "localhost", 9, GNUTLS_FSAN_APPEND)) < 0 ||
        (rc = T(gnutls_x509_crt_set_subject_alt_name)(crt, GNUTLS_SAN_IPADDRESS, v4, 4, GNUTLS_FSAN_APPEND)) < 0 ||
        (rc = T(gnutls_x509_crt_set_subject_alt_name)(crt, GNUTLS_SAN_IPADDRESS, v6, 16, GNUTLS_FSAN_APPEND)) < 0 ||
        (rc = T(gnutls_x509_crt_set_key)(crt, key)) < 0 ||
        (rc = T(gnutls_x509_crt_set_key_usage)(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
        (rc = T(gnutls_x509_crt_set_basic_constraints)(crt, 0, -1)) < 0 ||
        (rc = T(gnutls_x509_crt_sign2)(crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0 ||
        (rc = T(gnutls_certificate_set_x509_key)(ctx->cred, &crt, 1, key)) < 0)
        goto out;
    uint8_t id[PIN_LEN];
    size_t len = sizeof id;
    if ((rc = T(gnutls_x509_crt_get_key_id)(crt, GNUTLS_KEYID_USE_SHA256, id, &len)) >= 0)
        pin_string(id, ctx->pin, sizeof ctx->pin);
out:
    if (crt)
        T(gnutls_x509_crt_deinit)(crt);
    if (key)
        T(gnutls_x509_privkey_deinit)(key);
    if (rc < 0)
        return aeh_fail(err, EPROTO, 0, "ephemeral certificate: %s", T(gnutls_strerror)(rc));
    return 0;
}

static int load_own_cert(aeh_tls_ctx *ctx, const aeh_tls_opts *o, aeh_error *err)
{
    const char *key = o->key_file ? o->key_file : o->cert_file;
    if (check_file("certificate file", o->cert_file, err) < 0 ||
        (o->key_file && check_file("key file", o->key_file, err) < 0))
        return -1;
    int rc = T(gnutls_certificate_set_x509_key_file2)(ctx->cred, o->cert_file, key,
                                                      GNUTLS_X509_FMT_PEM, NULL, 0);
    if (rc == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
        return aeh_fail(err, EBADMSG, 0, "key file %s does not match certificate file %s", key, o->cert_file);
    if (rc < 0)
        return aeh_fail(err, EBADMSG, 0, "certificate %s / key %s: %s", o->cert_file, key,
                        T(gnutls_strerror)(rc));
    gnutls_datum_t der;
    if (T(gnutls_certificate_get_crt_raw)(ctx->cred, 0, 0, &der) >= 0)
        crt_pin(&der, ctx->pin, sizeof ctx->pin);
    return 0;
}

static int parse_pins(aeh_tls_ctx *ctx, const char *list, aeh_error *err)
{
    size_t n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    ctx->pins = calloc(n, sizeof *ctx->pins);
    if (!ctx->pins)
        return aeh_fail(err, ENOMEM, 0, "%s", strerror(ENOMEM));
    for (const char *p = list; ; ) {
        size_t len = strcspn(p, ",");
        if (!pin_ok(p, len))
            return aeh_fail(err, EINVAL, (uint64_t)(p - list),
                            "bad pin \"%.*s\": expected pin-sha256: and 44 base64 characters",
                            (int)(len > 80 ? 80 : len), p);
        memcpy(ctx->pins[ctx->npins], p, len);
        ctx->pins[ctx->npins++][len] = 0;
        if (!p[len])
            return 0;
        p += len + 1;
    }
}

static int parse_alpn(aeh_tls_ctx *ctx, const char *list, aeh_error *err)
{
    if (!(ctx->alpn_store = strdup(list)))
        return aeh_fail(err, ENOMEM, 0, "%s", strerror(ENOMEM));
    for (char *p = ctx->alpn_store; ; ) {
        size_t len = strcspn(p, ",");
        if (!len || len > 255 || ctx->nalpn == MAX_ALPN)
            return aeh_fail(err, EINVAL, (uint64_t)(p - ctx->alpn_store),
                            "bad ALPN list \"%s\": 1 to %d names of 1 to 255 bytes, comma-separated",
                            list, MAX_ALPN);
        ctx->alpn[ctx->nalpn++] = (gnutls_datum_t){ (unsigned char *)p, (unsigned)len };
        bool last = !p[len];
        p[len] = 0;
        if (last)
            return 0;
        p += len + 1;
    }
}

static int verify_peer(gnutls_session_t s);

aeh_tls_ctx *aeh_tls_ctx_new(const aeh_tls_opts *o, aeh_error *err)
{
    if (o->verify_client && !o->ca_file) {
        aeh_fail(err, EINVAL, 0, "verifying clients needs a CA file");
        return NULL;
    }
    if (tls_load(err) < 0)
        return NULL;
    aeh_tls_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        aeh_fail(err, ENOMEM, 0, "%s", strerror(ENOMEM));
        return NULL;
    }
    ctx->server = o->server;
    ctx->insecure = o->insecure;
    ctx->verify_client = o->server && o->verify_client;
    ctx->allow_truncation = o->allow_truncation;
    ctx->strict_close = o->strict_close;
    int rc = T(gnutls_certificate_allocate_credentials)(&ctx->cred);
    if (rc < 0) {
        aeh_fail(err, ENOMEM, 0, "TLS credentials: %s", T(gnutls_strerror)(rc));
        free(ctx);
        return NULL;
    }
    if (o->pins && parse_pins(ctx, o->pins, err) < 0)
        goto fail;
    /* a pin alone is the trust: the key is known, its names do not matter */
    ctx->check_chain = o->server ? ctx->verify_client
                                 : !o->insecure && (o->ca_file || !ctx->npins);
    if (o->priority) {
        const char *at = NULL;
        ctx->own_priority = true;
        rc = T(gnutls_priority_init)(&ctx->prio, o->priority, &at);
        if (rc < 0) {
            aeh_fail(err, EINVAL, at ? (uint64_t)(at - o->priority) : 0,
                     "bad TLS priority string \"%s\" at offset %ld: %s", o->priority,
                     at ? (long)(at - o->priority) : 0L, T(gnutls_strerror)(rc));
            ctx->prio = NULL;
            goto fail;
        }
    } else {
        rc = T(gnutls_priority_init2)(&ctx->prio, TLS12_FLOOR, NULL, GNUTLS_PRIORITY_INIT_DEF_APPEND);
        if (rc < 0) {
            aeh_fail(err, EPROTO, 0, "TLS priority (system default, TLS 1.2 or later): %s",
                     T(gnutls_strerror)(rc));
            ctx->prio = NULL;
            goto fail;
        }
    }
    if (o->alpn && parse_alpn(ctx, o->alpn, err) < 0)
        goto fail;
    if (o->ca_file && ctx->check_chain) {
        if (check_file("CA file", o->ca_file, err) < 0)
            goto fail;
        rc = T(gnutls_certificate_set_x509_trust_file)(ctx->cred, o->ca_file, GNUTLS_X509_FMT_PEM);
        if (rc <= 0) {
            aeh_fail(err, EBADMSG, 0, "CA file %s: %s", o->ca_file,
                     rc < 0 ? T(gnutls_strerror)(rc) : "no PEM certificate in it");
            goto fail;
        }
    } else if (ctx->check_chain) {
        /* the system store costs milliseconds: only a verifying client loads it */
        rc = T(gnutls_certificate_set_x509_system_trust)(ctx->cred);
        if (rc <= 0) {
            aeh_fail(err, ENOENT, 0, "no system trust store (%s): install ca-certificates, or give a CA file",
                     rc < 0 ? T(gnutls_strerror)(rc) : "it holds no certificate");
            goto fail;
        }
    }
    if (o->cert_file) {
        if (load_own_cert(ctx, o, err) < 0)
            goto fail;
    } else if (o->key_file) {
        aeh_fail(err, EINVAL, 0, "a key file needs a certificate file");
        goto fail;
    } else if (o->server) {
        if (!o->ephemeral) {
            aeh_fail(err, EINVAL, 0, "a TLS server needs a certificate");
            goto fail;
        }
        if (make_ephemeral(ctx, err) < 0)
            goto fail;
    }
    T(gnutls_certificate_set_verify_function)(ctx->cred, verify_peer);
    return ctx;
fail:
    aeh_tls_ctx_free(ctx);
    return NULL;
}

void aeh_tls_ctx_free(aeh_tls_ctx *ctx)
{
    if (!ctx)
        return;
    if (ctx->prio)
        T(gnutls_priority_deinit)(ctx->prio);
    T(gnutls_certificate_free_credentials)(ctx->cred);
    free(ctx->alpn_store);
    free(ctx->pins);
    free(ctx);
}

const char *aeh_tls_ctx_pin(const aeh_tls_ctx *ctx)
{
    return ctx && ctx->pin[0] ? ctx->pin : NULL;
}

/* ------------------------------------------------------------ session */

struct aeh_tls {
    gnutls_session_t s;
    aeh_tls_ctx *ctx;
    aeh_buf in;                   /* ciphertext not yet pulled */
    aeh_buf *out;
    bool eof, handshaken, server;
    bool bye_sent;                /* our close_notify is made */
    bool ragged;                  /* ended by a TCP EOF without close_notify, taken as the end */
    /* Where the ciphertext GnuTLS took stands among records: a TCP EOF
     * in the middle of one is a truncation whatever the policy. */
    uint8_t rec_nhdr;             /* header bytes seen of the next record (0..4) */
    uint8_t rec_len_hi;
    size_t rec_left;              /* body bytes still to come of the current record */
    uint8_t first[16];            /* the peer's first bytes: is it TLS at all? */
    size_t nfirst;
    char peername[256];
    char why[200];                /* why verification failed */
    aeh_tls_verification verified; /* NOT_VERIFIED, VERIFIED_CHAIN or _PIN, VERIFY_SKIPPED */
};

static ssize_t push_cb(gnutls_transport_ptr_t p, const void *data, size_t n)
{
    aeh_tls *t = p;
    if (aeh_buf_append(t->out, data, n) < 0) {
        T(gnutls_transport_set_errno)(t->s, ENOMEM);
        return -1;
    }
    return (ssize_t)n;
}

/* Follows the record headers (type, version, 16-bit length) of the bytes
 * handed to GnuTLS. */
static void track_records(aeh_tls *t, const uint8_t *p, size_t n)
{
    while (n) {
        if (t->rec_left) {
            size_t k = n < t->rec_left ? n : t->rec_left;
            t->rec_left -= k;
            p += k;
            n -= k;
            continue;
        }
        if (t->rec_nhdr == 3)
            t->rec_len_hi = *p;
        else if (t->rec_nhdr == 4)
            t->rec_left = (size_t)t->rec_len_hi << 8 | *p;
        t->rec_nhdr = t->rec_nhdr == 4 ? 0 : t->rec_nhdr + 1;
        p++;
        n--;
    }
}

static bool at_record_boundary(const aeh_tls *t)
{
    return !t->rec_nhdr && !t->rec_left && !aeh_buf_len(&t->in);
}

static ssize_t pull_cb(gnutls_transport_ptr_t p, void *data, size_t n)
{
    aeh_tls *t = p;
    size_t have = aeh_buf_len(&t->in);
    if (!have) {
        if (t->eof)
            return 0;
        T(gnutls_transport_set_errno)(t->s, EAGAIN);
        return -1;
    }
    if (n > have)
        n = have;
    memcpy(data, aeh_buf_data(&t->in), n);
    if (t->nfirst < sizeof t->first) {
        size_t k = sizeof t->first - t->nfirst < n ? sizeof t->first - t->nfirst : n;
        memcpy(t->first + t->nfirst, data, k);
        t->nfirst += k;
    }
    track_records(t, data, n);
    aeh_buf_consume(&t->in, n);
    return (ssize_t)n;
}

/* Non-blocking: GnuTLS only asks whether bytes are there. */
static int pull_timeout_cb(gnutls_transport_ptr_t p, unsigned ms)
{
    (void)ms;
    aeh_tls *t = p;
    return aeh_buf_len(&t->in) || t->eof ? 1 : 0;
}

aeh_tls *aeh__tls_session_new(aeh_tls_ctx *ctx, int mode, const char *peername,
                              aeh_buf *out, aeh_error *err)
{
    aeh_tls *t = calloc(1, sizeof *t);
    if (!t) {
        aeh_fail(err, ENOMEM, 0, "%s", strerror(ENOMEM));
        return NULL;
    }
    t->ctx = ctx;
    t->out = out;
    t->server = mode == AEH_TLS_ACCEPT;
    if (peername)
        snprintf(t->peername, sizeof t->peername, "%s", peername);
    int rc = T(gnutls_init)(&t->s, (t->server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NONBLOCK);
    if (rc < 0) {
        aeh_fail(err, ENOMEM, 0, "TLS session: %s", T(gnutls_strerror)(rc));
        free(t);
        return NULL;
    }
    rc = T(gnutls_priority_set)(t->s, ctx->prio);
    if (rc >= 0)
        rc = T(gnutls_credentials_set)(t->s, GNUTLS_CRD_CERTIFICATE, ctx->cred);
    if (rc >= 0 && ctx->nalpn)
        rc = T(gnutls_alpn_set_protocols)(t->s, ctx->alpn, ctx->nalpn,
                                          t->server ? GNUTLS_ALPN_SERVER_PRECEDENCE : 0);
    if (rc >= 0 && !t->server && t->peername[0]) {
        uint8_t addr[16];
        bool literal = inet_pton(AF_INET, t->peername, addr) == 1 ||
                       inet_pton(AF_INET6, t->peername, addr) == 1;
        if (!literal)             /* RFC 6066: no IP literals in SNI */
            rc = T(gnutls_server_name_set)(t->s, GNUTLS_NAME_DNS, t->peername, strlen(t->peername));
    }
    if (rc >= 0 && ctx->verify_client)
        T(gnutls_certificate_server_set_request)(t->s, GNUTLS_CERT_REQUIRE);
    if (rc < 0) {
        aeh_fail(err, EPROTO, 0, "TLS session: %s", T(gnutls_strerror)(rc));
        aeh__tls_session_free(t);
        return NULL;
    }
    T(gnutls_session_set_ptr)(t->s, t);
    T(gnutls_transport_set_ptr)(t->s, t);
    T(gnutls_transport_set_push_function)(t->s, push_cb);
    T(gnutls_transport_set_pull_function)(t->s, pull_cb);
    T(gnutls_transport_set_pull_timeout_function)(t->s, pull_timeout_cb);
    T(gnutls_handshake_set_timeout)(t->s, 0);   /* the loop's timers bound it */
    return t;
}

void aeh__tls_session_free(aeh_tls *t)
{
    if (!t)
        return;
    T(gnutls_deinit)(t->s);
    aeh_buf_free(&t->in);
    free(t);
}

aeh_buf *aeh__tls_in(aeh_tls *t) { return &t->in; }
void aeh__tls_in_eof(aeh_tls *t) { t->eof = true; }
bool aeh__tls_handshaken(const aeh_tls *t) { return t->handshaken; }

/* ------------------------------------------------------------ verification */

static void fmt_time(time_t when, char *buf, size_t size)
{
    struct tm tm;
    if (when == (time_t)-1 || !gmtime_r(&when, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(buf, size, "?");
}

/* "localhost, 127.0.0.1": the names a certificate is for (SANs, else CN). */
static void crt_names(gnutls_x509_crt_t crt, char *out, size_t size)
{
    size_t o = 0;
    out[0] = 0;
    for (unsigned i = 0; i < 8 && o + 2 < size; i++) {
        char name[256], shown[4 * sizeof name];
        size_t len = sizeof name - 1;
        unsigned critical;
        int type = T(gnutls_x509_crt_get_subject_alt_name)(crt, i, name, &len, &critical);
        if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            break;
        char ip[INET6_ADDRSTRLEN];
        const char *s = NULL;
        if (type == GNUTLS_SAN_DNSNAME) {
            aeh_escape(name, len, shown, sizeof shown);   /* the peer's bytes: a NUL, a "\n" */
            s = shown;
        } else if (type == GNUTLS_SAN_IPADDRESS && (len == 4 || len == 16)) {
            s = inet_ntop(len == 4 ? AF_INET : AF_INET6, name, ip, sizeof ip);
        }
        if (s)
            o += (size_t)snprintf(out + o, size - o, "%s%s", o ? ", " : "", s);
    }
    if (!o) {
        char cn[256];
        size_t len = sizeof cn;
        if (T(gnutls_x509_crt_get_dn_by_oid)(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &len) < 0)
            snprintf(out, size, "(no names)");
        else
            aeh_escape(cn, len, out, size);
    }
    if (o >= size)
        out[size - 1] = 0;
}

/* The certificate has a DNS name or IP address subjectAltName. */
static bool crt_has_san(const gnutls_datum_t *der)
{
    gnutls_x509_crt_t crt;
    bool found = false;
    if (T(gnutls_x509_crt_init)(&crt) < 0)
        return false;
    if (T(gnutls_x509_crt_import)(crt, der, GNUTLS_X509_FMT_DER) >= 0) {
        for (unsigned i = 0; !found; i++) {
            char name[256];
            size_t len = sizeof name;
            int type = T(gnutls_x509_crt_get_subject_alt_name)(crt, i, name, &len, NULL);
            if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
                break;
            found = type == GNUTLS_SAN_DNSNAME || type == GNUTLS_SAN_IPADDRESS ||
                    type == GNUTLS_E_SHORT_MEMORY_BUFFER;
        }
    }
    T(gnutls_x509_crt_deinit)(crt);
    return found;
}

static bool same_dn(gnutls_x509_crt_t crt)
{
    char a[512], b[512];
    size_t la = sizeof a, lb = sizeof b;
    return T(gnutls_x509_crt_get_dn)(crt, a, &la) >= 0 &&
           T(gnutls_x509_crt_get_issuer_dn)(crt, b, &lb) >= 0 && la == lb && !memcmp(a, b, la);
}

static void append(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void append(char *out, size_t size, const char *fmt, ...)
{
    size_t o = strlen(out);
    if (o)
        o += (size_t)snprintf(out + o, o < size ? size - o : 0, "; ");
    if (o < size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(out + o, size - o, fmt, ap);
        va_end(ap);
    }
}

/* The reasons in the status bits, named for people, about the leaf. */
static void explain(aeh_tls *t, unsigned st, const gnutls_datum_t *leaf)
{
    char *why = t->why, buf[300];
    size_t size = sizeof t->why;
    gnutls_x509_crt_t crt = NULL;
    why[0] = 0;
    if (T(gnutls_x509_crt_init)(&crt) < 0 ||
        T(gnutls_x509_crt_import)(crt, leaf, GNUTLS_X509_FMT_DER) < 0) {
        if (crt)
            T(gnutls_x509_crt_deinit)(crt);
        crt = NULL;
    }
    if (st & GNUTLS_CERT_REVOKED)
        append(why, size, "revoked");
    if (st & GNUTLS_CERT_EXPIRED) {
        fmt_time(crt ? T(gnutls_x509_crt_get_expiration_time)(crt) : (time_t)-1, buf, sizeof buf);
        append(why, size, crt && T(gnutls_x509_crt_get_expiration_time)(crt) < time(NULL)
                          ? "expired on %s" : "expired certificate in the chain%s", crt ? buf : "");
    }
    if (st & GNUTLS_CERT_NOT_ACTIVATED) {
        fmt_time(crt ? T(gnutls_x509_crt_get_activation_time)(crt) : (time_t)-1, buf, sizeof buf);
        append(why, size, "not yet valid (from %s)", buf);
    }
    if (st & GNUTLS_CERT_SIGNER_NOT_FOUND) {
        if (crt && same_dn(crt)) {
            append(why, size, "self-signed certificate");
        } else {
            char dn[300];
            size_t len = sizeof dn;
            if (!crt || T(gnutls_x509_crt_get_issuer_dn)(crt, dn, &len) < 0)
                snprintf(buf, sizeof buf, "?");
            else
                aeh_escape(dn, len, buf, sizeof buf);
            append(why, size, "unknown issuer (%s)", buf);
        }
    } else if (st & GNUTLS_CERT_SIGNER_NOT_CA) {
        append(why, size, "issuer is not a CA");
    }
    if (st & GNUTLS_CERT_UNEXPECTED_OWNER) {
        char names[200];
        if (crt)
            crt_names(crt, names, sizeof names);
        snprintf(buf, sizeof buf, "name mismatch: the certificate is for %.150s, not %.100s",
                 crt ? names : "?", t->peername);
        append(why, size, "%s", buf);
    }
    if (st & GNUTLS_CERT_INSECURE_ALGORITHM)
        append(why, size, "insecure signature algorithm");
    if (st & GNUTLS_CERT_SIGNATURE_FAILURE)
        append(why, size, "bad signature");
    if (st & GNUTLS_CERT_PURPOSE_MISMATCH)
        append(why, size, "not a TLS %s certificate", t->server ? "client" : "server");
    if (!why[0])
        snprintf(why, size, "verification failed (GnuTLS status 0x%x)", st);
    if (crt)
        T(gnutls_x509_crt_deinit)(crt);
}

/* Runs inside the handshake when the peer's certificate arrives; a
 * non-zero return aborts the handshake, and t->why says why. */
static int verify_peer(gnutls_session_t s)
{
    aeh_tls *t = T(gnutls_session_get_ptr)(s);
    aeh_tls_ctx *ctx = t->ctx;
    unsigned n = 0;
    const gnutls_datum_t *chain = T(gnutls_certificate_get_peers)(s, &n);
    if (!chain || !n) {
        if (!ctx->verify_client && t->server)
            return 0;
        snprintf(t->why, sizeof t->why, "no certificate: the %s sent none",
                 t->server ? "client" : "server");
        return -1;
    }
    if (ctx->npins) {
        char pin[64];
        if (crt_pin(&chain[0], pin, sizeof pin) < 0) {
            snprintf(t->why, sizeof t->why, "pin mismatch: cannot read the peer's key");
            return -1;
        }
        size_t i = 0;
        while (i < ctx->npins && strcmp(ctx->pins[i], pin))
            i++;
        if (i == ctx->npins) {
            snprintf(t->why, sizeof t->why, "pin mismatch: the %s's key is %s",
                     t->server ? "client" : "server", pin);
            return -1;
        }
        t->verified = AEH_TLS_VERIFIED_PIN;
    }
    if (!ctx->check_chain) {
        if (t->verified == AEH_TLS_NOT_VERIFIED)
            t->verified = AEH_TLS_VERIFY_SKIPPED;
        return 0;
    }
    if (!t->server && !t->peername[0]) {
        /* a valid chain for some other name proves nothing */
        snprintf(t->why, sizeof t->why, "no server name to check the certificate against "
                 "(give one, or pin the key)");
        return -1;
    }
    gnutls_typed_vdata_st data[2];
    unsigned nd = 0;
    uint8_t addr[16];
    if (!t->server && t->peername[0]) {
        if (inet_pton(AF_INET, t->peername, addr) == 1)
            data[nd++] = (gnutls_typed_vdata_st){ GNUTLS_DT_IP_ADDRESS, addr, 4 };
        else if (inet_pton(AF_INET6, t->peername, addr) == 1)
            data[nd++] = (gnutls_typed_vdata_st){ GNUTLS_DT_IP_ADDRESS, addr, 16 };
        else
            data[nd++] = (gnutls_typed_vdata_st){ GNUTLS_DT_DNS_HOSTNAME, (unsigned char *)t->peername, 0 };
    }
    data[nd++] = (gnutls_typed_vdata_st){ GNUTLS_DT_KEY_PURPOSE_OID,
        (unsigned char *)(t->server ? GNUTLS_KP_TLS_WWW_CLIENT : GNUTLS_KP_TLS_WWW_SERVER), 0 };
    unsigned status = 0;
    int rc = T(gnutls_certificate_verify_peers)(s, data, nd, &status);
    if (rc < 0) {
        snprintf(t->why, sizeof t->why, "%s", T(gnutls_strerror)(rc));
        return -1;
    }
    if (status) {
        explain(t, status, &chain[0]);
        return -1;
    }
    if (!t->server && !crt_has_san(&chain[0])) {
        /* GnuTLS matched the name against the CN.  RFC 6125 (6.4.4)
         * allows that only without a subjectAltName and advises against
         * it; browsers gave it up, and CAs have written the names into
         * the subjectAltName for years: a CN-only certificate is made
         * by hand, and the man page says names are matched there */
        snprintf(t->why, sizeof t->why, "no subjectAltName: the certificate names its host only "
                 "in the subject CN, which is not accepted (RFC 6125)");
        return -1;
    }
    t->verified = AEH_TLS_VERIFIED_CHAIN;
    return 0;
}

/* ------------------------------------------------------------ driving */

static bool looks_like_tls(const aeh_tls *t)
{
    /* a record header: content type 20..23, major version 3 */
    return t->nfirst < 2 || (t->first[0] >= 20 && t->first[0] <= 23 && t->first[1] == 3);
}

/* Tell the peer why we give up (bad certificate, ...) rather than just
 * closing: it then names the reason instead of guessing at a truncation. */
static void send_alert(aeh_tls *t, int rc)
{
    if (rc != GNUTLS_E_FATAL_ALERT_RECEIVED && rc != GNUTLS_E_PREMATURE_TERMINATION && !t->eof)
        T(gnutls_alert_send_appropriate)(t->s, rc);
}

static int handshake_error(aeh_tls *t, int rc, aeh_error *err)
{
    send_alert(t, rc);
    if (t->why[0])
        return aeh_fail(err, EPROTO, 0, "certificate verification failed: %s", t->why);
    /* the versions we allow, for when the peer has none of them */
    const char *versions = t->ctx->own_priority ? "the priority string's versions"
                                                : "TLS 1.2 or later (the default)";
    if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED) {
        gnutls_alert_description_t alert = T(gnutls_alert_get)(t->s);
        const char *name = T(gnutls_alert_get_name)(alert);
        return aeh_fail(err, EPROTO, 0, "the peer sent a fatal alert: %s%s%s", name ? name : "?",
                        alert == GNUTLS_A_PROTOCOL_VERSION ? ": no TLS version in common, we offered " : "",
                        alert == GNUTLS_A_PROTOCOL_VERSION ? versions : "");
    }
    if (t->nfirst && !looks_like_tls(t)) {
        char shown[sizeof t->first * 4 + 1];
        /* its first line, the line end shown: a stray "\n" left from a
         * plaintext reply must not read as nothing */
        const uint8_t *nl = memchr(t->first, '\n', t->nfirst);
        aeh_escape(t->first, nl ? (size_t)(nl - t->first) + 1 : t->nfirst, shown, sizeof shown);
        return aeh_fail(err, EPROTO, 0, "the peer does not speak TLS (not TLS: it sent \"%s\")", shown);
    }
    if (t->eof && !aeh_buf_len(&t->in))
        return aeh_fail(err, EPROTO, 0, "the peer closed the connection during the handshake");
    if (rc == GNUTLS_E_UNSUPPORTED_VERSION_PACKET)
        return aeh_fail(err, EPROTO, 0, "no TLS version in common: the %s, and we allow %s",
                        t->server ? "client offered only older or other versions"
                                  : "server chose an older or other version", versions);
    if (rc == GNUTLS_E_NO_CERTIFICATE_FOUND || rc == GNUTLS_E_CERTIFICATE_REQUIRED)
        return aeh_fail(err, EPROTO, 0, "no certificate: the %s sent none",
                        t->server ? "client" : "server");
    return aeh_fail(err, EPROTO, 0, "%s", T(gnutls_strerror)(rc));
}

int aeh__tls_handshake(aeh_tls *t, aeh_error *err)
{
    for (;;) {
        int rc = T(gnutls_handshake)(t->s);
        if (rc == 0) {
            t->handshaken = true;
            return TLS_DONE;
        }
        if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
            if (aeh_buf_len(&t->in))      /* it stopped early: go on */
                continue;
            if (t->eof)
                return handshake_error(t, GNUTLS_E_PREMATURE_TERMINATION, err);
            return TLS_AGAIN;
        }
        if (T(gnutls_error_is_fatal)(rc))
            return handshake_error(t, rc, err);
    }
}

long aeh__tls_recv(aeh_tls *t, uint8_t *p, size_t room, aeh_error *err)
{
    for (;;) {
        ssize_t n = T(gnutls_record_recv)(t->s, p, room);
        if (n > 0)
            return (long)n;
        if (n == 0)
            return TLS_CLOSED;
        if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
            /* GnuTLS also says AGAIN after a post-handshake message (a
             * TLS 1.3 session ticket) with records still unread */
            if (aeh_buf_len(&t->in))
                continue;
            if (!t->eof)
                return TLS_AGAIN;
            n = GNUTLS_E_PREMATURE_TERMINATION;   /* a partial record, then EOF */
        }
        /* GnuTLS says PREMATURE_TERMINATION at a record boundary, and
         * a decoding error for a record the EOF cut */
        bool boundary = at_record_boundary(t);
        if (t->eof && !boundary) {
            aeh_fail(err, EPROTO, 0, "the peer closed the connection inside a TLS record "
                     "(cut short), without close_notify (truncated)");
            err->reason = AEH_REASON_TRUNCATED;
            return -1;
        }
        if (n == GNUTLS_E_PREMATURE_TERMINATION) {
            /* TLS 1.2 made close_notify a full close: real servers (nginx,
             * redis) answer ours by closing TCP, so after ours a clean
             * record boundary is their end, unless the user is strict */
            if (t->ctx->allow_truncation || (t->bye_sent && !t->ctx->strict_close)) {
                t->ragged = true;
                return TLS_CLOSED;
            }
            if (t->bye_sent)
                aeh_fail(err, EPROTO, 0, "the peer closed the connection without close_notify "
                         "after ours (strict close)");
            else
                aeh_fail(err, EPROTO, 0, "the peer closed the connection without close_notify (truncated?)");
            err->reason = AEH_REASON_TRUNCATED;
            return -1;
        }
        if (T(gnutls_error_is_fatal)((int)n)) {
            send_alert(t, (int)n);
            if (n == GNUTLS_E_FATAL_ALERT_RECEIVED) {
                const char *name = T(gnutls_alert_get_name)(T(gnutls_alert_get)(t->s));
                aeh_fail(err, EPROTO, 0, "the peer sent a fatal alert: %s", name ? name : "?");
            } else {
                aeh_fail(err, EPROTO, 0, "%s", T(gnutls_strerror)((int)n));
            }
            return -1;
        }
        /* warning alerts, a TLS 1.2 renegotiation request (refused by not
         * answering): keep reading */
    }
}

long aeh__tls_send(aeh_tls *t, const uint8_t *p, size_t n, aeh_error *err)
{
    ssize_t rc = T(gnutls_record_send)(t->s, p, n);
    if (rc < 0) {
        aeh_fail(err, rc == GNUTLS_E_MEMORY_ERROR ? ENOMEM : EPROTO, 0, "%s", T(gnutls_strerror)((int)rc));
        return -1;
    }
    return (long)rc;
}

void aeh__tls_bye(aeh_tls *t)
{
    T(gnutls_bye)(t->s, GNUTLS_SHUT_WR);   /* the push never blocks: done at once */
    t->bye_sent = true;
}

bool aeh__tls_ragged_eof(const aeh_tls *t) { return t->ragged; }

/* ------------------------------------------------------------ description */

/* A DN into a NUL-terminated field, "?" when GnuTLS cannot write it there. */
static void crt_dn(gnutls_x509_crt_t crt, bool issuer, char *dn, size_t size, size_t *len)
{
    *len = size - 1;
    int rc = issuer ? T(gnutls_x509_crt_get_issuer_dn)(crt, dn, len)
                    : T(gnutls_x509_crt_get_dn)(crt, dn, len);
    if (rc < 0)
        *len = (size_t)snprintf(dn, size, "?");
    dn[*len] = '\0';
}

static bool crt_info(const gnutls_datum_t *der, aeh_tls_cert_info *ci)
{
    gnutls_x509_crt_t crt;
    if (T(gnutls_x509_crt_init)(&crt) < 0)
        return false;
    bool ok = T(gnutls_x509_crt_import)(crt, der, GNUTLS_X509_FMT_DER) >= 0;
    if (ok) {
        crt_dn(crt, false, ci->subject, sizeof ci->subject, &ci->subject_len);
        crt_dn(crt, true, ci->issuer, sizeof ci->issuer, &ci->issuer_len);
        fmt_time(T(gnutls_x509_crt_get_activation_time)(crt), ci->valid_from, sizeof ci->valid_from);
        fmt_time(T(gnutls_x509_crt_get_expiration_time)(crt), ci->valid_to, sizeof ci->valid_to);
    }
    T(gnutls_x509_crt_deinit)(crt);
    return ok;
}

void aeh__tls_info(aeh_tls *t, aeh_tls_info *info)
{
    gnutls_session_t s = t->s;
    memset(info, 0, sizeof *info);
    const char *v = T(gnutls_protocol_get_name)(T(gnutls_protocol_get_version)(s));
    const char *suite = T(gnutls_ciphersuite_get)(s);
    snprintf(info->version, sizeof info->version, "%s", v ? v : "?");
    snprintf(info->cipher, sizeof info->cipher, "%s", suite ? suite : "?");
    info->accepting = t->server;
    gnutls_datum_t alpn;
    if (T(gnutls_alpn_get_selected_protocol)(s, &alpn) >= 0) {
        info->has_alpn = true;
        info->alpn_len = alpn.size < sizeof info->alpn ? alpn.size : sizeof info->alpn;
        memcpy(info->alpn, alpn.data, info->alpn_len);
    }
    if (t->server) {
        char name[256];
        size_t len = sizeof name;
        unsigned type;
        if (T(gnutls_server_name_get)(s, name, &len, &type, 0) >= 0 && type == GNUTLS_NAME_DNS) {
            info->has_sni = true;
            info->sni_len = len < sizeof info->sni ? len : sizeof info->sni;
            memcpy(info->sni, name, info->sni_len);
        }
    }
    unsigned count = 0;
    const gnutls_datum_t *chain = T(gnutls_certificate_get_peers)(s, &count);
    for (unsigned i = 0; chain && i < count && info->ncerts < AEH_TLS_INFO_MAX_CERTS; i++)
        if (crt_info(&chain[i], &info->certs[info->ncerts]))
            info->ncerts++;
    if (chain && count && crt_pin(&chain[0], info->peer_pin, sizeof info->peer_pin) < 0)
        info->peer_pin[0] = '\0';
    /* t->verified says what the handshake checked; the context, why */
    aeh_tls_verification how = t->verified;
    if (t->server && !t->ctx->verify_client)
        how = AEH_TLS_NO_CLIENT_CERT_ASKED;
    else if (t->server && t->verified == AEH_TLS_VERIFIED_CHAIN)
        how = AEH_TLS_VERIFIED_CLIENT;
    else if (t->verified == AEH_TLS_VERIFIED_CHAIN && t->ctx->npins)
        how = AEH_TLS_VERIFIED_CHAIN_AND_PIN;
    else if (t->verified == AEH_TLS_VERIFY_SKIPPED && t->ctx->insecure)
        how = AEH_TLS_VERIFY_INSECURE;
    info->verification = how;
}
