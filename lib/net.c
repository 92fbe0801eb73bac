/* SPDX-License-Identifier: MIT */
/* Sockets: connect with a deadline over resolution (resolve.c) and RFC 8305
 * Happy Eyeballs, listen and accept, Unix-domain sockets, address text.
 * Every socket made here is non-blocking and close-on-exec from socket(2)
 * on, so no window exists where a forked `-e` program could inherit it. */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "aeh.h"
#include "resolve_int.h"

/* RFC 8305: after an A answer, wait this long for the AAAA one (§3);
 * start the next attempt this long after the previous one (§5). */
#define RESOLUTION_DELAY 0.050
#define ATTEMPT_DELAY    0.250
/* More addresses than this are ignored: racing 250 ms apart, they could not
 * be reached within any sensible deadline anyway. */
#define MAX_ADDRS 64

typedef struct addr {
    struct sockaddr_storage sa;
    socklen_t len;
} addr;

typedef struct addrq {            /* addresses of one family, in resolver order */
    addr *v;
    size_t n, head;
} addrq;

typedef struct attempt {
    aeh_connector *c;
    int fd;
    ev_io w;
    addr a;
} attempt;

struct aeh_connector {
    struct ev_loop *loop;
    aeh_connect_cb *cb;
    void (*on_event)(void *arg, const aeh_connect_event *ev);
    void *arg;
    char *host, *port;
    int family;
    double timeout;
    addr src;                     /* bind before connect when src_set */
    bool src_set, src_host;       /* src_host: a source address, not just a port */

    aeh_resolve *res;
    int unresolved;               /* families still being resolved */
    bool v6_unresolved;
    int gai_rc, gai_errno, gai_rank;

    addrq q[2];                   /* [0] IPv6, [1] IPv4 */
    int next_q;                   /* the family whose turn it is */
    bool started;
    ev_timer step;                /* kick-off (0 s), resolution delay, attempt delay */
    ev_timer deadline;

    attempt **att;                /* attempts in flight */
    size_t natt;
    int ntried;
    aeh_error best;               /* the most telling failure so far */
    int best_rank;
    const char *best_why;         /* its reason when not strerror(best.code) */

    aeh_error early;              /* failure found before the loop ran, delivered by it */
    bool early_set, in_cb;
};

/* A failed getaddrinfo as an error.  A lookup that could not open its
 * files for want of descriptors (glibc then answers EAI_NONAME, errno
 * EMFILE) is the system's error, not a name that does not exist. */
static int gai_fail(aeh_error *e, const char *host, int rc, int sys_errno)
{
    if (sys_errno == EMFILE || sys_errno == ENFILE)
        return aeh_fail(e, sys_errno, 0, "resolve %s: %s", host, strerror(sys_errno));
    return aeh_fail(e, AEH_ENAME, 0, "resolve %s: %s", host,
                    rc == EAI_SYSTEM ? strerror(sys_errno) : gai_strerror(rc));
}

/* ------------------------------------------------------------ address text */

static bool v4_mapped(const struct sockaddr *sa)
{
    return sa->sa_family == AF_INET6 &&
           IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

int aeh_addr_numeric(const struct sockaddr *sa, socklen_t len,
                     char *host, size_t hostsz, char *port, size_t portsz)
{
    if (!sa || len < (socklen_t)sizeof(sa_family_t) || !hostsz || !portsz)
        return -1;
    if (sa->sa_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
        size_t n = len - offsetof(struct sockaddr_un, sun_path);
        const char *p = un->sun_path;
        if (len <= offsetof(struct sockaddr_un, sun_path)) {
            n = 0;                /* unnamed (socketpair, unbound client) */
        } else if (p[0] == 0) {   /* abstract: the length says where the name ends */
            if (n > hostsz - 1)
                return -1;
            host[0] = '@';
            memcpy(host + 1, p + 1, n - 1);
            host[n] = 0;
            port[0] = 0;
            return 0;
        } else {
            n = strnlen(p, n);
        }
        if (n >= hostsz)
            return -1;
        memcpy(host, p, n);
        host[n] = 0;
        port[0] = 0;
        return 0;
    }
    if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
        return -1;
    if (v4_mapped(sa)) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        if (!inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], host, (socklen_t)hostsz))
            return -1;
        return snprintf(port, portsz, "%u", ntohs(s6->sin6_port)) < (int)portsz ? 0 : -1;
    }
    /* NI_NUMERICHOST: never a DNS query; keeps a v6 scope (fe80::1%eth0). */
    int rc = getnameinfo(sa, len, host, (socklen_t)hostsz, port, (socklen_t)portsz,
                         NI_NUMERICHOST | NI_NUMERICSERV);
    return rc ? -1 : 0;
}

