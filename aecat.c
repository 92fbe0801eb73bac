/* SPDX-License-Identifier: MIT */
/* aecat: netcat with framing.  Parses options, runs a session (cli/) per
 * attempt under the signals and --retry-until (with -z, per port of the
 * list), and turns the way the run ended into one exit code (see aecat(1),
 * EXIT STATUS). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli/keep.h"
#include "cli/hexdump.h"

/* SIGINT, SIGTERM, SIGHUP: the session flushes what it can and ends. */
static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)loop; (void)revents;
    session_interrupt(w->data, w->signum);
}

/* One attempt: a session, under the signals.  deadline: seconds for the
 * whole attempt (0: none). */
static int run_once(const cli_cfg *cfg, double deadline, session_outcome *out)
{
    session s;
    int rc = session_open(&s, cfg, deadline);
    if (rc >= 0)
        return rc;
    if (cfg->keep_open && (rc = keep_open(&s)) >= 0) {
        session_close(&s, out);
        return rc;
    }
    ev_signal sigint_w, sigterm_w, sighup_w;
    ev_signal_init(&sigint_w, signal_cb, SIGINT);
    ev_signal_init(&sigterm_w, signal_cb, SIGTERM);
    ev_signal_init(&sighup_w, signal_cb, SIGHUP);
    sigint_w.data = sigterm_w.data = sighup_w.data = &s;
    ev_signal_start(s.loop, &sigint_w);
    ev_signal_start(s.loop, &sigterm_w);
    ev_signal_start(s.loop, &sighup_w);
    session_run(&s);
    ev_signal_stop(s.loop, &sigint_w);
    ev_signal_stop(s.loop, &sigterm_w);
    ev_signal_stop(s.loop, &sighup_w);
    return session_close(&s, out);
}

/* Failures that another attempt may mend: not a bad command line or file,
 * not the user stopping us. */
static bool retryable(int code)
{
    return code != EXIT_OK && code != EXIT_USAGE && code != EXIT_CONFIG && code != EXIT_SIGPIPE &&
           code != 128 + SIGINT && code != 128 + SIGTERM && code != 128 + SIGHUP;
}

/* --retry-until: the whole connect + TLS + dialog again, 100 ms doubling
 * to 2 s apart, until it works or SECS after t0 (the run's start) are
 * over.  The messages of a failed attempt are held: shown with -v, else
 * only the last attempt's. */
static int run_attempts(const cli_cfg *cfg, double t0, session_outcome *out)
{
    if (cfg->retry_until <= 0)
        return run_once(cfg, cfg->deadline, out);
    double backoff = 0.1;
    for (int attempt = 1;; attempt++) {
        double left = cfg->retry_until - (ev_time() - t0);
        double deadline = cfg->deadline > 0 && cfg->deadline < left ? cfg->deadline : left;
        log_attempt(attempt);
        cli_hold(true);
        int rc = run_once(cfg, deadline > 0.001 ? deadline : 0.001, out);
        bool relayed = out->relayed;
        double used = ev_time() - t0;
        /* the pause, shortened to what is left, and no attempt without
         * the time to connect at all */
        double pause = cfg->retry_until - used - 0.05 < backoff ? cfg->retry_until - used - 0.05 : backoff;
        if (!retryable(rc) || relayed || pause <= 0) {
            /* this attempt's lines as they were, the failure's one line
             * saying how long it was tried */
            char tried[100] = "";
            if (rc && retryable(rc) && !relayed)
                snprintf(tried, sizeof tried, " (--retry-until: %d attempt%s in %.1f s)", attempt,
                         attempt == 1 ? "" : "s", used);
            cli_hold_end(tried);
            return rc;
        }
        cli_hold_drop(cfg->verbose ? "attempt " : NULL, attempt);
        cli_hold(false);
        if (cfg->verbose)
            cli_say("attempt %d failed (exit %d); retrying in %.2f s", attempt, rc, pause);
        struct timespec ts = { (time_t)pause, (long)((pause - (time_t)pause) * 1e9) };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
        backoff = backoff * 2 < 2 ? backoff * 2 : 2;
    }
}

