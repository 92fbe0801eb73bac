/* SPDX-License-Identifier: MIT */
/* net.c and resolve.c over real loopback sockets (127.0.0.1, ::1, Unix):
 * connect by address and by name, Happy Eyeballs fall-over, errors and their
 * messages, the deadline over connect and over resolution, cancel, source
 * binding, listen, Unix paths and abstract names, address text.
 *
 * Name resolution is made deterministic where a test needs it by defining
 * getaddrinfo here: the library is linked statically into this program, so
 * its calls land in this wrapper, which forwards to glibc's (RTLD_NEXT) and
 * answers the made-up names below itself.  Real names ("localhost",
 * "nosuch.invalid") still go to glibc. */
#include <dlfcn.h>
#include <ev.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "unit.h"

/* ---------------------------------------------------------- resolver shim */

/* "dual.test": AAAA ::1 and A 127.0.0.1.
 * "slow.test": as dual.test, each answer after gai_delay_ms.
 * "slow6.test": A 127.0.0.1 at once, AAAA fails after gai_delay_ms. */
static atomic_int gai_delay_ms;
static atomic_int gai_calls;      /* lookups that may leave the process (no AI_NUMERICHOST) */
static atomic_int gai_inflight;

static int lookups(void) { return atomic_load(&gai_calls); }

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
    typedef int gai_fn(const char *, const char *, const struct addrinfo *, struct addrinfo **);
    static gai_fn *real;
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "getaddrinfo");
    int family = hints ? hints->ai_family : AF_UNSPEC;
    if (!(hints && (hints->ai_flags & AI_NUMERICHOST)))
        atomic_fetch_add(&gai_calls, 1);
    atomic_fetch_add(&gai_inflight, 1);
    const char *as = node;
    if (node && (!strcmp(node, "dual.test") || !strcmp(node, "slow.test"))) {
        if (!strcmp(node, "slow.test"))
            sleep_ms(atomic_load(&gai_delay_ms));
        as = family == AF_INET ? "127.0.0.1" : "::1";
    } else if (node && !strcmp(node, "slow6.test")) {
        if (family != AF_INET) {
            sleep_ms(atomic_load(&gai_delay_ms));
            atomic_fetch_sub(&gai_inflight, 1);
            return EAI_NONAME;
        }
        as = "127.0.0.1";
    }
    int rc = real(as, service, hints, res);
    atomic_fetch_sub(&gai_inflight, 1);
    return rc;
}

/* Abandoned resolver threads finish on their own; wait for them so that a
 * leak checker at exit sees their cleanup done. */
static void wait_resolvers(void)
{
    for (int i = 0; i < 1000 && atomic_load(&gai_inflight) > 0; i++)
        sleep_ms(5);
    ck_assert_int_eq(atomic_load(&gai_inflight), 0);
}

/* ---------------------------------------------------------- fixture */

typedef struct {
    struct ev_loop *loop;
    int calls, fd;
    aeh_error err;
    char peer[200];
    double t0, elapsed;
    bool cancel_inside;
    aeh_connector *c;
} fx;

static fx F;

static void on_connect(void *arg, int fd, const struct sockaddr *peer, socklen_t len,
                       const aeh_error *e)
{
    (void)arg;
    F.calls++;
    F.fd = fd;
    F.elapsed = ev_time() - F.t0;
    if (fd >= 0)
        aeh_addr_str(peer, len, F.peer, sizeof F.peer);
    else
        F.err = *e;
    if (F.cancel_inside)
        aeh_connect_cancel(F.c);  /* must be harmless: the connector is finishing */
    ev_break(F.loop, EVBREAK_ALL);
}

static void run_for(double secs) { unit_run_for(F.loop, secs); }

static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static int fds_at_start;

static void setup(void)
{
    memset(&F, 0, sizeof F);
    F.fd = -1;
    signal(SIGPIPE, SIG_IGN);
    F.loop = ev_default_loop(EVFLAG_NOENV);
    ck_assert_ptr_nonnull(F.loop);
    atomic_store(&gai_delay_ms, 0);
    atomic_store(&gai_calls, 0);
    fds_at_start = count_fds();
}

static void teardown(void)
{
    if (F.fd >= 0)
        close(F.fd);
    wait_resolvers();
}