const char *aeh_addr_str(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
    char host[sizeof(((struct sockaddr_un *)0)->sun_path) + 2];   /* also fits any IPv6 text */
    char port[16];
    if (!size)
        return buf;
    if (!sa || len < (socklen_t)sizeof(sa_family_t))
        snprintf(buf, size, "unknown address");
    else if (aeh_addr_numeric(sa, len, host, sizeof host, port, sizeof port) < 0)
        snprintf(buf, size, "address of family %d", sa->sa_family);
    else if (sa->sa_family == AF_UNIX)
        snprintf(buf, size, "unix socket %s", host[0] ? host : "(unnamed)");
    else
        snprintf(buf, size, "%s port %s", host, port);
    return buf;
}

/* ------------------------------------------------------------ connector: end */

static void attempt_free(attempt *a, bool close_fd)
{
    ev_io_stop(a->c->loop, &a->w);
    if (close_fd && a->fd >= 0)
        close(a->fd);
    free(a);
}

static void connector_free(aeh_connector *c)
{
    ev_timer_stop(c->loop, &c->step);
    ev_timer_stop(c->loop, &c->deadline);
    aeh__resolve_release(c->res);
    for (size_t i = 0; i < c->natt; i++)
        attempt_free(c->att[i], true);
    free(c->att);
    free(c->q[0].v);
    free(c->q[1].v);
    free(c->host);
    free(c->port);
    free(c);
}

/* Tells the user what the connector does, when asked to. */
static void tell(aeh_connector *c, int kind, const addr *a, int e)
{
    if (!c->on_event)
        return;
    aeh_connect_event ev = { kind, (const struct sockaddr *)&a->sa, a->len, e };
    c->on_event(c->arg, &ev);
}

/* The one way out: cb exactly once, then the connector is gone.  `win` (or
 * NULL with err) is detached from the list before the rest is closed. */
static void finish(aeh_connector *c, attempt *win, const aeh_error *err)
{
    ev_timer_stop(c->loop, &c->step);
    ev_timer_stop(c->loop, &c->deadline);
    aeh__resolve_release(c->res);
    c->res = NULL;
    for (size_t i = 0; i < c->natt; i++)
        if (c->att[i] != win)
            attempt_free(c->att[i], true);
    c->natt = 0;
    c->in_cb = true;
    if (win) {
        ev_io_stop(c->loop, &win->w);
        tell(c, AEH_CONNECT_WON, &win->a, 0);
        c->cb(c->arg, win->fd, (const struct sockaddr *)&win->a.sa, win->a.len, NULL);
        free(win);
    } else {
        c->cb(c->arg, -1, NULL, 0, err);
    }
    connector_free(c);
}

void aeh_connect_cancel(aeh_connector *c)
{
    /* Inside cb the connector is already on its way out. */
    if (c && !c->in_cb)
        connector_free(c);
}

/* ------------------------------------------------------------ connector: errors */

/* Which failure tells the user most: a refusal proves the host is there;
 * "no route" beats "no such network"; a family the machine cannot use at
 * all says least. */
static int error_rank(int e)
{
    switch (e) {
    case ECONNREFUSED: return 6;
    case EHOSTUNREACH: case EHOSTDOWN: return 3;
    case ENETUNREACH: case ENETDOWN: return 2;
    case EADDRNOTAVAIL: case EAFNOSUPPORT: case EPROTONOSUPPORT: return 1;
    default: return 4;
    }
}

/* op: AEH_OP_CONNECT to a, or AEH_OP_BIND to the source address a (the
 * error keeps it, so that fail_all tells them apart).  why: the reason in
 * words, NULL for strerror(e). */
