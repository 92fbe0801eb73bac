/* SPDX-License-Identifier: MIT */
#ifndef AECAT_RELAY_H
#define AECAT_RELAY_H
#include "state.h"

/* Backpressure: a side whose output queue is over the high-water mark
 * stops reading until it is down to the low one. */
enum { RELAY_HIGH_WATER = 256 * 1024, RELAY_LOW_WATER = 64 * 1024 };

/* relay.c: the handle transport.  relay_start joins stdin/stdout and the
 * connected socket fd (or hands them to splice.c), then calls
 * s->on_wire_ready; relay_begin is the relay proper (after the dialog). */
int  relay_start(session *s, int fd);
void relay_begin(session *s);
/* stdin and stdout as handles with the relay's callbacks (-1, or the exit
 * code): relay_start's for one connection, the -k listener's for all. */
int  relay_stdio_open(session *s);
/* aeh_push_batch (from: the handle whose batch f is, NULL for frames of
 * no batch), an encoder's refusal held for the caller: the count queued
 * (-1: the handle failed); fewer than n: *why says why.  s: the session
 * that hears `to`'s errors. */
long relay_push_batch(session *s, aeh *to, const aeh_codec *c, const aeh *from,
                      const aeh_span *f, size_t n, aeh_error *why);
/* The wire's frames may go to `out` as runs of bytes (aeh_read_runs). */
bool relay_runs_ok(const session *s, const aeh_codec *out);
/* The frames of a batch the run still wants under --count and --until
 * (counted in s->frames_recv); *last: the answer is in. */
size_t relay_frames_wanted(session *s, const aeh_span *f, size_t n, bool *last);
/* A frame stdin gave that the wire's encoder refused (frame s->frames_sent,
 * at s->in_frame_at): told, and the run ends 65 once the rest is out. */
void relay_send_refused(session *s, const aeh_error *e);
/* A frame from s's wire that stdout's records refused (frame
 * s->frames_recv, at s->net_frame_at): told, and s ends with 65. */
void relay_out_refused(session *s, const aeh_error *e);
void relay_net_callbacks(session *s);   /* the relay's callbacks on the wire */
void relay_tls_info(session *s, aeh *h);
void relay_count_bytes(session *s);
/* After a clean end: what the peer still sends is dropped until its EOF,
 * for at most secs (0: only what has arrived). */
void relay_drain_wire(session *s, double secs);

#endif
