/* SPDX-License-Identifier: MIT */
#ifndef AECAT_HEXDUMP_H
#define AECAT_HEXDUMP_H
#include "cli.h"

/* hexdump.c: --hexdump, the bytes of a connection as hexdump -C lines. */
int  hexdump_open(const cli_cfg *c);   /* -1, or the exit code (FILE unusable) */
void hexdump_close(void);
bool hexdump_failed(void);             /* a write to FILE failed (told on stderr) */
void hexdump_begin(void);              /* a new connection: both offsets from 0 */
/* The handle's tap (aeh_bytes_cb): one line per 16 bytes of the move. */
void hexdump_bytes(aeh *h, int dir, const uint8_t *p, size_t n, void *arg);
/* "# < frame 3, 17 bytes": dir AEH_BYTES_RECV or AEH_BYTES_SENT. */
void hexdump_frame(int dir, uint64_t number, size_t len);

#endif
