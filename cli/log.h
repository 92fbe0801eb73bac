/* SPDX-License-Identifier: MIT */
#ifndef AECAT_LOG_H
#define AECAT_LOG_H
#include "state.h"

/* log.c: the "close" event of a session. */
void log_close_event(const session *s, int code);

#endif