static void note_failure_why(aeh_connector *c, const addr *a, int op, int e, const char *why)
{
    tell(c, AEH_CONNECT_FAILED, a, e);
    int rank = error_rank(e);
    if (rank < c->best_rank)
        return;
    char where[200];
    aeh_addr_str((const struct sockaddr *)&a->sa, a->len, where, sizeof where);
    c->best_why = why;
    aeh_fail(&c->best, e, 0, "%s %s: %s", op == AEH_OP_BIND ? "bind to" : "connect to", where,
             why ? why : strerror(e));
    c->best.op = op;
    c->best_rank = rank;
}

static void note_failure(aeh_connector *c, const addr *a, int op, int e)
{
    note_failure_why(c, a, op, e, NULL);
}

static void fail_all(aeh_connector *c)
{
    aeh_error e;
    char src[100], sport[16];
    if (!c->best_rank && c->src_host &&
        aeh_addr_numeric((const struct sockaddr *)&c->src.sa, c->src.len, src, sizeof src,
                         sport, sizeof sport) == 0) {
        aeh_fail(&e, EADDRNOTAVAIL, 0, "connect to %s port %s: not reachable from source "
                 "address %s (another address family)", c->host, c->port, src);
    } else if (!c->best_rank) {
        aeh_fail(&e, ENETUNREACH, 0, "connect to %s port %s: no usable address", c->host, c->port);
    } else if (c->ntried > 1 && c->best.op == AEH_OP_CONNECT) {
        /* Several addresses: name the host rather than one of them. */
        aeh_fail(&e, c->best.code, 0, "connect to %s port %s: %s", c->host, c->port,
                 c->best_why ? c->best_why : strerror(c->best.code));
        e.op = AEH_OP_CONNECT;
    } else {
        e = c->best;
    }
    finish(c, NULL, &e);
}

/* ------------------------------------------------------------ connector: attempts */

static void launch_next(aeh_connector *c);

/* A source port equal to the destination on a local address makes TCP
 * simultaneous open connect the socket to itself: whatever it sends it
 * reads back, as if a peer echoed it. */
static bool connected_to_self(int fd)
{
    struct sockaddr_storage local, peer;
    socklen_t ll = sizeof local, pl = sizeof peer;
    if (getsockname(fd, (struct sockaddr *)&local, &ll) < 0 ||
        getpeername(fd, (struct sockaddr *)&peer, &pl) < 0)
        return false;
    return ll == pl && !memcmp(&local, &peer, ll);
}

static const char self_connected[] = "connected to itself (the source address and port are the "
                                     "destination's)";

static void attempt_done(aeh_connector *c, attempt *a, int e)
{
    for (size_t i = 0; i < c->natt; i++)
        if (c->att[i] == a) {
            c->att[i] = c->att[--c->natt];
            break;
        }
    if (!e && !connected_to_self(a->fd)) {
        finish(c, a, NULL);
        return;
    }
    if (e)
        note_failure(c, &a->a, AEH_OP_CONNECT, e);
    else
        note_failure_why(c, &a->a, AEH_OP_CONNECT, ECONNREFUSED, self_connected);
    attempt_free(a, true);
    launch_next(c);               /* RFC 8305 §5: a failure starts the next at once */
}

