/* SPDX-License-Identifier: MIT */
/* What more than one STARTTLS protocol or role uses (see preset_int.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "preset_int.h"

const char *aeh__stls_escape(const char *s, const char *bad, bool xml, char *buf, size_t cap)
{
    size_t o = 0;
    for (; *s && o + 8 < cap; s++) {
        if (!strchr(bad, *s))
            buf[o++] = *s;
        else if (xml)
            o += (size_t)snprintf(buf + o, cap - o, "&#%d;", (unsigned char)*s);
        else
            buf[o++] = '\\', buf[o++] = *s;
    }
    buf[o] = 0;
    return buf;
}

int aeh__stls_reply_code(const uint8_t *p, size_t n, bool *more)
{
    if (n < 3 || p[0] < '1' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
        return -1;
    if (n > 3 && p[3] != ' ' && p[3] != '-')
        return -1;
    *more = n > 3 && p[3] == '-';
    return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

bool aeh__stls_starts(const uint8_t *p, size_t n, const char *s)
{
    size_t m = strlen(s);
    return n >= m && !strncasecmp((const char *)p, s, m);
}

static bool is_letter(uint8_t ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

bool aeh__stls_has_word(const uint8_t *p, size_t n, const char *word)
{
    size_t w = strlen(word);
    for (size_t i = 0; i + w <= n; i++) {
        if (strncasecmp((const char *)p + i, word, w))
            continue;
        bool left = i == 0 || !is_letter(p[i - 1]);
        bool right = i + w == n || !is_letter(p[i + w]);
        if (left && right)
            return true;
    }
    return false;
}

aeh_span aeh__stls_next_word(const uint8_t *p, size_t n, size_t *i)
{
    while (*i < n && p[*i] == ' ')
        (*i)++;
    size_t s = *i;
    while (*i < n && p[*i] != ' ')
        (*i)++;
    return (aeh_span){ p + s, *i - s };
}

aeh_span aeh__stls_rest_of(const uint8_t *p, size_t n, size_t i)
{
    while (i < n && p[i] == ' ')
        i++;
    return (aeh_span){ p + i, n - i };
}

bool aeh__stls_is(aeh_span w, const char *s)
{
    size_t m = strlen(s);
    return w.n == m && !strncasecmp((const char *)w.p, s, m);
}

bool aeh__stls_over_bound(stls *t, const char *bye)
{
    if (t->commands < STLS_MAX_COMMANDS) {
        t->commands++;
        return false;
    }
    if (bye)
        aeh__stls_sendf(t, "%s\r\n", bye);
    aeh__stls_refuse(t, "the client sent %d commands without STARTTLS", STLS_MAX_COMMANDS);
    return true;
}

void aeh__stls_quit(stls *t, const char *bye, const uint8_t *p, size_t n)
{
    aeh__stls_sendf(t, "%s\r\n", bye);
    aeh__stls_refuse(t, "the client quit before STARTTLS: %s", SHOW(p, n));
}

size_t aeh__stls_put(uint8_t *b, size_t o, const void *p, size_t n)
{
    memcpy(b + o, p, n);
    return o + n;
}

uint32_t aeh__stls_pseudo_random(stls *t)
{
    static uint32_t x;
    if (!x)
        x = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16 ^ (uint32_t)(uintptr_t)t;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x ? x : (x = 1);
}