/* Starts a connect and runs the loop until its callback (or 10 s). */
static void connect_run(const char *host, const char *port, const aeh_connect_opts *o)
{
    aeh_error e;
    F.t0 = ev_time();
    F.c = aeh_connect(F.loop, host, port, o, on_connect, NULL, &e);
    ck_assert_msg(F.c != NULL, "aeh_connect: %s", e.msg);
    ck_assert_int_eq(F.calls, 0);             /* never from inside aeh_connect */
    run_for(10);
    ck_assert_int_eq(F.calls, 1);
}

static int tcp_listener(const char *host, int family, int backlog, char *port, size_t portsz)
{
    aeh_error e;
    int fd = aeh_listen(host, "0", family, backlog, &e);
    ck_assert_msg(fd >= 0, "listen: %s", e.msg);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char h[100];
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    ck_assert_int_eq(aeh_addr_numeric((struct sockaddr *)&ss, len, h, sizeof h, port, portsz), 0);
    ck_assert_str_ne(port, "0");
    return fd;
}

/* A port nothing listens on: bound (so nobody else takes it) but not listening. */
static int refusing_port(const char *ip, char *port, size_t portsz)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST }, *ai;
    ck_assert_int_eq(getaddrinfo(ip, "0", &hints, &ai), 0);
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, ai->ai_addr, ai->ai_addrlen), 0);
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char h[100];
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    ck_assert_int_eq(aeh_addr_numeric((struct sockaddr *)&ss, len, h, sizeof h, port, portsz), 0);
    return fd;
}

static int accept_one(int lfd, struct sockaddr_storage *peer, socklen_t *len)
{
    aeh_error e;
    int fd = aeh_accept(lfd, peer, len, &e);
    ck_assert_msg(fd >= 0, "accept: %s", e.msg);
    return fd;
}

