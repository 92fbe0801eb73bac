/* SPDX-License-Identifier: MIT */
/* aecat: netcat with framing.  Parses options, runs a session (cli/) per
 * attempt under the signals and --retry-until, and turns the way the run
 * ended into one exit code (see aecat(1), EXIT STATUS). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli/session.h"

/* SIGINT, SIGTERM, SIGHUP: the session flushes what it can and ends. */
static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)loop; (void)revents;
    session_interrupt(w->data, w->signum);
}

/* One attempt: a session, under the signals.  deadline: seconds for the
 * whole attempt (0: none). */
static int run_once(const cli_cfg *cfg, double deadline, bool *relayed)
{
    session s;
    int rc = session_open(&s, cfg, deadline);
    if (rc >= 0)
        return rc;
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
    return session_close(&s, relayed);
}

/* Failures that another attempt may mend: not a bad command line or file,
 * not the user stopping us. */
static bool retryable(int code)
{
    return code != EXIT_OK && code != EXIT_USAGE && code != EXIT_CONFIG && code != EXIT_SIGPIPE &&
           code != 128 + SIGINT && code != 128 + SIGTERM && code != 128 + SIGHUP;
}

/* --retry-until: the whole connect + TLS + dialog again, 100 ms doubling
 * to 2 s apart, until it works or the time is up.  The messages of a
 * failed attempt are held: shown with -v, else only the last attempt's. */
static int run_attempts(const cli_cfg *cfg)
{
    if (cfg->retry_until <= 0)
        return run_once(cfg, cfg->deadline, NULL);
    double t0 = ev_time(), backoff = 0.1;
    for (int attempt = 1;; attempt++) {
        double left = cfg->retry_until - (ev_time() - t0);
        double deadline = cfg->deadline > 0 && cfg->deadline < left ? cfg->deadline : left;
        bool relayed = false;
        log_attempt(attempt);
        cli_hold(true);
        int rc = run_once(cfg, deadline > 0.001 ? deadline : 0.001, &relayed);
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

static int cli_run(const cli_cfg *cfg)
{
    int rc = log_open(cfg);
    if (rc < 0) {
        rc = run_attempts(cfg);
        log_result(rc);
        /* the data went through, the record of it did not */
        if (rc == EXIT_OK && log_failed())
            rc = EXIT_IOERR;
    }
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
