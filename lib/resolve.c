/* SPDX-License-Identifier: MIT */
/* Name resolution in detached threads, answers handed to the loop with an
 * ev_async.
 *
 * Why threads: a blocking getaddrinfo on a DNS server that never answers
 * holds for 10 s (resolv.conf defaults) whatever the connect deadline, and
 * getaddrinfo cannot be interrupted.  c-ares would bypass NSS (/etc/hosts
 * order, mDNS, ...), and getaddrinfo_a cannot cancel either.  So a thread
 * runs the lookup, and the loop simply stops waiting for it when the
 * deadline passes.
 *
 * Why one thread per family: RFC 8305 wants the A answer usable while a
 * slow AAAA lookup is still out (and the reverse); one AF_UNSPEC call
 * returns only when both are in.
 *
 * Why no AI_ADDRCONFIG: glibc ignores loopback addresses when it decides
 * which families are configured, so on a loopback-only machine (CI
 * containers) AI_ADDRCONFIG makes an AF_INET lookup of "localhost" fail and
 * an AF_UNSPEC one lose ::1.  Without it we may ask for AAAA on a v4-only
 * host; that runs beside the A lookup and delays nothing, and a connect to
 * an unroutable family fails at once (ENETUNREACH) so Happy Eyeballs moves on.
 *
 * Ownership: the object is shared by the loop and the threads and
 * refcounted (one reference for the loop side, one per running thread).  A
 * thread stores its answer in its slot of the shared object, under the
 * mutex, and only signals the loop if the loop side has not let go; the last
 * one to drop a reference frees the object and any answer nobody took.  So
 * cancelling, timing out or even destroying the loop while a thread is still
 * inside getaddrinfo is safe and leaks nothing once the thread returns. */
#include <errno.h>
#include <ev.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "resolve_int.h"

typedef struct slot {
    aeh_resolve *r;
    int family;
    int rc, sys_errno;
    struct addrinfo *ai;
    bool done;                    /* the thread has answered */
    bool taken;                   /* the loop has handed the answer on */
} slot;

struct aeh_resolve {
    pthread_mutex_t mu;
    int refs;                     /* under mu */
    bool abandoned;               /* under mu: the loop side let go */
    /* loop side only */
    struct ev_loop *loop;
    ev_async async;
    aeh_resolve_cb *cb;
    void *arg;
    bool in_cb, released;
    int nslots, delivered;
    /* read-only once threads run */
    char *host, *port;
    slot slots[2];
};

static void destroy(aeh_resolve *r)
{
    for (int i = 0; i < r->nslots; i++)
        if (r->slots[i].ai)
            freeaddrinfo(r->slots[i].ai);
    pthread_mutex_destroy(&r->mu);
    free(r->host);
    free(r->port);
    free(r);
}

static void unref(aeh_resolve *r)
{
    pthread_mutex_lock(&r->mu);
    bool last = --r->refs == 0;
    pthread_mutex_unlock(&r->mu);
    if (last)
        destroy(r);
}

static void *resolver_thread(void *p)
{
    slot *s = p;
    aeh_resolve *r = s->r;
    struct addrinfo hints = { .ai_family = s->family, .ai_socktype = SOCK_STREAM };
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(r->host, r->port, &hints, &ai);
    int e = errno;

    pthread_mutex_lock(&r->mu);
    s->rc = rc;
    s->sys_errno = e;
    s->ai = rc == 0 ? ai : NULL;
    s->done = true;
    /* Sent under the mutex: the loop side sets `abandoned` under the same
     * mutex before it stops the watcher, so the watcher (and the loop) are
     * alive for as long as this can run. */
    if (!r->abandoned)
        ev_async_send(r->loop, &r->async);
    bool last = --r->refs == 0;
    pthread_mutex_unlock(&r->mu);
    if (last)
        destroy(r);
    return NULL;
}

/* Takes one answer not yet handed on; false when there is none. */
static bool take(aeh_resolve *r, slot *out)
{
    bool got = false;
    pthread_mutex_lock(&r->mu);
    for (int i = 0; i < r->nslots && !got; i++) {
        slot *s = &r->slots[i];
        if (s->done && !s->taken) {
            *out = *s;
            s->ai = NULL;         /* now the callee's */
            s->taken = true;
            got = true;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return got;
}

static void on_async(struct ev_loop *loop, ev_async *w, int revents)
{
    (void)revents;
    aeh_resolve *r = w->data;
    slot s;
    r->in_cb = true;
    while (!r->released && take(r, &s)) {
        if (++r->delivered == r->nslots)
            ev_async_stop(loop, &r->async);   /* nothing more to wait for: let the loop end */
        r->cb(r->arg, s.family, s.rc, s.sys_errno, s.ai);
    }
    r->in_cb = false;
    if (r->released)
        unref(r);
}

static int spawn(slot *s)
{
    /* Signals belong to the loop's thread: a SIGINT or SIGCHLD delivered to a
     * resolver thread would run its handler there. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_attr_t attr;
    int rc = pthread_attr_init(&attr);
    if (rc)
        return rc;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t t;
    rc = pthread_create(&t, &attr, resolver_thread, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    return rc;
}

aeh_resolve *aeh__resolve_start(struct ev_loop *loop, const char *host, const char *port,
                               int family, aeh_resolve_cb *cb, void *arg)
{
    aeh_resolve *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->host = strdup(host);
    r->port = port ? strdup(port) : NULL;
    if (!r->host || (port && !r->port) || pthread_mutex_init(&r->mu, NULL)) {
        free(r->host);
        free(r->port);
        free(r);
        errno = ENOMEM;
        return NULL;
    }
    r->loop = loop;
    r->cb = cb;
    r->arg = arg;
    r->refs = 1;
    if (family == AF_UNSPEC) {
        /* IPv6 first: RFC 8305 prefers it when both answer. */
        r->slots[r->nslots++].family = AF_INET6;
        r->slots[r->nslots++].family = AF_INET;
    } else {
        r->slots[r->nslots++].family = family;
    }
    ev_async_init(&r->async, on_async);
    r->async.data = r;
    ev_async_start(loop, &r->async);

    for (int i = 0; i < r->nslots; i++) {
        slot *s = &r->slots[i];
        s->r = r;
        pthread_mutex_lock(&r->mu);
        r->refs++;
        pthread_mutex_unlock(&r->mu);
        int rc = spawn(s);
        if (rc) {
            /* Answered here, but through the loop like any other answer. */
            pthread_mutex_lock(&r->mu);
            r->refs--;
            s->rc = EAI_SYSTEM;
            s->sys_errno = rc;
            s->done = true;
            pthread_mutex_unlock(&r->mu);
            ev_async_send(loop, &r->async);
        }
    }
    return r;
}

void aeh__resolve_release(aeh_resolve *r)
{
    if (!r || r->released)
        return;
    pthread_mutex_lock(&r->mu);
    r->abandoned = true;
    pthread_mutex_unlock(&r->mu);
    ev_async_stop(r->loop, &r->async);
    r->released = true;
    if (!r->in_cb)
        unref(r);
}