/* -z -v: how the port's probe went, in one line. */
static void probe_say(const cli_cfg *cfg, const char *port, int rc, const session_outcome *o)
{
    char where[300];
    if (o->peer[0])
        snprintf(where, sizeof where, "%s", o->peer);
    else
        snprintf(where, sizeof where, "%s port %s", cfg->host, port);
    if (rc) {
        cli_say("%s: %s (exit %d)", where, cli_exit_class(rc), rc);
        return;
    }
    if (!o->tls_version[0]) {
        cli_say("%s: open", where);
        return;
    }
    const char *checked = o->tls_verified == AEH_TLS_VERIFIED_CHAIN ? "verified"
                        : o->tls_verified == AEH_TLS_VERIFIED_CHAIN_AND_PIN ? "verified, pinned key"
                        : o->tls_verified == AEH_TLS_VERIFIED_PIN ? "pinned key"
                        : o->tls_verified == AEH_TLS_VERIFY_INSECURE ? "not verified: --insecure"
                                                                     : "not verified";
    cli_say("%s: open, tls ok (%s, %s)", where, o->tls_version, checked);
}

/* Signals, a bad command line or file: the ports after it would fare no
 * better. */
static bool stops_probing(int code)
{
    return code == EXIT_USAGE || code == EXIT_CONFIG || code == EXIT_SIGPIPE ||
           code == 128 + SIGINT || code == 128 + SIGTERM || code == 128 + SIGHUP;
}

/* -z: each port of the list in order, each with its own attempts (under
 * one --retry-until from the start).  Every port is probed, so that -v
 * tells them all; the first failure's code is the exit code.  The
 * sessions see -v as one level less: -v is the line per port, -vv adds
 * what each session says with -v. */
static int run_probes(const cli_cfg *cfg)
{
    double t0 = ev_time();
    int first_failure = EXIT_OK;
    cli_cfg port_cfg = *cfg;
    port_cfg.verbose = cfg->verbose > 0 ? cfg->verbose - 1 : 0;
    for (size_t i = 0; i < cfg->nprobe_ports; i++) {
        const cli_port_range *r = &cfg->probe_ports[i];
        for (unsigned port = r->lo; port <= r->hi; port++) {
            char number[8];
            snprintf(number, sizeof number, "%u", port);
            port_cfg.port = r->service ? r->service : number;
            session_outcome o = { 0 };
            int rc = run_attempts(&port_cfg, t0, &o);
            if (cfg->verbose)
                probe_say(cfg, port_cfg.port, rc, &o);
            if (rc && first_failure == EXIT_OK)
                first_failure = rc;
            if (stops_probing(rc))
                return rc;
        }
    }
    return first_failure;
}

static int cli_run(const cli_cfg *cfg)
{
    int rc = log_open(cfg);
    if (rc < 0)
        rc = hexdump_open(cfg);
    if (rc < 0) {
        session_outcome o = { 0 };
        rc = cfg->probe ? run_probes(cfg) : run_attempts(cfg, ev_time(), &o);
        log_result(rc);
        /* the data went through, the record of it did not */
        if (rc == EXIT_OK && (log_failed() || hexdump_failed()))
            rc = EXIT_IOERR;
    }
    hexdump_close();
    log_close();
    return rc;
}

/* libev's fatal system errors (no descriptor left for its signal pipe, a
 * failing epoll): one line and 74 instead of its abort(). */
static void loop_syserr(const char *msg)
{
    int e = errno;
    static const char libev_tag[] = "(libev) ";
    if (!strncmp(msg, libev_tag, sizeof libev_tag - 1))
        msg += sizeof libev_tag - 1;
    cli_say("event loop: %s: %s", msg, strerror(e));
    exit(EXIT_IOERR);
}

/* A closed fd 0, 1 or 2 would be taken by the next open (the event loop's
 * epoll fd would become "stdin").  Hold them with /dev/null: a closed
 * stdin reads as empty; a closed stdout is refused before any work. */
static int hold_std_fds(bool *stdout_closed)
{
    *stdout_closed = fcntl(1, F_GETFD) < 0;
    for (int fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) >= 0)
            continue;
        int n = open("/dev/null", fd ? O_WRONLY : O_RDONLY);
        if (n != fd)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    bool stdout_closed;
    if (hold_std_fds(&stdout_closed) < 0)
        return EXIT_IOERR;
    cli_cfg cfg;
    int rc = cli_parse(argc, argv, &cfg);
    if (rc < 0 && stdout_closed) {
        cli_say("stdout: not open");
        rc = EXIT_IOERR;
    }
    if (rc < 0) {
        signal(SIGPIPE, SIG_IGN);
        ev_set_syserr_cb(loop_syserr);
        rc = cli_run(&cfg);
    }
    cli_cfg_free(&cfg);           /* also after a usage error: a --pin or --send may precede it */
    return rc;
}
