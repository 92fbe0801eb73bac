/* SPDX-License-Identifier: MIT */
/* Shared scaffolding for the libcheck unit tests: each test file defines
 * `static Suite *make_suite(void)` and ends with UNIT_MAIN.  Results go to
 * stdout as TAP so tests/run can total them with the bats suites. */
#ifndef UNIT_H
#define UNIT_H
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "aeh.h"

#define UNIT_MAIN(make_suite)                                   \
    int main(void)                                              \
    {                                                           \
        SRunner *sr = srunner_create(make_suite());             \
        srunner_set_tap(sr, "-");                               \
        srunner_run_all(sr, CK_SILENT);                         \
        int failed = srunner_ntests_failed(sr);                 \
        srunner_free(sr);                                       \
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;            \
    }

/* For suites with a libev loop (include <ev.h> first). */
#ifdef EV_VERSION_MAJOR
static void unit_stop_after(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w; (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

/* Runs the loop until a callback breaks it or `secs` pass. */
static inline void unit_run_for(struct ev_loop *loop, double secs)
{
    ev_timer t;
    ev_timer_init(&t, unit_stop_after, secs, 0);
    ev_timer_start(loop, &t);
    ev_run(loop, 0);
    ev_timer_stop(loop, &t);
}
#endif

#endif
