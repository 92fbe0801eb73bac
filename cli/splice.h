/* SPDX-License-Identifier: MIT */
#ifndef AECAT_SPLICE_H
#define AECAT_SPLICE_H
#include "state.h"

/* splice.c: the raw relay through splice(2), when stdin and stdout are
 * pipes or sockets and nothing transforms the bytes. */
bool splice_eligible(const session *s);
int  splice_start(session *s, int fd);
bool splice_is_pipe(int fd);

#endif