static void assert_nonblock_cloexec(int fd)
{
    ck_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
    ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

/* ---------------------------------------------------------- connect */

static void connect_to_listener(const char *ip, int family, const char *want_peer_host)
{
    char port[16], want[100];
    int l = tcp_listener(ip, family, 8, port, sizeof port);
    assert_nonblock_cloexec(l);
    atomic_store(&gai_calls, 0);
    aeh_connect_opts o = { .family = AF_UNSPEC, .timeout = 5 };
    connect_run(ip, port, &o);
    ck_assert_msg(F.fd >= 0, "connect: %s", F.err.msg);
    assert_nonblock_cloexec(F.fd);
    snprintf(want, sizeof want, "%s port %s", want_peer_host, port);
    ck_assert_str_eq(F.peer, want);
    struct sockaddr_storage peer, mine;
    socklen_t plen = sizeof peer, mlen = sizeof mine;
    int a = accept_one(l, &peer, &plen);
    assert_nonblock_cloexec(a);
    ck_assert_int_eq(getsockname(F.fd, (struct sockaddr *)&mine, &mlen), 0);
    ck_assert_int_eq(plen, mlen);
    ck_assert(!memcmp(&peer, &mine, plen));   /* the accepted peer is our socket */
    ck_assert_int_eq(write(F.fd, "hi", 2), 2);
    char buf[4];
    ck_assert_int_eq(read(a, buf, sizeof buf), 2);
    ck_assert_int_eq(lookups(), 0);   /* numeric: no resolver thread */
    close(a);
    close(l);
}

START_TEST(connect_ipv4) { connect_to_listener("127.0.0.1", AF_INET, "127.0.0.1"); }
END_TEST

START_TEST(connect_ipv6) { connect_to_listener("::1", AF_INET6, "::1"); }
END_TEST

/* localhost may also name ::1 (refused here): Happy Eyeballs moves on. */
START_TEST(connect_by_name_localhost)
{
    char port[16];
    int l = tcp_listener("127.0.0.1", AF_INET, 8, port, sizeof port);
    aeh_connect_opts o = { .timeout = 5 };
    connect_run("localhost", port, &o);
    ck_assert_msg(F.fd >= 0, "connect: %s", F.err.msg);
    ck_assert_int_ge(lookups(), 1);
    char want[100];
    snprintf(want, sizeof want, "127.0.0.1 port %s", port);
    ck_assert_str_eq(F.peer, want);
    close(l);
}
END_TEST

START_TEST(happy_eyeballs_falls_over_to_ipv4)
{
    char port[16];
    int l = tcp_listener("127.0.0.1", AF_INET, 8, port, sizeof port);
    aeh_connect_opts o = { .timeout = 5 };
    connect_run("dual.test", port, &o);       /* ::1 first, refused, then 127.0.0.1 */
    ck_assert_msg(F.fd >= 0, "connect: %s", F.err.msg);
    char want[100];
    snprintf(want, sizeof want, "127.0.0.1 port %s", port);
    ck_assert_str_eq(F.peer, want);
    /* a failure starts the next attempt at once, not after the 250 ms stagger */
    ck_assert_msg(F.elapsed < 0.2, "took %.3f s", F.elapsed);
    close(l);
}
END_TEST

START_TEST(happy_eyeballs_prefers_ipv6)
{
    char port[16];
    int l6 = -1, l4 = -1;
    aeh_error e;
    /* the v4 twin of a free v6 port may be taken by another process: retry */
    for (int tries = 0; l4 < 0 && tries < 50; tries++) {
        if (l6 >= 0)
            close(l6);
        l6 = tcp_listener("::1", AF_INET6, 8, port, sizeof port);
        l4 = aeh_listen("127.0.0.1", port, AF_INET, 8, &e);
        ck_assert_msg(l4 >= 0 || e.code == EADDRINUSE, "listen: %s", e.msg);
    }
    ck_assert_msg(l4 >= 0, "listen: %s", e.msg);
    aeh_connect_opts o = { .timeout = 5 };
    connect_run("dual.test", port, &o);
    char want[100];
    snprintf(want, sizeof want, "::1 port %s", port);
    ck_assert_str_eq(F.peer, want);
    close(l4);
    close(l6);
}
END_TEST

START_TEST(happy_eyeballs_all_refused_names_host)
{
    char port[16];
    int b = refusing_port("127.0.0.1", port, sizeof port);
    aeh_connect_opts o = { .timeout = 5 };
    connect_run("dual.test", port, &o);
    ck_assert_int_eq(F.fd, -1);
    ck_assert_int_eq(F.err.code, ECONNREFUSED);
    char want[100];
    snprintf(want, sizeof want, "connect to dual.test port %s: Connection refused", port);
    ck_assert_str_eq(F.err.msg, want);
    ck_assert_int_eq(F.err.op, AEH_OP_CONNECT);
    ck_assert_int_eq(F.err.reason, AEH_REASON_NONE);
    close(b);
}
END_TEST

/* RFC 8305 §3: an A answer does not wait for a slow AAAA one (50 ms at most). */
START_TEST(slow_aaaa_does_not_delay_ipv4)
{
    char port[16];
    int l = tcp_listener("127.0.0.1", AF_INET, 8, port, sizeof port);
    atomic_store(&gai_delay_ms, 1500);
    aeh_connect_opts o = { .timeout = 5 };
    connect_run("slow6.test", port, &o);
    ck_assert_msg(F.fd >= 0, "connect: %s", F.err.msg);
    ck_assert_msg(F.elapsed < 0.5, "took %.3f s", F.elapsed);
    close(l);
}
END_TEST

START_TEST(refused_is_econnrefused_from_the_loop)
{
    char port[16], want[100];
    int b = refusing_port("127.0.0.1", port, sizeof port);
    connect_run("127.0.0.1", port, NULL);
    ck_assert_int_eq(F.fd, -1);
    ck_assert_int_eq(F.err.code, ECONNREFUSED);
    snprintf(want, sizeof want, "connect to 127.0.0.1 port %s: Connection refused", port);
    ck_assert_str_eq(F.err.msg, want);
    ck_assert_int_eq(F.err.op, AEH_OP_CONNECT);
    close(b);
}
END_TEST

START_TEST(unresolvable_name_is_ename)
{
    /* .invalid never resolves (RFC 6761); the deadline bounds a dead DNS. */
    aeh_connect_opts o = { .timeout = 20 };
    connect_run("nosuch.invalid", "80", &o);
    ck_assert_int_eq(F.fd, -1);
    ck_assert_msg(F.err.code == AEH_ENAME, "code %d: %s", F.err.code, F.err.msg);
    ck_assert_msg(!strncmp(F.err.msg, "resolve nosuch.invalid: ", 24), "%s", F.err.msg);
}
END_TEST

START_TEST(numeric_host_of_wrong_family_is_ename)
{
    aeh_connect_opts o = { .family = AF_INET };
    connect_run("::1", "80", &o);
    ck_assert_int_eq(F.err.code, AEH_ENAME);
    ck_assert_int_eq(lookups(), 0);
}
END_TEST

/* Linux drops SYNs to a listener whose accept queue is full: fill a
 * backlog-0 listener that never accepts, and the next connect hangs. */
START_TEST(connect_timeout_is_etimedout)
{
    char port[16], want[100];
    int l = tcp_listener("127.0.0.1", AF_INET, 0, port, sizeof port);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fill[3];
    for (int i = 0; i < 3; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fill[i], (struct sockaddr *)&sa, sizeof sa);
    }
    aeh_connect_opts o = { .timeout = 0.3 };
    connect_run("127.0.0.1", port, &o);
    ck_assert_int_eq(F.fd, -1);
    ck_assert_int_eq(F.err.code, ETIMEDOUT);
    snprintf(want, sizeof want, "connect to 127.0.0.1 port %s: timed out after 0.3 s", port);
    ck_assert_str_eq(F.err.msg, want);
    ck_assert_msg(F.elapsed >= 0.29 && F.elapsed < 1.0, "took %.3f s", F.elapsed);
    for (int i = 0; i < 3; i++)
        close(fill[i]);
    close(l);
    ck_assert_int_eq(count_fds(), fds_at_start);   /* the attempt's socket was closed */
}
END_TEST

