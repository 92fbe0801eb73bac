/* SPDX-License-Identifier: MIT */
/* -e/-c: a program per connection.  Its stdout is the session's stdin side
 * (read as --records, sent in the wire's framing) and its stdin the
 * stdout side; the rest is the relay's, unchanged.  The program runs in a
 * process group of its own, so that stopping it stops what it started (a
 * shell's pipeline), and aecat never exits with it still running.
 * Environment: UCSPI (tcpserver's names; ucspi-tcp6's TCP6 ones for IPv6,
 * ucspi-unix's for Unix sockets), ncat's, mod_ssl's for TLS, AECAT_CONN. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "child.h"
#include "end.h"

/* Seconds between SIGTERM and SIGKILL. */
#define KILL_GRACE 1.0

extern char **environ;

/* The variables aecat sets: an inherited one of these names (aecat itself
 * run by tcpserver or another aecat) is replaced or dropped, never left to
 * describe another connection. */
static const char *const own_names[] = {
    "PROTO", "TCPLOCALIP", "TCPLOCALPORT", "TCPREMOTEIP", "TCPREMOTEPORT",
    "TCP6LOCALIP", "TCP6LOCALPORT", "TCP6REMOTEIP", "TCP6REMOTEPORT",
    "NCAT_REMOTE_ADDR", "NCAT_REMOTE_PORT", "NCAT_LOCAL_ADDR", "NCAT_LOCAL_PORT", "NCAT_PROTO",
    "UNIXREMOTEPID", "UNIXREMOTEEUID", "UNIXREMOTEEGID",
    "SSL_PROTOCOL", "SSL_CIPHER", "SSL_TLS_SNI", "SSL_CLIENT_S_DN", "SSL_CLIENT_VERIFY",
    "SSL_SERVER_S_DN", "AECAT_CONN",
};

typedef struct env_list {
    char **v;
    size_t n, cap;
    bool failed;                  /* out of memory */
} env_list;

static void env_add(env_list *e, const char *name, const char *value)
{
    if (e->failed)
        return;
    if (e->n + 2 > e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 64;
        char **v = realloc(e->v, cap * sizeof *v);
        if (!v) {
            e->failed = true;
            return;
        }
        e->v = v;
        e->cap = cap;
    }
    size_t nn = strlen(name), vn = strlen(value);
    char *kv = malloc(nn + vn + 2);
    if (!kv) {
        e->failed = true;
        return;
    }
    memcpy(kv, name, nn);
    kv[nn] = '=';
    memcpy(kv + nn + 1, value, vn + 1);
    e->v[e->n++] = kv;
    e->v[e->n] = NULL;
}

static void env_free(env_list *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i]);
    free(e->v);
}

static bool own_name(const char *kv)
{
    size_t n = strcspn(kv, "=");
    for (size_t i = 0; i < sizeof own_names / sizeof *own_names; i++)
        if (strlen(own_names[i]) == n && !strncmp(kv, own_names[i], n))
            return true;
    return false;
}

/* aecat's environment without its own names. */
static void env_inherit(env_list *e)
{
    for (char **p = environ; *p; p++) {
        if (own_name(*p))
            continue;
        size_t n = strcspn(*p, "=");
        char name[256];
        if (!(*p)[n] || n >= sizeof name)
            continue;
        memcpy(name, *p, n);
        name[n] = 0;
        env_add(e, name, *p + n + 1);
    }
}

/* One end's address as UCSPI and ncat name it; side: "LOCAL" or "REMOTE". */
static void env_tcp_end(env_list *e, const char *ucspi, const char *side, const struct sockaddr *sa,
                        socklen_t len)
{
    char host[100], port[16], name[40];
    if (aeh_addr_numeric(sa, len, host, sizeof host, port, sizeof port) < 0)
        return;
    snprintf(name, sizeof name, "%s%sIP", ucspi, side);
    env_add(e, name, host);
    snprintf(name, sizeof name, "%s%sPORT", ucspi, side);
    env_add(e, name, port);
    snprintf(name, sizeof name, "NCAT_%s_ADDR", side);
    env_add(e, name, host);
    snprintf(name, sizeof name, "NCAT_%s_PORT", side);
    env_add(e, name, port);
}

static void env_number(env_list *e, const char *name, long long v)
{
    char text[24];
    snprintf(text, sizeof text, "%lld", v);
    env_add(e, name, text);
}

/* ::ffff:a.b.c.d into a.b.c.d; false (unchanged) for any other address. */
static bool unmap_v4(struct sockaddr_storage *ss, socklen_t *len)
{
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)ss;
    if (ss->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr))
        return false;
    struct sockaddr_in v4 = { .sin_family = AF_INET, .sin_port = v6->sin6_port };
    memcpy(&v4.sin_addr, &v6->sin6_addr.s6_addr[12], sizeof v4.sin_addr);
    memcpy(ss, &v4, sizeof v4);
    *len = sizeof v4;
    return true;
}