static void on_writable(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop; (void)revents;
    attempt *a = w->data;
    int e = 0;
    socklen_t el = sizeof e;
    if (getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
        e = errno;
    attempt_done(a->c, a, e);
}

static int bind_source(aeh_connector *c, int fd, int family)
{
    addr s = c->src;
    if (!c->src_host) {           /* only a port: the wildcard address of this family */
        in_port_t port = ((struct sockaddr_in *)&c->src.sa)->sin_port;
        memset(&s, 0, sizeof s);
        if (family == AF_INET6) {
            struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&s.sa;
            s6->sin6_family = AF_INET6;
            s6->sin6_port = port;
            s.len = sizeof *s6;
        } else {
            struct sockaddr_in *s4 = (struct sockaddr_in *)&s.sa;
            s4->sin_family = AF_INET;
            s4->sin_port = port;
            s.len = sizeof *s4;
        }
    }
    /* A fixed source port must be reusable at once: by the next run while
     * the last connection sits in TIME_WAIT, and by the parallel attempts. */
    int one = 1;
    if (((struct sockaddr_in *)&s.sa)->sin_port &&
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
        return -1;
    return bind(fd, (struct sockaddr *)&s.sa, s.len);
}

/* Starts one attempt.  Returns true when it is in flight or has won (then
 * the connector is gone: the caller must not touch it). */
static bool attempt_start(aeh_connector *c, const addr *a, bool *won)
{
    int family = a->sa.ss_family;
    c->ntried++;
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        note_failure(c, a, AEH_OP_CONNECT, errno);
        return false;
    }
    if (c->src_set && bind_source(c, fd, family) < 0) {
        int e = errno;
        close(fd);
        note_failure(c, &c->src, AEH_OP_BIND, e);
        return false;
    }
    attempt *at = malloc(sizeof *at);
    attempt **v = realloc(c->att, (c->natt + 1) * sizeof *v);
    if (!at || !v) {
        free(at);
        if (v)
            c->att = v;
        close(fd);
        note_failure(c, a, AEH_OP_CONNECT, ENOMEM);
        return false;
    }
    c->att = v;
    *at = (attempt){ .c = c, .fd = fd, .a = *a };
    ev_io_init(&at->w, on_writable, fd, EV_WRITE);
    at->w.data = at;
    c->att[c->natt++] = at;
    tell(c, AEH_CONNECT_TRYING, a, 0);
    if (connect(fd, (const struct sockaddr *)&a->sa, a->len) == 0) {
        c->natt--;
        if (connected_to_self(fd)) {
            attempt_free(at, true);
            note_failure_why(c, a, AEH_OP_CONNECT, ECONNREFUSED, self_connected);
            return false;
        }
        *won = true;              /* loopback may connect at once; we run in a loop callback */
        finish(c, at, NULL);
        return true;
    }
    if (errno != EINPROGRESS) {
        int e = errno;
        c->natt--;
        attempt_free(at, true);
        note_failure(c, a, AEH_OP_CONNECT, e);
        return false;
    }
    ev_io_start(c->loop, &at->w);
    return true;
}

/* Interleaves the families, IPv6 first (RFC 8305 §4): take from the queue
 * whose turn it is, else from the other; then it is the other's turn. */
static const addr *next_addr(aeh_connector *c)
{
    for (int k = 0; k < 2; k++) {
        addrq *q = &c->q[(c->next_q + k) % 2];
        if (q->head < q->n) {
            c->next_q = (c->next_q + k + 1) % 2;
            return &q->v[q->head++];
        }
    }
    return NULL;
}

static void launch_next(aeh_connector *c)
{
    const addr *a;
    while ((a = next_addr(c))) {
        bool won = false;
        if (attempt_start(c, a, &won)) {
            if (won)
                return;
            ev_timer_stop(c->loop, &c->step);
            ev_timer_set(&c->step, ATTEMPT_DELAY, 0);
            ev_timer_start(c->loop, &c->step);
            return;
        }
    }
    /* Nothing left to start now; answers still coming may add some. */
    ev_timer_stop(c->loop, &c->step);
    if (!c->natt && !c->unresolved)
        fail_all(c);
}

/* ------------------------------------------------------------ connector: progress */

static bool have_addrs(const aeh_connector *c, int qi)
{
    return c->q[qi].head < c->q[qi].n;
}

static void fail_resolve(aeh_connector *c)
{
    aeh_error e;
    if (c->gai_rc)
        gai_fail(&e, c->host, c->gai_rc, c->gai_errno);
    else
        aeh_fail(&e, AEH_ENAME, 0, "resolve %s: no usable address", c->host);
    finish(c, NULL, &e);
}

/* Called after every event: decides whether to start connecting, to keep
 * waiting, or to give up. */
static void advance(aeh_connector *c, bool delay_over)
{
    if (!c->started) {
        if (have_addrs(c, 0) || (have_addrs(c, 1) && (!c->v6_unresolved || delay_over))) {
            c->started = true;
            ev_timer_stop(c->loop, &c->step);
        } else if (have_addrs(c, 1)) {
            /* RFC 8305 §3: an A answer waits briefly for the AAAA one. */
            if (!ev_is_active(&c->step)) {
                ev_timer_set(&c->step, RESOLUTION_DELAY, 0);
                ev_timer_start(c->loop, &c->step);
            }
            return;
        } else {
            if (!c->unresolved)
                fail_resolve(c);
            return;
        }
    }
    if (!c->natt)
        launch_next(c);
    else if (!ev_is_active(&c->step) && (have_addrs(c, 0) || have_addrs(c, 1))) {
        /* Late answers while attempts run: the next one in its turn. */
        ev_timer_set(&c->step, ATTEMPT_DELAY, 0);
        ev_timer_start(c->loop, &c->step);
    }
}

static bool same_addr(const addr *a, const addr *b)
{
    return a->len == b->len && !memcmp(&a->sa, &b->sa, a->len);
}

static void add_addrs(aeh_connector *c, const struct addrinfo *ai)
{
    for (; ai; ai = ai->ai_next) {
        int qi = ai->ai_family == AF_INET6 ? 0 : ai->ai_family == AF_INET ? 1 : -1;
        if (qi < 0 || ai->ai_socktype != SOCK_STREAM || ai->ai_addrlen > sizeof(struct sockaddr_storage))
            continue;
        if (c->src_host && ai->ai_family != c->src.sa.ss_family)
            continue;             /* unreachable from the given source address */
        addrq *q = &c->q[qi];
        if (q->n >= MAX_ADDRS)
            continue;
        addr a = { .len = ai->ai_addrlen };
        memcpy(&a.sa, ai->ai_addr, ai->ai_addrlen);
        bool dup = false;         /* /etc/hosts may list an address twice */
        for (size_t i = 0; i < q->n && !dup; i++)
            dup = same_addr(&q->v[i], &a);
        if (dup)
            continue;
        addr *v = realloc(q->v, (q->n + 1) * sizeof *v);
        if (!v)
            return;               /* keep what we have: fewer addresses to race */
        q->v = v;
        q->v[q->n++] = a;
        tell(c, AEH_CONNECT_RESOLVED, &a, 0);
    }
}

/* A resolution error worth showing: the absence of one family's records
 * (EAI_NODATA, EAI_ADDRFAMILY) says less than the other family's error,
 * which says less than a lookup that ran out of descriptors (the other
 * one's "not known" may be an effect of it). */
static int gai_rank(int rc, int sys_errno)
{
    if (sys_errno == EMFILE || sys_errno == ENFILE)
        return 3;
#ifdef EAI_NODATA
    if (rc == EAI_NODATA)
        return 1;
#endif
#ifdef EAI_ADDRFAMILY
    if (rc == EAI_ADDRFAMILY)
        return 1;
#endif
    return 2;
}

static void on_resolved(void *arg, int family, int rc, int sys_errno, struct addrinfo *ai)
{
    aeh_connector *c = arg;
    c->unresolved--;
    if (family == AF_INET6)
        c->v6_unresolved = false;
    if (rc) {
        if (gai_rank(rc, sys_errno) >= c->gai_rank) {
            c->gai_rc = rc;
            c->gai_errno = sys_errno;
            c->gai_rank = gai_rank(rc, sys_errno);
        }
    } else {
        add_addrs(c, ai);
        freeaddrinfo(ai);
    }
    advance(c, false);
}

static void on_step(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop; (void)revents;
    aeh_connector *c = w->data;
    if (c->early_set) {
        finish(c, NULL, &c->early);
        return;
    }
    if (!c->started) {
        advance(c, true);
        return;
    }
    launch_next(c);               /* the attempt delay passed: race one more */
}

static void on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop; (void)revents;
    aeh_connector *c = w->data;
    aeh_error e;
    if (!c->started)
        aeh_fail(&e, ETIMEDOUT, 0, "resolve %s: timed out after %g s", c->host, c->timeout);
    else
        aeh_fail(&e, ETIMEDOUT, 0, "connect to %s port %s: timed out after %g s",
                 c->host, c->port, c->timeout);
    finish(c, NULL, &e);
}

