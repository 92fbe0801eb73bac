/* SPDX-License-Identifier: MIT */
#ifndef AECAT_CODECS_H
#define AECAT_CODECS_H
#include "state.h"

/* codecs.c: the session's four codecs from the options (0, or the exit
 * code of a bad framing), and their end. */
int  codecs_build(session *s);
void codecs_free(session *s);
/* The framings keep state of one stream's own (the switch A>>B has sent
 * its first frame; http, the methods of the requests sent): each -k
 * connection needs codecs of its own, not the listener's. */
bool codecs_per_stream(const session *s);

#endif
