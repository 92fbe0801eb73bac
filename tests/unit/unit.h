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

#endif