/* ------------------------------------------------------------ connector: start */

static bool is_numeric_host(const char *host)
{
    struct in6_addr buf;
    return inet_pton(AF_INET, host, &buf) == 1 || inet_pton(AF_INET6, host, &buf) == 1;
}

/* Source address and port, numeric only: a name would need a lookup
 * outside the deadline, and netcat users give addresses here. */
static int set_source(aeh_connector *c, const aeh_connect_opts *o, aeh_error *err)
{
    if (!o->source_host && !o->source_port)
        return 0;
    struct addrinfo hints = { .ai_family = o->source_host ? c->family : AF_INET,
                              .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICHOST };
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(o->source_host, o->source_port ? o->source_port : "0", &hints, &ai);
    if (rc) {
        if (rc == EAI_SERVICE)
            return aeh_fail(err, EINVAL, 0, "source port %s: %s", o->source_port, gai_strerror(rc));
        return aeh_fail(err, EINVAL, 0, "source address %s: %s", o->source_host,
                        rc == EAI_NONAME ? "not a numeric address" : gai_strerror(rc));
    }
    memcpy(&c->src.sa, ai->ai_addr, ai->ai_addrlen);
    c->src.len = ai->ai_addrlen;
    freeaddrinfo(ai);
    c->src_set = true;
    c->src_host = o->source_host != NULL;
    if (c->src_host)
        c->family = c->src.sa.ss_family;   /* only that family can be reached from it */
    return 0;
}