START_TEST(timeout_covers_resolution)
{
    atomic_store(&gai_delay_ms, 1000);
    aeh_connect_opts o = { .timeout = 0.2 };
    connect_run("slow.test", "80", &o);
    ck_assert_int_eq(F.fd, -1);
    ck_assert_int_eq(F.err.code, ETIMEDOUT);
    ck_assert_str_eq(F.err.msg, "resolve slow.test: timed out after 0.2 s");
    ck_assert_msg(F.elapsed < 0.6, "took %.3f s", F.elapsed);
    ck_assert_int_gt(atomic_load(&gai_inflight), 0);   /* the threads were still out */
    wait_resolvers();             /* they end on their own and free their half */
}
END_TEST

/* After cancel: no callback, no watcher left (ev_run returns at once, the
 * guard timer does not keep the loop alive), no descriptor left. */
static void cancel_then_run(void)
{
    aeh_connect_cancel(F.c);
    ev_timer guard;
    ev_timer_init(&guard, unit_stop_after, 2, 0);
    ev_timer_start(F.loop, &guard);
    ev_unref(F.loop);
    double t = ev_time();
    ev_run(F.loop, 0);
    ev_ref(F.loop);
    ev_timer_stop(F.loop, &guard);
    ck_assert_msg(ev_time() - t < 1, "a watcher was left active");
    ck_assert_int_eq(F.calls, 0);
}

START_TEST(cancel_before_callback)
{
    char port[16];
    int b = refusing_port("127.0.0.1", port, sizeof port);
    aeh_error e;
    F.c = aeh_connect(F.loop, "127.0.0.1", port, NULL, on_connect, NULL, &e);
    ck_assert_ptr_nonnull(F.c);
    cancel_then_run();
    close(b);
    ck_assert_int_eq(count_fds(), fds_at_start);
}
END_TEST

START_TEST(cancel_while_resolving)
{
    atomic_store(&gai_delay_ms, 200);
    aeh_error e;
    F.c = aeh_connect(F.loop, "slow.test", "80", NULL, on_connect, NULL, &e);
    ck_assert_ptr_nonnull(F.c);
    cancel_then_run();
    wait_resolvers();
    ev_run(F.loop, EVRUN_NOWAIT);  /* a late async wake-up must find nothing to call */
    ck_assert_int_eq(F.calls, 0);
}
END_TEST

static void count_done(void *arg, int fd, const struct sockaddr *peer, socklen_t len,
                       const aeh_error *e)
{
    (void)peer; (void)len; (void)e;
    if (fd >= 0)
        close(fd);
    *(aeh_connector **)arg = NULL;
}

/* Cancels landing before, during and after the threads answer (run under
 * ASan/TSan this is the use-after-free and leak test of the handoff). */
