/* SPDX-License-Identifier: MIT */
#ifndef AECAT_RELAY_H
#define AECAT_RELAY_H
#include "state.h"

/* relay.c: the handle transport.  relay_start joins stdin/stdout and the
 * connected socket fd (or hands them to splice.c), then calls
 * s->on_wire_ready; relay_begin is the relay proper (after the dialog). */
int  relay_start(session *s, int fd);
void relay_begin(session *s);
void relay_net_callbacks(session *s);   /* the relay's callbacks on the wire */
void relay_tls_info(session *s, aeh *h);
void relay_count_bytes(session *s);
/* After a clean end: what the peer still sends is dropped until its EOF,
 * for at most secs (0: only what has arrived). */
void relay_drain_wire(session *s, double secs);

#endif
