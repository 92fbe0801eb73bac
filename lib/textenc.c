/* SPDX-License-Identifier: MIT */
/* Base64 encoding (textenc_int.h). */
#include "textenc_int.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t aeh__base64_encode(uint8_t *dst, const uint8_t *p, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        size_t left = n - i;
        uint32_t v = (uint32_t)p[i] << 16 | (left > 1 ? (uint32_t)p[i + 1] << 8 : 0) |
                     (left > 2 ? p[i + 2] : 0);
        dst[o++] = (uint8_t)b64_alphabet[v >> 18];
        dst[o++] = (uint8_t)b64_alphabet[v >> 12 & 63];
        dst[o++] = left > 1 ? (uint8_t)b64_alphabet[v >> 6 & 63] : '=';
        dst[o++] = left > 2 ? (uint8_t)b64_alphabet[v & 63] : '=';
    }
    return o;
}