START_TEST(cancel_races_with_answers)
{
    char port[16];
    int b = refusing_port("127.0.0.1", port, sizeof port);
    for (int i = 0; i < 300; i++) {
        atomic_store(&gai_delay_ms, i % 3);
        aeh_error e;
        aeh_connector *c = NULL;
        c = aeh_connect(F.loop, "slow.test", port, NULL, count_done, &c, &e);
        ck_assert_ptr_nonnull(c);
        for (int k = 0; k < i % 4 && c; k++)
            ev_run(F.loop, EVRUN_NOWAIT);
        if (c)
            aeh_connect_cancel(c);
    }
    wait_resolvers();
    close(b);
}
END_TEST

START_TEST(cancel_while_connecting)
{
    char port[16];
    int l = tcp_listener("127.0.0.1", AF_INET, 0, port, sizeof port);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fill[3];
    for (int i = 0; i < 3; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fill[i], (struct sockaddr *)&sa, sizeof sa);
    }
    aeh_error e;
    F.c = aeh_connect(F.loop, "127.0.0.1", port, NULL, on_connect, NULL, &e);
    ck_assert_ptr_nonnull(F.c);
    run_for(0.05);                /* the attempt is in flight */
    ck_assert_int_eq(F.calls, 0);
    ck_assert_int_eq(count_fds(), fds_at_start + 5);
    cancel_then_run();
    ck_assert_int_eq(count_fds(), fds_at_start + 4);
    for (int i = 0; i < 3; i++)
        close(fill[i]);
    close(l);
}
END_TEST

START_TEST(cancel_inside_callback_is_harmless)
{
    char port[16];
    int b = refusing_port("127.0.0.1", port, sizeof port);
    F.cancel_inside = true;
    connect_run("127.0.0.1", port, NULL);
    ck_assert_int_eq(F.err.code, ECONNREFUSED);
    close(b);
}
END_TEST

static void source_bind(const char *src_host)
{
    char port[16], sport[16];
    int l = tcp_listener("127.0.0.1", AF_INET, 8, port, sizeof port);
    int b = refusing_port("127.0.0.1", sport, sizeof sport);   /* finds a free port */
    close(b);
    aeh_connect_opts o = { .source_host = src_host, .source_port = sport, .timeout = 5 };
    connect_run("127.0.0.1", port, &o);
    ck_assert_msg(F.fd >= 0, "connect: %s", F.err.msg);
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    int a = accept_one(l, &peer, &len);
    char h[100], p[16];
    ck_assert_int_eq(getpeername(a, (struct sockaddr *)&peer, &len), 0);
    ck_assert_int_eq(aeh_addr_numeric((struct sockaddr *)&peer, len, h, sizeof h, p, sizeof p), 0);
    ck_assert_str_eq(h, "127.0.0.1");
    ck_assert_str_eq(p, sport);
    close(a);
    close(l);
}

START_TEST(source_address_and_port) { source_bind("127.0.0.1"); }
END_TEST

START_TEST(source_port_only) { source_bind(NULL); }
END_TEST

/* Every address fails its bind (the source port is taken): the error is the
 * bind's, op AEH_OP_BIND, not renamed to a connect to the host as several
 * refused connects are. */
START_TEST(source_port_taken_is_a_bind_error_for_every_address)
{
    char port[16], sport[16];
    int l = tcp_listener("127.0.0.1", AF_INET, 8, port, sizeof port);
    int taken = tcp_listener("127.0.0.1", AF_INET, 8, sport, sizeof sport);
    aeh_connect_opts o = { .source_port = sport, .timeout = 5 };
    connect_run("dual.test", port, &o);
    ck_assert_int_eq(F.fd, -1);
    ck_assert_int_eq(F.err.code, EADDRINUSE);
    ck_assert_int_eq(F.err.op, AEH_OP_BIND);
    ck_assert_msg(!strncmp(F.err.msg, "bind to ", 8), "%s", F.err.msg);
    close(taken);
    close(l);
}
END_TEST

START_TEST(source_of_other_family_is_eaddrnotavail)
{
    aeh_connect_opts o = { .source_host = "127.0.0.1" };
    connect_run("::1", "80", &o);
    ck_assert_int_eq(F.fd, -1);
    ck_assert_int_eq(F.err.code, EADDRNOTAVAIL);
    ck_assert_str_eq(F.err.msg, "connect to ::1 port 80: not reachable from source address "
                                "127.0.0.1 (another address family)");
}
END_TEST

