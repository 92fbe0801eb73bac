/* SPDX-License-Identifier: MIT */
/* rematch: PCRE2 searches for end markers in a stream (see rematch_int.h).
 *
 * The streaming method (split-independent and linear): the subject is always the
 * whole unconsumed input and the search starts at `resume`, with
 * PCRE2_PARTIAL_HARD so that a match more bytes could change (`\n+` at the
 * end of the buffer, `$`, a lookahead running off the end) is held back as a
 * partial match.  A partial match's ovector[0] is its start, not counting
 * bytes a lookbehind inspected before it; since those bytes are still in the
 * subject, resuming there keeps lookbehinds working.  On no match, no match
 * can start before len.  At EOF one last search without the partial flag
 * lets a greedy tail settle.
 *
 * Everything a search needs is allocated once, here: the match data (sized
 * from the pattern, so every group fits and no match is cut short), a
 * match context with explicit limits, and a JIT stack of 32 KiB growing to
 * 1 MiB: without one the JIT gets 32 KiB of machine stack, and a
 * backtracking pattern that outgrows it fails (JIT_STACKLIMIT) rather than
 * falling back to the interpreter.  The depth and heap limits bind only the interpreter, used
 * where the JIT is unavailable; the match limit binds both. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rematch_int.h"

enum { JIT_STACK_MIN = 32 * 1024, JIT_STACK_MAX = 1024 * 1024 };

struct rematch {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jstack;      /* NULL when the interpreter runs */
    bool utf;                     /* (*UTF): see complete_utf8_len */
    char what[24];                /* message prefix */
};

void aeh__rematch_free(rematch *rm)
{
    if (!rm)
        return;
    pcre2_match_data_free(rm->md);
    pcre2_match_context_free(rm->mctx);
    pcre2_jit_stack_free(rm->jstack);
    pcre2_code_free(rm->code);
    free(rm);
}

static int compile_error(const rematch *rm, aeh_error *err, int code, size_t offset)
{
    if (code == PCRE2_ERROR_NOMEMORY)
        return aeh_fail(err, ENOMEM, 0, "%s: out of memory compiling the pattern", rm->what);
    PCRE2_UCHAR msg[160];
    if (pcre2_get_error_message(code, msg, sizeof msg) < 0)
        snprintf((char *)msg, sizeof msg, "error %d", code);
    return aeh_fail(err, EINVAL, offset, "%s: bad pattern at offset %zu: %s", rm->what, offset,
                    (const char *)msg);
}

static pcre2_code *compile(rematch *rm, const char *pattern, size_t len, uint32_t options,
                           aeh_error *err)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, len, options, &ec, &eo, NULL);
    if (!code)
        compile_error(rm, err, ec, eo);
    return code;
}

/* An empty match would make a frame that consumes nothing: the reader would
 * loop.  MINLENGTH == 0 says some path needs no subject at all; MATCHEMPTY
 * catches lookaheads, which count toward MINLENGTH but consume nothing
 * ("(?=a)" has MINLENGTH 1); the match on "" is a last check of both. */
static bool can_match_empty(rematch *rm)
{
    uint32_t minlen = 0, empty = 1;
    if (pcre2_pattern_info(rm->code, PCRE2_INFO_MINLENGTH, &minlen) != 0 || minlen == 0)
        return true;
    if (pcre2_pattern_info(rm->code, PCRE2_INFO_MATCHEMPTY, &empty) != 0 || empty)
        return true;
    return pcre2_match(rm->code, (PCRE2_SPTR) "", 0, 0, 0, rm->md, rm->mctx) >= 0;
}

rematch *aeh__rematch_new(const char *what, const char *pattern, size_t len, unsigned flags,
                          aeh_error *err)
{
    rematch *rm = calloc(1, sizeof *rm);
    if (!rm) {
        aeh_fail(err, ENOMEM, 0, "%s: out of memory", what);
        return NULL;
    }
    snprintf(rm->what, sizeof rm->what, "%s", what);
    uint32_t options = flags & REMATCH_MULTILINE ? PCRE2_MULTILINE : 0;
    rm->code = compile(rm, pattern, len, options, err);
    if (!rm->code)
        goto fail;
    /* (*UTF) in the pattern switched UTF on.  PCRE2 would then reject a
     * subject with invalid UTF-8 (and checking it costs a pass over the whole
     * buffer per search); network input is arbitrary bytes, so recompile
     * with invalid UTF-8 treated as characters that match nothing. */
    uint32_t all = 0;
    pcre2_pattern_info(rm->code, PCRE2_INFO_ALLOPTIONS, &all);
    if (all & PCRE2_UTF) {
        rm->utf = true;
        pcre2_code_free(rm->code);
        rm->code = compile(rm, pattern, len, options | PCRE2_MATCH_INVALID_UTF, err);
        if (!rm->code)
            goto fail;
    }
    rm->md = pcre2_match_data_create_from_pattern(rm->code, NULL);
    rm->mctx = pcre2_match_context_create(NULL);
    if (!rm->md || !rm->mctx)
        goto nomem;
    pcre2_set_match_limit(rm->mctx, REMATCH_MATCH_LIMIT);
    pcre2_set_depth_limit(rm->mctx, REMATCH_DEPTH_LIMIT);
    pcre2_set_heap_limit(rm->mctx, REMATCH_HEAP_LIMIT_KIB);
    /* Every mode used, or those searches would silently run interpreted. */
    uint32_t modes = PCRE2_JIT_COMPLETE | PCRE2_JIT_PARTIAL_HARD;
    if (flags & REMATCH_SOFT)
        modes |= PCRE2_JIT_PARTIAL_SOFT;
    if (pcre2_jit_compile(rm->code, modes) == 0) {
        rm->jstack = pcre2_jit_stack_create(JIT_STACK_MIN, JIT_STACK_MAX, NULL);
        if (!rm->jstack)
            goto nomem;
        pcre2_jit_stack_assign(rm->mctx, NULL, rm->jstack);
    }
    if (!(flags & REMATCH_EMPTY_OK) && can_match_empty(rm)) {
        aeh_fail(err, EINVAL, 0, "%s: pattern can match the empty string", what);
        goto fail;
    }
    return rm;
nomem:
    aeh_fail(err, ENOMEM, 0, "%s: out of memory", what);
fail:
    aeh__rematch_free(rm);
    return NULL;
}

