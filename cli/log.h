/* SPDX-License-Identifier: MIT */
#ifndef AECAT_LOG_H
#define AECAT_LOG_H
#include "state.h"

/* log.c: the "close" event of a session. */
void log_close_event(const session *s, int code);
void log_conn(aeh_buf *b, const session *s);   /* "conn": N under -k */
void log_tls(const session *s, aeh *h);

#endif