static void env_socket(env_list *e, int fd)
{
    struct sockaddr_storage local, remote;
    socklen_t llen = sizeof local, rlen = sizeof remote;
    if (getsockname(fd, (struct sockaddr *)&local, &llen) < 0)
        return;
    if (local.ss_family == AF_UNIX) {
        env_add(e, "PROTO", "UNIX");
        struct ucred cred;
        socklen_t clen = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0) {
            env_number(e, "UNIXREMOTEPID", cred.pid);
            env_number(e, "UNIXREMOTEEUID", cred.uid);
            env_number(e, "UNIXREMOTEEGID", cred.gid);
        }
        return;
    }
    if (getpeername(fd, (struct sockaddr *)&remote, &rlen) < 0)
        rlen = 0;
    /* an IPv4 client of a dual-stack listener is an IPv4 connection, as
     * ucspi-tcp6 tells it */
    bool mapped = rlen && unmap_v4(&local, &llen) && unmap_v4(&remote, &rlen);
    const char *ucspi = local.ss_family == AF_INET6 && !mapped ? "TCP6" : "TCP";
    env_add(e, "PROTO", ucspi);
    env_add(e, "NCAT_PROTO", "TCP");
    env_tcp_end(e, ucspi, "LOCAL", (struct sockaddr *)&local, llen);
    if (rlen)
        env_tcp_end(e, ucspi, "REMOTE", (struct sockaddr *)&remote, rlen);
}

/* The peer's bytes (SNI) as a value: up to a NUL, which no variable holds. */
static void env_bytes(env_list *e, const char *name, const uint8_t *p, size_t n)
{
    char text[256];
    size_t len = strnlen((const char *)p, n < sizeof text - 1 ? n : sizeof text - 1);
    memcpy(text, p, len);
    text[len] = 0;
    env_add(e, name, text);
}

/* mod_ssl's variables for the handshake done on h. */
static void env_tls(env_list *e, const session *s, aeh *h)
{
    aeh_tls_info info;
    if (!h || !aeh_tls_active(h) || aeh_tls_get_info(h, &info) < 0)
        return;
    char protocol[24];
    /* GnuTLS says "TLS1.3", mod_ssl (OpenSSL) "TLSv1.3" */
    if (!strncmp(info.version, "TLS", 3) && info.version[3] != 'v')
        snprintf(protocol, sizeof protocol, "TLSv%.12s", info.version + 3);
    else
        snprintf(protocol, sizeof protocol, "%.15s", info.version);
    env_add(e, "SSL_PROTOCOL", protocol);
    env_add(e, "SSL_CIPHER", info.cipher);
    const char *dn = info.ncerts ? info.certs[0].subject : NULL;
    if (!info.accepting) {
        const char *sni = s->cfg->servername ? s->cfg->servername : s->cfg->host;
        if (sni)
            env_add(e, "SSL_TLS_SNI", sni);
        if (dn)
            env_add(e, "SSL_SERVER_S_DN", dn);
        return;
    }
    if (info.has_sni)
        env_bytes(e, "SSL_TLS_SNI", info.sni, info.sni_len);
    if (dn)
        env_add(e, "SSL_CLIENT_S_DN", dn);
    env_add(e, "SSL_CLIENT_VERIFY", info.verification == AEH_TLS_VERIFIED_CLIENT ? "SUCCESS"
                                  : info.ncerts ? "FAILED" : "NONE");
}

/* ------------------------------------------------------------ the process */

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

int child_prepare(session *s)
{
    int to_child[2], from_child[2];
    if (pipe2(to_child, O_CLOEXEC) < 0) {
        cli_say_in(s->label, "%s: pipe: %s", s->cfg->exec_opt, strerror(errno));
        return EXIT_IOERR;
    }
    if (pipe2(from_child, O_CLOEXEC) < 0) {
        cli_say_in(s->label, "%s: pipe: %s", s->cfg->exec_opt, strerror(errno));
        close(to_child[0]);
        close(to_child[1]);
        return EXIT_IOERR;
    }
    s->child_ends[0] = to_child[0];
    s->child_ends[1] = from_child[1];
    s->out_fd = to_child[1];
    s->in_fd = from_child[0];
    s->in_name = "child's stdout";
    s->out_name = "child's stdin";
    if (set_nonblock(s->out_fd) < 0 || set_nonblock(s->in_fd) < 0) {
        cli_say_in(s->label, "%s: pipe: %s", s->cfg->exec_opt, strerror(errno));
        return EXIT_IOERR;
    }
    return -1;
}