void aeh__rematch_set_limits(rematch *rm, uint32_t match_limit, uint32_t depth_limit,
                             uint32_t heap_limit_kib)
{
    if (match_limit)
        pcre2_set_match_limit(rm->mctx, match_limit);
    if (depth_limit)
        pcre2_set_depth_limit(rm->mctx, depth_limit);
    if (heap_limit_kib)
        pcre2_set_heap_limit(rm->mctx, heap_limit_kib);
}

bool aeh__rematch_jit(const rematch *rm)
{
    return rm->jstack != NULL;
}

/* A failed search: resource limits are the data's fault (a pattern that
 * backtracks catastrophically on this input), so EBADMSG like malformed
 * data; anything else is reported with PCRE2's own words. */
static int match_error(const rematch *rm, int rc, size_t at, aeh_error *err)
{
    switch (rc) {
    case PCRE2_ERROR_MATCHLIMIT:
    case PCRE2_ERROR_DEPTHLIMIT:
    case PCRE2_ERROR_HEAPLIMIT:
    case PCRE2_ERROR_NOMEMORY:
    case PCRE2_ERROR_JIT_STACKLIMIT:
        aeh_fail(err, EBADMSG, at, "%s: match limit exceeded", rm->what);
        break;
    default: {
        PCRE2_UCHAR msg[160];
        if (pcre2_get_error_message(rc, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "error %d", rc);
        aeh_fail(err, EBADMSG, at, "%s: match failed: %s", rm->what, (const char *)msg);
    }
    }
    return REMATCH_ERROR;
}

static int run(rematch *rm, const uint8_t *buf, size_t len, size_t from, uint32_t opts,
               size_t *start, size_t *end, aeh_error *err)
{
    /* PCRE2 wants a non-NULL subject even when it is empty. */
    PCRE2_SPTR subject = buf ? (PCRE2_SPTR)buf : (PCRE2_SPTR) "";
    int rc = pcre2_match(rm->code, subject, len, from, opts, rm->md, rm->mctx);
    if (rc >= 0 || rc == PCRE2_ERROR_PARTIAL) {
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rm->md);
        *start = ov[0];
        *end = ov[1];
        return rc >= 0 ? REMATCH_FOUND : PCRE2_ERROR_PARTIAL;
    }
    if (rc == PCRE2_ERROR_NOMATCH)
        return REMATCH_MORE;
    return match_error(rm, rc, from, err);
}

int aeh__rematch_search(rematch *rm, const uint8_t *buf, size_t len, size_t from, size_t *start,
                        size_t *end, aeh_error *err)
{
    return run(rm, buf, len, from, 0, start, end, err);
}

/* In invalid-UTF mode PCRE2 takes a character cut by the end of the
 * buffer for an invalid one, which matches nothing, instead of a partial
 * match: "\x{2028}" would be missed when a read ends inside it.  So a
 * search that more bytes may follow stops before such a tail, and a match
 * that needs it becomes partial.  Returns the length up to that tail. */
static size_t complete_utf8_len(const uint8_t *buf, size_t len)
{
    for (size_t k = 1; k <= 3 && k <= len; k++) {
        uint8_t b = buf[len - k];
        if ((b & 0xc0) == 0x80)
            continue;             /* a continuation byte: look further back */
        size_t need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
        return k < need ? len - k : len;
    }
    return len;
}

static int find(rematch *rm, const uint8_t *buf, size_t len, size_t *resume, uint32_t opts,
                size_t *start, size_t *end, aeh_error *err)
{
    if (rm->utf && opts)
        len = complete_utf8_len(buf, len);
    size_t from = *resume <= len ? *resume : len;
    size_t s = 0, e = 0;
    int rc = run(rm, buf, len, from, opts, &s, &e, err);
    switch (rc) {
    case REMATCH_FOUND:
        /* MATCHEMPTY was 0, so a match consumes a byte; were PCRE2's
         * analysis wrong, a reader must not spin on a match of nothing. */
        if (e == 0) {
            aeh_fail(err, EBADMSG, s, "%s: the pattern matched nothing", rm->what);
            return REMATCH_ERROR;
        }
        *start = s;
        *end = e;
        *resume = s;
        return REMATCH_FOUND;
    case PCRE2_ERROR_PARTIAL:
        *resume = s > from ? s : from;    /* a match may start there */
        return REMATCH_MORE;
    case REMATCH_MORE:
        *resume = len;                    /* none can start before len */
        return REMATCH_MORE;
    default:
        return REMATCH_ERROR;
    }
}

int aeh__rematch_find(rematch *rm, const uint8_t *buf, size_t len, size_t *resume, bool eof,
                      size_t *start, size_t *end, aeh_error *err)
{
    return find(rm, buf, len, resume, eof ? 0 : PCRE2_PARTIAL_HARD, start, end, err);
}

int aeh__rematch_find_soft(rematch *rm, const uint8_t *buf, size_t len, size_t *resume,
                           size_t *start, size_t *end, aeh_error *err)
{
    return find(rm, buf, len, resume, PCRE2_PARTIAL_SOFT, start, end, err);
}