static int check_port(const char *port, aeh_error *err)
{
    char *end;
    if (!*port)
        return aeh_fail(err, EINVAL, 0, "empty port");
    long n = strtol(port, &end, 10);
    if (*end)
        return 0;                 /* a service name: getaddrinfo knows /etc/services */
    if (port[0] < '0' || port[0] > '9' || n < 0 || n > 65535)
        return aeh_fail(err, EINVAL, 0, "port %s: not a port number (0-65535)", port);
    return 0;
}

bool aeh_port_known(const char *port)
{
    if (*port < '0' || *port > '9')
        return getservbyname(port, "tcp") != NULL;
    char *end;
    errno = 0;
    unsigned long n = strtoul(port, &end, 10);
    return !errno && !*end && n <= 65535;
}

aeh_connector *aeh_connect(struct ev_loop *loop, const char *host, const char *port,
                           const aeh_connect_opts *o, aeh_connect_cb *cb, void *arg,
                           aeh_error *err)
{
    static const aeh_connect_opts defaults = { .family = AF_UNSPEC };
    if (!o)
        o = &defaults;
    if (!loop || !host || !*host || !port || !cb) {
        aeh_fail(err, EINVAL, 0, "connect: host, port and callback are required");
        return NULL;
    }
    if (o->family != AF_UNSPEC && o->family != AF_INET && o->family != AF_INET6) {
        aeh_fail(err, EAFNOSUPPORT, 0, "connect: address family %d not supported", o->family);
        return NULL;
    }
    if (check_port(port, err) < 0)
        return NULL;
    aeh_connector *c = calloc(1, sizeof *c);
    if (!c || !(c->host = strdup(host)) || !(c->port = strdup(port))) {
        if (c)
            free(c->host);
        free(c);
        aeh_fail(err, ENOMEM, 0, "connect: out of memory");
        return NULL;
    }
    c->loop = loop;
    c->cb = cb;
    c->on_event = o->on_event;
    c->arg = arg;
    c->family = o->family;
    c->timeout = o->timeout;
    if (set_source(c, o, err) < 0 ||
        (o->family != AF_UNSPEC && c->family != o->family &&
         aeh_fail(err, EINVAL, 0, "source address %s is not of the requested family",
                  o->source_host) < 0)) {
        connector_free(c);
        return NULL;
    }
    ev_init(&c->step, on_step);
    c->step.data = c;
    ev_init(&c->deadline, on_deadline);
    c->deadline.data = c;

    if (is_numeric_host(host)) {
        /* No thread: AI_NUMERICHOST never leaves the process (a port name
         * comes from /etc/services).  The answer is still delivered from
         * the loop, through the step timer. */
        /* The requested family, not the source's: a numeric host of the
         * other family is then "not reachable from the source", not a
         * resolution failure. */
        struct addrinfo hints = { .ai_family = o->family, .ai_socktype = SOCK_STREAM,
                                  .ai_flags = AI_NUMERICHOST };
        struct addrinfo *ai = NULL;
        errno = 0;
        int rc = getaddrinfo(host, port, &hints, &ai);
        if (rc) {
            c->early_set = true;
            gai_fail(&c->early, host, rc, errno);
        } else {
            add_addrs(c, ai);
            freeaddrinfo(ai);
        }
        c->started = true;
    } else {
        c->res = aeh__resolve_start(loop, host, port, c->family, on_resolved, c);
        if (!c->res) {
            connector_free(c);
            aeh_fail(err, ENOMEM, 0, "resolve %s: out of memory", host);
            return NULL;
        }
        c->unresolved = c->family == AF_UNSPEC ? 2 : 1;
        c->v6_unresolved = c->family != AF_INET;
    }
    if (c->started) {
        ev_timer_set(&c->step, 0, 0);
        ev_timer_start(loop, &c->step);
    }
    if (c->timeout > 0) {
        /* Timers count from the loop's cached time, which is as old as the
         * last iteration: work done since (or a fresh loop) would shorten
         * the deadline. */
        ev_now_update(loop);
        ev_timer_set(&c->deadline, c->timeout, 0);
        ev_timer_start(loop, &c->deadline);
    }
    return c;
}

