/* SPDX-License-Identifier: MIT */
#ifndef AECAT_DIALOG_H
#define AECAT_DIALOG_H
#include "state.h"

/* dialog.c: --send, --expect, ... before the relay. */
int  dialog_prepare(session *s);  /* -1, or the exit code of a bad step */
void dialog_begin(session *s);
void dialog_free(session *s);

#endif
