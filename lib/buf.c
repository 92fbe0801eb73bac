/* SPDX-License-Identifier: MIT */
/* The one byte buffer: a gap at the head (consumed bytes) is reclaimed by
 * moving the live bytes down only when that is cheaper than growing, so the
 * cost per byte stays constant however the buffer is used. */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aeh.h"

uint8_t *aeh_buf_reserve(aeh_buf *b, size_t n)
{
    assert(b->head <= b->tail && b->tail <= b->cap);
    if (b->cap - b->tail >= n)
        return b->base + b->tail;
    size_t len = b->tail - b->head;
    /* Compact when the live bytes are at most half the buffer: the move then
     * costs no more than the bytes that were consumed to make the gap. */
    if (b->cap - len >= n && len <= b->cap / 2) {
        memmove(b->base, b->base + b->head, len);
        b->head = 0;
        b->tail = len;
        return b->base + b->tail;
    }
    size_t need = len + n;
    if (need < len)
        return NULL;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return NULL;
        cap *= 2;
    }
    uint8_t *p;
    if (b->head == 0) {
        p = realloc(b->base, cap);
        if (!p)
            return NULL;
    } else {
        p = malloc(cap);
        if (!p)
            return NULL;
        memcpy(p, b->base + b->head, len);
        free(b->base);
    }
    b->base = p;
    b->cap = cap;
    b->head = 0;
    b->tail = len;
    return b->base + b->tail;
}

int aeh_buf_append(aeh_buf *b, const void *p, size_t n)
{
    if (!n)
        return 0;
    uint8_t *dst = aeh_buf_reserve(b, n);
    if (!dst)
        return -ENOMEM;
    memcpy(dst, p, n);
    b->tail += n;
    return 0;
}

int aeh_buf_vprintf(aeh_buf *b, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    /* one more for vsnprintf's NUL, which is not committed */
    uint8_t *dst = n > 0 ? aeh_buf_reserve(b, (size_t)n + 1) : NULL;
    if (dst) {
        vsnprintf((char *)dst, (size_t)n + 1, fmt, again);
        b->tail += (size_t)n;
    }
    va_end(again);
    return n > 0 && !dst ? -ENOMEM : 0;
}

int aeh_buf_printf(aeh_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = aeh_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void aeh_buf_consume(aeh_buf *b, size_t n)
{
    assert(n <= b->tail - b->head);   /* more would move head past the data */
    b->head += n;
    if (b->head == b->tail)
        b->head = b->tail = 0;
}

void aeh_buf_clear(aeh_buf *b)
{
    b->head = b->tail = 0;
}

void aeh_buf_free(aeh_buf *b)
{
    free(b->base);
    b->base = NULL;
    b->head = b->tail = b->cap = 0;
}