static void child_signal(session *s, int signum)
{
    /* the group first: what the program started goes with it */
    if (kill(-s->child_pid, signum) < 0)
        kill(s->child_pid, signum);
}

static void kill_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop; (void)revents;
    session *s = w->data;
    if (s->cfg->verbose)
        cli_say_in(s->label, "child %d still running %g s after SIGTERM: SIGKILL", (int)s->child_pid, KILL_GRACE);
    child_signal(s, SIGKILL);
}

void child_stop(session *s)
{
    if (s->child_pid <= 0 || s->child_gone || s->child_stopping)
        return;
    s->child_stopping = true;
    if (s->cfg->verbose)
        cli_say_in(s->label, "child %d: SIGTERM", (int)s->child_pid);
    child_signal(s, SIGTERM);
    ev_timer_set(&s->child_kill_w, KILL_GRACE, 0);
    ev_timer_start(s->loop, &s->child_kill_w);
}

static void exited_cb(struct ev_loop *loop, ev_child *w, int revents)
{
    (void)revents;
    session *s = w->data;
    ev_child_stop(loop, w);
    ev_timer_stop(loop, &s->child_kill_w);
    int st = w->rstatus;
    s->child_gone = true;
    s->child_code = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
    /* the group's stragglers, once the program chose to stop */
    if (s->child_stopping)
        kill(-s->child_pid, SIGKILL);
    if (s->cfg->verbose) {
        if (WIFSIGNALED(st))
            cli_say_in(s->label, "child %d killed by signal %d", (int)s->child_pid, WTERMSIG(st));
        else
            cli_say_in(s->label, "child %d exited with %d", (int)s->child_pid, WEXITSTATUS(st));
    }
    ev_prepare_stop(loop, &s->child_release_w);
    if (s->child_closing)
        return;                   /* child_reap waits for it */
    if (s->child_reaping)         /* the session was over but for it */
        end_leave(s);
    else if (s->stdin_done)       /* its output is all read: nothing more can come */
        end_finish(s, EXIT_OK, true);
}

/* The pipes closed: the program reads its EOF, and a write of its gets
 * EPIPE; our handles on them must be gone first. */
static void close_pipes(session *s)
{
    close_fd(&s->child_ends[0]);
    close_fd(&s->child_ends[1]);
    if (s->in_fd > 2)
        close_fd(&s->in_fd);
    if (s->out_fd > 2)
        close_fd(&s->out_fd);
}

/* The session's end, outside the callbacks of its transport (which is
 * closed here): the program gets its EOF, and SIGTERM when the session
 * failed; its exit then ends the session (exited_cb). */
static void release_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
    (void)revents;
    session *s = w->data;
    ev_prepare_stop(loop, w);
    end_close(s);
    close_pipes(s);
    if (s->child_held_code != EXIT_OK)
        child_stop(s);
}

/* end_leave's question: is the program still running?  Then the session
 * ends when it exits, and the loop serves the others meanwhile. */
static bool child_held(session *s)
{
    if (s->child_gone || s->child_closing)
        return false;
    if (!s->child_reaping) {
        s->child_reaping = true;
        /* a signal or --deadline while it runs sets a code of its own */
        s->child_held_code = s->exit_code < 0 ? EXIT_OK : s->exit_code;
        s->exit_code = -1;
        ev_prepare_start(s->loop, &s->child_release_w);
    }
    return true;
}

/* The program's file, looked up on PATH once for the run: execvpe would
 * search it again for every connection (-k), one failed execve per PATH
 * entry before it.  NULL: not found (execvpe then says why), or a name
 * with a '/' (taken as it is). */
static const char *program_file(const char *name)
{
    static char *found;
    static bool looked;
    if (strchr(name, '/') || looked)
        return strchr(name, '/') ? name : found;
    looked = true;
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        char file[4096];
        struct stat st;
        if (snprintf(file, sizeof file, "%.*s/%s", (int)n, n ? p : ".", name) < (int)sizeof file &&
            stat(file, &st) == 0 && S_ISREG(st.st_mode) && access(file, X_OK) == 0) {
            found = strdup(file);
            break;
        }
        p += n + (p[n] == ':');
    }
    return found;
}

/* Starts the program by posix_spawn: glibc's clone(CLONE_VM|CLONE_VFORK)
 * copies no page tables, where fork copied all of aecat's (GnuTLS, PCRE2
 * and their mappings) once per connection under -k -e; and an exec's
 * failure comes back as the call's own result.  The program runs in a
 * process group of its own, its stdin and stdout the pipes, its signals
 * as a shell would start it: aecat blocks what libev handles and ignores
 * SIGPIPE; handlers do not survive exec, an ignored signal does (ours, and
 * those a shell ignores for a background job or nohup for its command).
 * Returns 0 or an errno. */