/* ------------------------------------------------------------ listen */

static int listen_on(const struct sockaddr *sa, socklen_t len, int v6only, int backlog,
                     aeh_error *err)
{
    char where[200];
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return aeh_fail(err, errno, 0, "socket: %s", strerror(errno));
    int one = 1;
    /* SO_REUSEADDR: a restarted server must not wait out TIME_WAIT. */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        (sa->sa_family == AF_INET6 && v6only >= 0 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) < 0)) {
        int e = errno;
        close(fd);
        return aeh_fail(err, e, 0, "setsockopt: %s", strerror(e));
    }
    if (bind(fd, sa, len) < 0 || listen(fd, backlog) < 0) {
        int e = errno;
        close(fd);
        return aeh_fail(err, e, 0, "bind to %s: %s", aeh_addr_str(sa, len, where, sizeof where),
                        strerror(e));
    }
    return fd;
}

/* host NULL: one dual-stack socket ([::] with IPV6_V6ONLY off) where the
 * family allows it, so one listener serves both; 0.0.0.0 when the machine
 * has no IPv6. */
static int listen_any(in_port_t port, int family, int backlog, aeh_error *err)
{
    if (family != AF_INET) {
        struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = port,
                                   .sin6_addr = IN6ADDR_ANY_INIT };
        int fd = listen_on((struct sockaddr *)&s6, sizeof s6, family == AF_INET6, backlog, err);
        if (fd >= 0 || family == AF_INET6 ||
            (err->code != EAFNOSUPPORT && err->code != EADDRNOTAVAIL))
            return fd;
    }
    struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = port,
                              .sin_addr.s_addr = htonl(INADDR_ANY) };
    return listen_on((struct sockaddr *)&s4, sizeof s4, -1, backlog, err);
}

int aeh_listen(const char *host, const char *port, int family, int backlog, aeh_error *err)
{
    if (!port || check_port(port, err) < 0)
        return port ? -1 : aeh_fail(err, EINVAL, 0, "listen: a port is required");
    if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
        return aeh_fail(err, EAFNOSUPPORT, 0, "listen: address family %d not supported", family);
    /* Blocking lookup: a listen address is a local one, answered from
     * /etc/hosts or the address itself, and there is no deadline to keep. */
    struct addrinfo hints = { .ai_family = family, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE };
    struct addrinfo *ai = NULL;
    errno = 0;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc) {
        if (rc == EAI_SERVICE)
            return aeh_fail(err, EINVAL, 0, "port %s: %s", port, gai_strerror(rc));
        return gai_fail(err, host ? host : "(any)", rc, errno);
    }
    int fd = -1;
    if (!host) {
        in_port_t p = ai->ai_family == AF_INET6 ? ((struct sockaddr_in6 *)ai->ai_addr)->sin6_port
                                                : ((struct sockaddr_in *)ai->ai_addr)->sin_port;
        fd = listen_any(p, family, backlog, err);
    } else {
        aeh_fail(err, EADDRNOTAVAIL, 0, "listen on %s: no usable address", host);
        for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next)
            if (a->ai_family == AF_INET || a->ai_family == AF_INET6)
                fd = listen_on(a->ai_addr, a->ai_addrlen, family == AF_INET6, backlog, err);
    }
    freeaddrinfo(ai);
    return fd;
}

