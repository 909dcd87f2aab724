#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

int64_t
sv_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t
sv_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
sv_uuid7(char out[SV_UUID_LEN + 1])
{
    uint8_t b[16];
    uint64_t ms = (uint64_t)sv_now_ms();

    randombytes_buf(b + 6, 10);
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)(ms >> (8 * (5 - i)));
    b[6] = (uint8_t)(0x70 | (b[6] & 0x0f)); /* version 7 */
    b[8] = (uint8_t)(0x80 | (b[8] & 0x3f)); /* RFC 4122 variant */
    snprintf(out, SV_UUID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
             b[11], b[12], b[13], b[14], b[15]);
}

bool
sv_check_uuid_field(const char *s, size_t len)
{
    return strlen(s) == len && sv_check_uuid(s);
}

bool
sv_check_uuid(const char *s)
{
    if (s == NULL || strlen(s) != SV_UUID_LEN)
        return false;
    for (int i = 0; i < SV_UUID_LEN; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

bool
sv_check_digits(const char *s, size_t n)
{
    if (s == NULL || strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

void
sv_rfc3339(int64_t ms, char out[SV_RFC3339_LEN + 1])
{
    time_t secs = (time_t)(ms / 1000);
    int frac = (int)(ms % 1000);
    struct tm tm;

    if (frac < 0) {
        frac += 1000;
        secs -= 1;
    }
    gmtime_r(&secs, &tm);
    snprintf(out, SV_RFC3339_LEN + 1, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, frac);
}

static bool
digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool
sv_rfc3339_parse(const char *s, int64_t *ms_out)
{
    int y, mo, d, h, mi, se, ms = 0;
    struct tm tm = {0};
    size_t n = strlen(s);
    const char *p;

    if (n < 20 || n > 35)
        return false;
    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
        s[7] != '-' || !digits(s + 8, 2, &d) ||
        (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
        s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &se))
        return false;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        se > 60)
        return false;
    p = s + 19;
    if (*p == '.') {
        int scale = 100, nd = 0;
        p++;
        while (*p >= '0' && *p <= '9') {
            if (nd < 3)
                ms += (*p - '0') * scale;
            scale /= 10;
            nd++;
            p++;
        }
        if (nd == 0 || nd > 9)
            return false;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    int64_t secs = (int64_t)timegm(&tm);
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        int sign = *p == '+' ? 1 : -1;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) ||
            oh > 23 || om > 59)
            return false;
        secs -= sign * (oh * 3600 + om * 60);
        p += 6;
    } else {
        return false;
    }
    if (*p != '\0')
        return false;
    *ms_out = secs * 1000 + ms;
    return true;
}

void
sv_hex(const uint8_t *in, size_t len, char *out)
{
    static const char h[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = h[in[i] >> 4];
        out[2 * i + 1] = h[in[i] & 15];
    }
    out[2 * len] = '\0';
}

/* Length of the well-formed UTF-8 sequence at s (0 when ill-formed). */
static size_t
utf8_seq(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if (n > left)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

bool
sv_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(p + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

char *
sv_sanitize_text(struct sv_arena *a, const char *s, size_t max_bytes)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s), o = 0;
    char *out = sv_arena_alloc(a, (len < max_bytes ? len : max_bytes) + 1);

    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(p + i, len - i);
        if (n == 0 || (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))) {
            if (o + 1 > max_bytes)
                break;
            out[o++] = '?';
            i += n ? n : 1;
            continue;
        }
        if (o + n > max_bytes)
            break;
        memcpy(out + o, p + i, n);
        o += n;
        i += n;
    }
    out[o] = '\0';
    return out;
}

size_t
sv_utf8_len(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            n++;
    return n;
}

bool
sv_contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle), h = strlen(hay);
    if (n == 0 || n > h)
        return false;
    for (size_t i = 0; i + n <= h; i++)
        if (strncasecmp(hay + i, needle, n) == 0)
            return true;
    return false;
}

bool
sv_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    long long v;

    if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
        return false;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* ---- arena ---- */

struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

struct sv_arena {
    struct arena_block *head;
};

enum { ARENA_BLOCK = 4096 - sizeof(struct arena_block) };

bool
sv_wipe_grow(char **buf, size_t *cap, size_t len, size_t need, size_t first,
             size_t max)
{
    size_t n = *cap ? *cap : first;
    char *nb;

    if (need <= *cap)
        return true;
    while (n < need)
        n *= 2;
    if (n > max)
        n = max;
    nb = malloc(n);
    if (nb == NULL)
        return false;
    if (*buf != NULL) {
        memcpy(nb, *buf, len);
        sodium_memzero(*buf, *cap);
        free(*buf);
    }
    *buf = nb;
    *cap = n;
    return true;
}

