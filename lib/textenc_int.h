/* SPDX-License-Identifier: MIT */
/* Text encodings of bytes: hex and strict RFC 4648 base64, shared by the
 * text codecs (hexlines, base64lines, json-strings, escapes in specs) and
 * by tls.c (certificate pins), which must not see the codec internals. */
#ifndef AEH_TEXTENC_INT_H
#define AEH_TEXTENC_INT_H

#include <stddef.h>
#include <stdint.h>

/* A hex digit's value, or -1. */
static inline int textenc_hex_value(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* The two lowercase hex digits of byte b into dst[0], dst[1]. */
static inline void textenc_hex_byte(uint8_t *dst, uint8_t b)
{
    static const char digits[] = "0123456789abcdef";
    dst[0] = (uint8_t)digits[b >> 4];
    dst[1] = (uint8_t)digits[b & 15];
}

/* A base64 character's 6-bit value, or -1 ('=' included: padding is the
 * caller's to place). */
static inline int textenc_base64_value(uint8_t ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

/* Writes the 4 * ceil(n / 3) characters (padded) of p[0, n) to dst, which
 * must have room, and returns how many. */
size_t aeh__base64_encode(uint8_t *dst, const uint8_t *p, size_t n);

#endif