static int spawn_program(const session *s, const char *file, char **envp, pid_t *pid)
{
    static const int ignorable[] = { SIGPIPE, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
                                     SIGALRM, SIGCHLD, SIGTSTP, SIGTTIN, SIGTTOU };
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t fa;
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (size_t i = 0; i < sizeof ignorable / sizeof *ignorable; i++)
        sigaddset(&defaults, ignorable[i]);
    int err = posix_spawnattr_init(&attr);
    if (err)
        return err;
    if ((err = posix_spawn_file_actions_init(&fa))) {
        posix_spawnattr_destroy(&attr);
        return err;
    }
    char *const *argv = s->cfg->exec_argv;
    if (!(err = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                    POSIX_SPAWN_SETSIGDEF)) &&
        !(err = posix_spawnattr_setpgroup(&attr, 0)) &&
        !(err = posix_spawnattr_setsigmask(&attr, &none)) &&
        !(err = posix_spawnattr_setsigdefault(&attr, &defaults)) &&
        !(err = posix_spawn_file_actions_adddup2(&fa, s->child_ends[0], 0)) &&
        !(err = posix_spawn_file_actions_adddup2(&fa, s->child_ends[1], 1))) {
        /* not found on PATH (or gone since): posix_spawnp's own search,
         * and its errno */
        err = file ? posix_spawn(pid, file, &fa, &attr, argv, envp)
                   : posix_spawnp(pid, argv[0], &fa, &attr, argv, envp);
        /* a script without #!: run by /bin/sh, as execvpe and shells do */
        if (err == ENOEXEC) {
            size_t n = 0;
            while (argv[n])
                n++;
            char **sh = malloc((n + 2) * sizeof *sh);
            if (!sh) {
                err = ENOMEM;
            } else {
                sh[0] = "/bin/sh";
                sh[1] = (char *)(file ? file : argv[0]);
                memcpy(sh + 2, argv + 1, n * sizeof *sh);  /* with the NULL */
                err = posix_spawn(pid, "/bin/sh", &fa, &attr, sh, envp);
                free(sh);
            }
        }
    }
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return err;
}

int child_start(session *s, int conn, int net_fd)
{
    const cli_cfg *c = s->cfg;
    env_list env = { 0 };
    env_inherit(&env);
    env_socket(&env, net_fd);
    env_tls(&env, s, s->net);
    env_number(&env, "AECAT_CONN", conn);
    if (env.failed) {
        cli_say_in(s->label, "%s: cannot run '%s': %s", c->exec_opt, c->exec_argv[0], strerror(ENOMEM));
        env_free(&env);
        return EXIT_IOERR;
    }
    pid_t pid = -1;
    int err = spawn_program(s, program_file(c->exec_argv[0]), env.v, &pid);
    env_free(&env);
    close_fd(&s->child_ends[0]);
    close_fd(&s->child_ends[1]);
    if (err) {
        cli_say_in(s->label, "%s: cannot run '%s': %s", c->exec_opt, c->exec_argv[0], strerror(err));
        /* not there or not runnable: as a shell's 127/126, the service is unavailable */
        return err == EAGAIN || err == ENOMEM ? EXIT_IOERR : EXIT_UNAVAILABLE;
    }
    s->child_pid = pid;
    ev_child_init(&s->child_w, exited_cb, pid, 0);
    ev_init(&s->child_kill_w, kill_cb);
    ev_prepare_init(&s->child_release_w, release_cb);
    s->child_w.data = s->child_kill_w.data = s->child_release_w.data = s;
    ev_child_start(s->loop, &s->child_w);
    s->end_held = child_held;
    if (c->verbose)
        cli_say_in(s->label, "child %d started: %s", (int)pid, c->exec_argv[0]);
    return -1;
}

void child_reap(session *s)
{
    close_pipes(s);
    if (s->child_pid <= 0)
        return;
    ev_prepare_stop(s->loop, &s->child_release_w);
    /* the run was cut short (a signal, --deadline) with the program still
     * running: it is stopped, and waited for */
    if (!s->child_gone) {
        s->child_closing = true;
        child_stop(s);
        while (!s->child_gone)
            ev_run(s->loop, EVRUN_ONCE);
    }
    ev_timer_stop(s->loop, &s->child_kill_w);
    int code = s->exit_code < 0 ? EXIT_OK : s->exit_code;
    if (s->child_reaping && s->child_held_code != EXIT_OK)
        code = s->child_held_code;
    /* a failure of the connection wins: it is why the child was stopped */
    if (code == EXIT_OK)
        code = s->child_code;
    s->exit_code = code;
}