void *
sv_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        sv_abort_at(__FILE__, __LINE__, "out of memory");
    return p;
}

void *
sv_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        sv_abort_at(__FILE__, __LINE__, "out of memory");
    return p;
}

char *
sv_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(sv_xmalloc(n), s, n);
}

struct sv_arena *
sv_arena_new(void)
{
    return sv_xcalloc(1, sizeof(struct sv_arena));
}

void
sv_arena_free(struct sv_arena *a)
{
    if (a == NULL)
        return;
    for (struct arena_block *b = a->head, *next; b != NULL; b = next) {
        next = b->next;
        /* Request data may hold personal data: leave nothing behind. */
        sodium_memzero(b->data, b->used);
        free(b);
    }
    free(a);
}

void *
sv_arena_alloc(struct sv_arena *a, size_t n)
{
    struct arena_block *b = a->head;

    n = (n + 15) & ~(size_t)15;
    if (b == NULL || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = sv_xmalloc(sizeof *b + cap);
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

void *
sv_arena_zalloc(struct sv_arena *a, size_t n)
{
    return memset(sv_arena_alloc(a, n), 0, n);
}

char *
sv_arena_strdup(struct sv_arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(sv_arena_alloc(a, n), s, n);
}

char *
sv_arena_printf(struct sv_arena *a, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *p;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    sv_assert(n >= 0);
    p = sv_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

char *
sv_cursor_encode(struct sv_arena *a, const char *kind, const char *value)
{
    char *plain = sv_arena_printf(a, "%s:%s", kind, value);
    size_t n = strlen(plain);
    size_t cap =
        sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = sv_arena_alloc(a, cap);

    sodium_bin2base64(out, cap, (const unsigned char *)plain, n,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

const char *
sv_cursor_decode(struct sv_arena *a, const char *kind, const char *cursor)
{
    size_t n = strlen(cursor), klen = strlen(kind), len = 0;
    unsigned char *buf;

    if (n == 0 || n > 256)
        return NULL;
    buf = sv_arena_alloc(a, n + 1);
    if (sodium_base642bin(buf, n, cursor, n, NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return NULL;
    buf[len] = '\0';
    if (len <= klen || memcmp(buf, kind, klen) != 0 || buf[klen] != ':' ||
        strlen((char *)buf) != len)
        return NULL;
    return (const char *)buf + klen + 1;
}

bool
sv_bucket_take(struct sv_bucket *b)
{
    uint64_t now = sv_mono_ns();
    bool ok;

    pthread_mutex_lock(&b->mu);
    if (b->at_ns != 0) {
        b->tokens += (double)(now - b->at_ns) / 1e9 * b->rate;
        if (b->tokens > b->burst)
            b->tokens = b->burst;
    }
    b->at_ns = now;
    ok = b->tokens >= 1.0;
    if (ok)
        b->tokens -= 1.0;
    pthread_mutex_unlock(&b->mu);
    return ok;
}

bool
sv_like_pattern(const char *text, bool anywhere, char *out, size_t cap)
{
    size_t len = strlen(text), n = 0;

    if (cap < 2 * len + 3)
        return false;
    if (anywhere)
        out[n++] = '%';
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (ch == '%' || ch == '_' || ch == '\\')
            out[n++] = '\\';
        out[n++] = ch;
    }
    out[n++] = '%';
    out[n] = '\0';
    return true;
}

char *
sv_cursor_key_encode(struct sv_arena *a, const char *kind, const char *id,
                     const char *key)
{
    /* The id (36 characters), then the sort key. */
    return sv_cursor_encode(a, kind, sv_arena_printf(a, "%s%s", id, key));
}

bool
sv_cursor_key_decode(struct sv_arena *a, const char *kind, const char *cursor,
                     size_t key_max, const char **id, const char **key)
{
    const char *v = sv_cursor_decode(a, kind, cursor);
    size_t len;
    char *head;

    if (v == NULL || (len = strlen(v)) <= SV_UUID_LEN ||
        len > SV_UUID_LEN + key_max || !sv_utf8_valid(v, len))
        return false;
    head = sv_arena_printf(a, "%.36s", v);
    if (!sv_check_uuid(head))
        return false;
    *id = head;
    *key = v + SV_UUID_LEN;
    return true;
}

void
sv_ascii_lower(const char *s, char *out)
{
    size_t i = 0;
    for (; s[i] != '\0'; i++)
        out[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
    out[i] = '\0';
}

bool
sv_check_plain_text(const char *s, size_t len, size_t min, size_t max)
{
    size_t chars;

    if (len > max * 4 || !sv_utf8_valid(s, len))
        return false;
    chars = sv_utf8_len(s, len);
    if (chars < min || chars > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}
