/* SPDX-License-Identifier: MIT */
/* aeh_match: one regular expression tested against whole strings, for
 * tools that look at frames (aecat --until).  A thin public face of
 * rematch, so that such a test runs with the same explicit limits, JIT
 * stack and invalid-UTF-8 tolerance as the regex codecs, and a program
 * using libaeh needs no PCRE2 of its own. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include "rematch_int.h"

struct aeh_match {
    rematch *rm;
};

aeh_match *aeh_match_new(const char *pattern, unsigned flags, aeh_error *err)
{
    aeh_match *m = calloc(1, sizeof *m);
    if (!m) {
        aeh_fail(err, ENOMEM, 0, "regex: out of memory");
        return NULL;
    }
    /* A test consumes nothing, so a pattern that matches the empty string
     * ("^", "x*") is a valid question here, unlike for a frame's end. */
    unsigned rflags = REMATCH_EMPTY_OK;
    if (flags & AEH_MATCH_MULTILINE)
        rflags |= REMATCH_MULTILINE;
    m->rm = aeh__rematch_new("regex", pattern, strlen(pattern), rflags, err);
    if (!m->rm) {
        free(m);
        return NULL;
    }
    return m;
}

int aeh_match_test(aeh_match *m, const void *p, size_t n, aeh_error *err)
{
    size_t start, end;
    int rc = aeh__rematch_search(m->rm, p, n, 0, &start, &end, err);
    return rc == REMATCH_FOUND ? 1 : rc == REMATCH_MORE ? 0 : -1;
}

void aeh_match_free(aeh_match *m)
{
    if (!m)
        return;
    aeh__rematch_free(m->rm);
    free(m);
}

const char *aeh_match_version(void)
{
    static char version[48];
    if (!version[0] && pcre2_config(PCRE2_CONFIG_VERSION, version) <= 0)
        strcpy(version, "unknown");
    return version;
}