START_TEST(bad_arguments_fail_at_once)
{
    aeh_error e;
    aeh_connect_opts o = { .source_host = "not-an-address" };
    ck_assert_ptr_null(aeh_connect(F.loop, "127.0.0.1", "80", &o, on_connect, NULL, &e));
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_ptr_null(aeh_connect(F.loop, "127.0.0.1", "70000", NULL, on_connect, NULL, &e));
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_ptr_null(aeh_connect(F.loop, "", "80", NULL, on_connect, NULL, &e));
    ck_assert_int_eq(e.code, EINVAL);
    ck_assert_int_eq(F.calls, 0);
}
END_TEST

/* ---------------------------------------------------------- listen */

START_TEST(listen_port0_any_is_dual_stack)
{
    char port[16];
    int l = tcp_listener(NULL, AF_UNSPEC, 8, port, sizeof port);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&ss, &len), 0);
    ck_assert_int_eq(ss.ss_family, AF_INET6);
    connect_run("127.0.0.1", port, NULL);     /* IPv4 reaches the [::] listener */
    ck_assert_msg(F.fd >= 0, "connect: %s", F.err.msg);
    len = sizeof ss;
    int a = accept_one(l, &ss, &len);
    char buf[100];
    aeh_addr_str((struct sockaddr *)&ss, len, buf, sizeof buf);
    ck_assert_msg(!strncmp(buf, "127.0.0.1 port ", 15), "%s", buf);   /* not ::ffff:127.0.0.1 */
    close(a);
    close(l);
}
END_TEST

START_TEST(listen_any_ipv4)
{
    char port[16];
    int l = tcp_listener(NULL, AF_INET, 8, port, sizeof port);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&ss, &len), 0);
    ck_assert_int_eq(ss.ss_family, AF_INET);
    close(l);
}
END_TEST

START_TEST(listen_errors)
{
    char port[16];
    aeh_error e;
    int l = tcp_listener("127.0.0.1", AF_INET, 8, port, sizeof port);
    ck_assert_int_eq(aeh_listen("127.0.0.1", port, AF_INET, 8, &e), -1);
    ck_assert_int_eq(e.code, EADDRINUSE);
    char want[100];
    snprintf(want, sizeof want, "bind to 127.0.0.1 port %s: Address already in use", port);
    ck_assert_str_eq(e.msg, want);
    ck_assert_int_eq(aeh_listen("nosuch.invalid", "0", AF_UNSPEC, 8, &e), -1);
    ck_assert_int_eq(e.code, AEH_ENAME);
    ck_assert_int_eq(aeh_listen("127.0.0.1", "no-such-service", AF_UNSPEC, 8, &e), -1);
    ck_assert_int_eq(e.code, EINVAL);
    close(l);
}
END_TEST

START_TEST(accept_with_nothing_pending_is_eagain)
{
    char port[16];
    int l = tcp_listener("127.0.0.1", AF_INET, 8, port, sizeof port);
    aeh_error e;
    ck_assert_int_eq(aeh_accept(l, NULL, NULL, &e), -1);
    ck_assert_int_eq(e.code, EAGAIN);
    close(l);
}
END_TEST

/* ---------------------------------------------------------- unix */

static char tmpdir[64], sockpath[128];

static void unix_setup(void)
{
    setup();
    strcpy(tmpdir, "/tmp/aeh-net-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(sockpath, sizeof sockpath, "%s/s", tmpdir);
}

static void unix_teardown(void)
{
    unlink(sockpath);
    rmdir(tmpdir);
    teardown();
}

static void unix_roundtrip(const char *path)
{
    aeh_error e;
    int l = aeh_listen_unix(path, 8, &e);
    ck_assert_msg(l >= 0, "listen: %s", e.msg);
    assert_nonblock_cloexec(l);
    int c = aeh_connect_unix(path, &e);
    ck_assert_msg(c >= 0, "connect: %s", e.msg);
    assert_nonblock_cloexec(c);
    int a = accept_one(l, NULL, NULL);
    ck_assert_int_eq(write(c, "ok", 2), 2);
    char buf[4];
    ck_assert_int_eq(read(a, buf, sizeof buf), 2);

    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&ss, &len), 0);
    char str[200], want[200];
    snprintf(want, sizeof want, "unix socket %s", path);
    ck_assert_str_eq(aeh_addr_str((struct sockaddr *)&ss, len, str, sizeof str), want);
    close(a);
    close(c);
    close(l);
}

