/* SPDX-License-Identifier: MIT */
/* The one error type: code + stream offset + one-line message. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "aeh.h"

int aeh_vfail(aeh_error *e, int code, uint64_t offset, const char *fmt, va_list ap)
{
    e->code = code;
    e->op = AEH_OP_NONE;
    e->reason = AEH_REASON_NONE;
    e->offset = offset;
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    return -1;
}

int aeh_fail(aeh_error *e, int code, uint64_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    aeh_vfail(e, code, offset, fmt, ap);
    va_end(ap);
    return -1;
}

const char *aeh_strerror(int code)
{
    switch (code) {
    case AEH_ENAME: return "name could not be resolved";
    default: return strerror(code);
    }
}
