/* SPDX-License-Identifier: MIT */
#ifndef AECAT_KEEP_H
#define AECAT_KEEP_H
#include "session.h"

/* keep.c: -k.  Makes the listener session s (opened, not yet run) serve
 * every connection it accepts, until the run ends: -1, or the exit code of
 * a failure.  session_close then closes the connections too. */
int keep_open(session *s);

#endif