START_TEST(unix_path) { unix_roundtrip(sockpath); }
END_TEST

START_TEST(unix_abstract)
{
    char name[64];
    snprintf(name, sizeof name, "@aeh-test-%d", (int)getpid());
    unix_roundtrip(name);
    /* The name's length, not a NUL, ends an abstract address: a listener
     * bound with a padded length would not be found under the short name. */
    aeh_error e;
    int l = aeh_listen_unix(name, 8, &e);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&ss, &len), 0);
    ck_assert_int_eq(len, offsetof(struct sockaddr_un, sun_path) + strlen(name));
    ck_assert_int_eq(aeh_listen_unix(name, 8, &e), -1);     /* live: in use */
    ck_assert_int_eq(e.code, EADDRINUSE);
    close(l);
}
END_TEST

START_TEST(unix_stale_socket_is_replaced)
{
    aeh_error e;
    int l = aeh_listen_unix(sockpath, 8, &e);
    ck_assert_int_ge(l, 0);
    close(l);                     /* the file stays, nobody listens */
    struct stat st;
    ck_assert_int_eq(stat(sockpath, &st), 0);
    l = aeh_listen_unix(sockpath, 8, &e);
    ck_assert_msg(l >= 0, "listen: %s", e.msg);
    int c = aeh_connect_unix(sockpath, &e);
    ck_assert_msg(c >= 0, "connect: %s", e.msg);
    close(c);
    close(l);
}
END_TEST

START_TEST(unix_live_socket_is_in_use)
{
    aeh_error e;
    int l = aeh_listen_unix(sockpath, 8, &e);
    ck_assert_int_ge(l, 0);
    ck_assert_int_eq(aeh_listen_unix(sockpath, 8, &e), -1);
    ck_assert_int_eq(e.code, EADDRINUSE);
    ck_assert_msg(strstr(e.msg, "address already in use") != NULL, "%s", e.msg);
    /* the check did not connect: a single-shot listener's queue is empty */
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    ck_assert_int_eq(aeh_accept(l, &ss, &sl, &e), -1);
    ck_assert_int_eq(e.code, EAGAIN);
    int c = aeh_connect_unix(sockpath, &e);   /* the live listener was left alone */
    ck_assert_msg(c >= 0, "connect: %s", e.msg);
    close(c);
    close(l);
}
END_TEST

