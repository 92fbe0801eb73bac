/* SPDX-License-Identifier: MIT */
/* rematch: PCRE2 end-marker search over a stream, shared by the regex
 * codecs (frame_regex.c), dialog --expect and the CLI's --until.
 *
 * A rematch owns the compiled pattern, its JIT code and stack, a match
 * context with explicit limits and one match data block, so that a search
 * never allocates.  The match data makes a rematch single-threaded: one
 * search at a time, which holds for codecs (a codec serves one read request
 * at a time, on its handle's loop thread).  Not installed; not in aeh.h. */
#ifndef AEH_REMATCH_INT_H
#define AEH_REMATCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "aeh.h"

typedef struct rematch rematch;

/* Defaults for the explicit limits.  The match limit counts backtracking
 * steps per start position (PCRE2 restarts it at each), so it caps one
 * catastrophic attempt, not the length of a scan. */
enum {
    REMATCH_MATCH_LIMIT = 10000000,
    REMATCH_DEPTH_LIMIT = 10000000,
    REMATCH_HEAP_LIMIT_KIB = 64 * 1024,
};

/* aeh__rematch_new flags. */
enum {
    REMATCH_SOFT = 1u << 0,       /* will use aeh__rematch_find_soft (JIT that mode too) */
    REMATCH_MULTILINE = 1u << 1,  /* ^ and $ at line starts and ends, as (?m) */
    REMATCH_EMPTY_OK = 1u << 2,   /* for aeh__rematch_search only: may match "" (aeh_match) */
};

/* Compiles pattern[0, len) (8-bit, non-UTF unless the pattern starts with
 * (*UTF), which then tolerates invalid UTF-8 in the subject).  NULL with
 * *err: EINVAL with err->offset the offset in the pattern (syntax error, or
 * a pattern that can match the empty string, unless REMATCH_EMPTY_OK), or
 * ENOMEM.  `what` prefixes
 * messages ("line", "regex", "expect"). */
rematch *aeh__rematch_new(const char *what, const char *pattern, size_t len, unsigned flags,
                          aeh_error *err);
void aeh__rematch_free(rematch *rm);

/* aeh_codec_regex with its patterns compiled with `flags` (REMATCH_MULTILINE:
 * the dialog's raw --expect, whose ^ is a line start in a stream of lines). */
aeh_codec *aeh__codec_regex_new(const char *accept, const char *reject, const char *skip,
                                unsigned flags, aeh_error *err);

/* Tightens or relaxes the limits (0 keeps a limit as it is).  The depth and
 * heap limits only bind the interpreter; the JIT has its match limit and its
 * stack. */
void aeh__rematch_set_limits(rematch *rm, uint32_t match_limit, uint32_t depth_limit,
                             uint32_t heap_limit_kib);

/* The answers of a search. */
enum { REMATCH_ERROR = -1, REMATCH_MORE = 0, REMATCH_FOUND = 1 };

/* Streaming search of the subject buf[0, len), the whole unconsumed input,
 * from *resume (no match starts before it; 0 for a new frame).
 *  FOUND: the leftmost match is [*start, *end) and no byte that may still
 *         arrive can change it.
 *  MORE:  *resume advanced to where a match may yet start (a partial match's
 *         start, or len).  Calls that each add bytes and pass the returned
 *         *resume do linear total work, except while one partial match keeps
 *         growing (e.g. a long run for "\n+"), which is rescanned from its
 *         start on each call.
 *  ERROR: a limit blew (EBADMSG "match limit exceeded") at *resume.
 * With eof the match is final: FOUND, or MORE with *resume = len. */
int aeh__rematch_find(rematch *rm, const uint8_t *buf, size_t len, size_t *resume, bool eof,
                      size_t *start, size_t *end, aeh_error *err);

/* As aeh__rematch_find, but FOUND is the leftmost complete match in what is
 * buffered now, even one that more bytes would extend or move (AnyEvent's
 * way of matching); MORE advances *resume as aeh__rematch_find does, so a pattern
 * that keeps not matching is not rescanned. */
int aeh__rematch_find_soft(rematch *rm, const uint8_t *buf, size_t len, size_t *resume,
                           size_t *start, size_t *end, aeh_error *err);

/* One complete search of buf[0, len) from `from`, as if the subject were all
 * there is (for a whole frame, or an encoder's check).  FOUND / MORE (no
 * match) / ERROR as above. */
int aeh__rematch_search(rematch *rm, const uint8_t *buf, size_t len, size_t from,
                        size_t *start, size_t *end, aeh_error *err);

/* True when the pattern was JIT-compiled for both modes (for tests and -v). */
bool aeh__rematch_jit(const rematch *rm);

/* frame_regex.c: the limits of both codecs' matchers (accept, reject, skip)
 * for tools and tests; EINVAL if c is not a regex or line_re codec. */
int aeh__codec_regex_set_limits(aeh_codec *c, uint32_t match_limit, uint32_t depth_limit,
                               uint32_t heap_limit_kib, aeh_error *err);

#endif
