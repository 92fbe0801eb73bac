/* SPDX-License-Identifier: MIT */
#ifndef AECAT_USAGE_H
#define AECAT_USAGE_H
#include "cli.h"

/* usage.c: --help's text and --version's lines, on stdout. */
void cli_print_usage(void);
void cli_print_version(void);

#endif