START_TEST(unix_regular_file_is_not_removed)
{
    int f = open(sockpath, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    ck_assert_int_ge(f, 0);
    close(f);
    aeh_error e;
    ck_assert_int_eq(aeh_listen_unix(sockpath, 8, &e), -1);
    ck_assert_int_eq(e.code, EADDRINUSE);
    struct stat st;
    ck_assert_int_eq(stat(sockpath, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
}
END_TEST

START_TEST(unix_errors)
{
    aeh_error e;
    char longpath[300];
    memset(longpath, 'x', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = 0;
    ck_assert_int_eq(aeh_listen_unix(longpath, 8, &e), -1);
    ck_assert_int_eq(e.code, ENAMETOOLONG);
    ck_assert_int_eq(aeh_connect_unix(longpath, &e), -1);
    ck_assert_int_eq(e.code, ENAMETOOLONG);
    ck_assert_int_eq(aeh_connect_unix(sockpath, &e), -1);   /* nothing there */
    ck_assert_int_eq(e.code, ENOENT);
}
END_TEST

START_TEST(unix_full_backlog_is_eagain)
{
    aeh_error e;
    int l = aeh_listen_unix(sockpath, 0, &e);
    ck_assert_int_ge(l, 0);
    int fds[16], n = 0, rc = 0;
    while (n < 16 && (rc = aeh_connect_unix(sockpath, &e)) >= 0)
        fds[n++] = rc;
    ck_assert_int_eq(rc, -1);
    ck_assert_int_eq(e.code, EAGAIN);
    ck_assert_msg(strstr(e.msg, "listener backlog full") != NULL, "%s", e.msg);
    while (n)
        close(fds[--n]);
    close(l);
}
END_TEST

/* ---------------------------------------------------------- address text */

START_TEST(addr_text)
{
    char buf[200], h[100], p[16];
    struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(80) };
    inet_pton(AF_INET, "192.0.2.1", &s4.sin_addr);
    ck_assert_str_eq(aeh_addr_str((struct sockaddr *)&s4, sizeof s4, buf, sizeof buf),
                     "192.0.2.1 port 80");
    struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(443) };
    inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
    ck_assert_str_eq(aeh_addr_str((struct sockaddr *)&s6, sizeof s6, buf, sizeof buf),
                     "2001:db8::1 port 443");
    inet_pton(AF_INET6, "::ffff:10.1.2.3", &s6.sin6_addr);
    ck_assert_str_eq(aeh_addr_str((struct sockaddr *)&s6, sizeof s6, buf, sizeof buf),
                     "10.1.2.3 port 443");
    ck_assert_int_eq(aeh_addr_numeric((struct sockaddr *)&s6, sizeof s6, h, sizeof h, p, sizeof p), 0);
    ck_assert_str_eq(h, "10.1.2.3");
    ck_assert_str_eq(p, "443");

    struct sockaddr_un un = { .sun_family = AF_UNIX };
    strcpy(un.sun_path, "/run/x.sock");
    socklen_t ulen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(un.sun_path) + 1);
    ck_assert_str_eq(aeh_addr_str((struct sockaddr *)&un, ulen, buf, sizeof buf),
                     "unix socket /run/x.sock");
    memcpy(un.sun_path, "\0abs", 4);
    ulen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 4);
    ck_assert_str_eq(aeh_addr_str((struct sockaddr *)&un, ulen, buf, sizeof buf),
                     "unix socket @abs");
    ck_assert_str_eq(aeh_addr_str((struct sockaddr *)&un, sizeof(sa_family_t), buf, sizeof buf),
                     "unix socket (unnamed)");
    ck_assert_str_eq(aeh_addr_str(NULL, 0, buf, sizeof buf), "unknown address");
    ck_assert_int_eq(aeh_addr_numeric((struct sockaddr *)&s4, sizeof s4, h, 4, p, sizeof p), -1);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("net");
    TCase *tc = tcase_create("connect");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, connect_ipv4);
    tcase_add_test(tc, connect_ipv6);
    tcase_add_test(tc, connect_by_name_localhost);
    tcase_add_test(tc, happy_eyeballs_falls_over_to_ipv4);
    tcase_add_test(tc, happy_eyeballs_prefers_ipv6);
    tcase_add_test(tc, happy_eyeballs_all_refused_names_host);
    tcase_add_test(tc, slow_aaaa_does_not_delay_ipv4);
    tcase_add_test(tc, refused_is_econnrefused_from_the_loop);
    tcase_add_test(tc, unresolvable_name_is_ename);
    tcase_add_test(tc, numeric_host_of_wrong_family_is_ename);
    tcase_add_test(tc, connect_timeout_is_etimedout);
    tcase_add_test(tc, timeout_covers_resolution);
    tcase_add_test(tc, cancel_before_callback);
    tcase_add_test(tc, cancel_while_resolving);
    tcase_add_test(tc, cancel_races_with_answers);
    tcase_add_test(tc, cancel_while_connecting);
    tcase_add_test(tc, cancel_inside_callback_is_harmless);
    tcase_add_test(tc, source_address_and_port);
    tcase_add_test(tc, source_port_only);
    tcase_add_test(tc, source_port_taken_is_a_bind_error_for_every_address);
    tcase_add_test(tc, source_of_other_family_is_eaddrnotavail);
    tcase_add_test(tc, bad_arguments_fail_at_once);
    suite_add_tcase(s, tc);

    tc = tcase_create("listen");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, listen_port0_any_is_dual_stack);
    tcase_add_test(tc, listen_any_ipv4);
    tcase_add_test(tc, listen_errors);
    tcase_add_test(tc, accept_with_nothing_pending_is_eagain);
    tcase_add_test(tc, addr_text);
    suite_add_tcase(s, tc);

    tc = tcase_create("unix");
    tcase_add_checked_fixture(tc, unix_setup, unix_teardown);
    tcase_add_test(tc, unix_path);
    tcase_add_test(tc, unix_abstract);
    tcase_add_test(tc, unix_stale_socket_is_replaced);
    tcase_add_test(tc, unix_live_socket_is_in_use);
    tcase_add_test(tc, unix_regular_file_is_not_removed);
    tcase_add_test(tc, unix_errors);
    tcase_add_test(tc, unix_full_backlog_is_eagain);
    suite_add_tcase(s, tc);
    return s;
}

UNIT_MAIN(make_suite)