int aeh_accept(int lfd, struct sockaddr_storage *peer, socklen_t *len, aeh_error *err)
{
    socklen_t dummy = sizeof(struct sockaddr_storage);
    if (peer && !len)
        len = &dummy;
    int fd = accept4(lfd, (struct sockaddr *)peer, peer ? len : NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return aeh_fail(err, errno, 0, "accept: %s", strerror(errno));
    return fd;
}

/* ------------------------------------------------------------ unix sockets */

/* '@name' is Linux's abstract namespace: sun_path starts with a NUL and the
 * address length, not a terminator, says where the name ends. */
static int unix_addr(const char *path, struct sockaddr_un *un, socklen_t *len, aeh_error *err)
{
    size_t n = path ? strlen(path) : 0;
    memset(un, 0, sizeof *un);
    un->sun_family = AF_UNIX;
    if (!n)
        return aeh_fail(err, EINVAL, 0, "unix socket: empty path");
    bool abstract = path[0] == '@';
    /* A path needs room for its NUL; an abstract name has the leading NUL
     * in place of the '@'. */
    size_t room = abstract ? sizeof un->sun_path : sizeof un->sun_path - 1;
    if (n > room)
        return aeh_fail(err, ENAMETOOLONG, 0, "unix socket %s: name too long (%zu bytes, at most %zu)",
                        path, n, room);
    memcpy(un->sun_path, path, n);
    if (abstract) {
        un->sun_path[0] = 0;
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    } else {
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    }
    return 0;
}

/* EADDRINUSE on a path: a server left its socket file behind, or one is
 * alive.  A connect() probe would tell, but it would also be the one
 * connection that a single-shot listener (aecat -l) accepts, so the
 * listening sockets are read from /proc/net/unix without touching them.
 * A listener whose path ends in the same name counts as alive, as it may
 * have bound the same file under another spelling: a live socket is never
 * removed, and only socket files are. */
static bool stale_socket(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
        return false;
    FILE *f = fopen("/proc/net/unix", "re");
    if (!f)
        return false;             /* cannot tell: keep it */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char line[sizeof ((struct sockaddr_un *)0)->sun_path + 128];
    bool live = false;
    while (!live && fgets(line, sizeof line, f)) {
        unsigned long flags;
        int off = 0;
        /* Num RefCount Protocol Flags Type St Inode Path */
        if (sscanf(line, "%*s %*s %*s %lx %*s %*s %*s %n", &flags, &off) < 1 || !off ||
            !(flags & 0x10000))   /* __SO_ACCEPTCON: listening */
            continue;
        char *p = line + off;
        p[strcspn(p, "\n")] = 0;
        const char *pbase = strrchr(p, '/');
        live = strcmp(pbase ? pbase + 1 : p, base) == 0;
    }
    fclose(f);
    return !live;
}

/* A stream socket for path, its address in *un: -1 with err set. */
static int unix_socket(const char *path, struct sockaddr_un *un, socklen_t *len, aeh_error *err)
{
    if (unix_addr(path, un, len, err) < 0)
        return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return aeh_fail(err, errno, 0, "unix socket %s: %s", path, strerror(errno));
    return fd;
}

int aeh_listen_unix(const char *path, int backlog, aeh_error *err)
{
    struct sockaddr_un un;
    socklen_t len;
    int fd = unix_socket(path, &un, &len, err);
    if (fd < 0)
        return -1;
    int rc = bind(fd, (struct sockaddr *)&un, len);
    if (rc < 0 && errno == EADDRINUSE && path[0] != '@' && stale_socket(un.sun_path) &&
        (unlink(un.sun_path) == 0 || errno == ENOENT))
        rc = bind(fd, (struct sockaddr *)&un, len);
    if (rc < 0 || listen(fd, backlog) < 0) {
        int e = errno;
        close(fd);
        if (e == EADDRINUSE)
            return aeh_fail(err, e, 0, "unix socket %s: address already in use", path);
        return aeh_fail(err, e, 0, "unix socket %s: %s", path, strerror(e));
    }
    return fd;
}

int aeh_connect_unix(const char *path, aeh_error *err)
{
    struct sockaddr_un un;
    socklen_t len;
    int fd = unix_socket(path, &un, &len, err);
    if (fd < 0)
        return -1;
    /* Linux completes or refuses a Unix connect at once.  EINPROGRESS is
     * not expected; should a system return it, the connection completes in
     * the background and the handle's first write waits for it. */
    if (connect(fd, (struct sockaddr *)&un, len) < 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        if (e == EAGAIN)
            return aeh_fail(err, e, 0, "connect to unix socket %s: resource temporarily unavailable "
                            "(listener backlog full)", path);
        return aeh_fail(err, e, 0, "connect to unix socket %s: %s", path, strerror(e));
    }
    return fd;
}
