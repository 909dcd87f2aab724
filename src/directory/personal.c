#include "directory/personal.h"

#include <string.h>

#include <sodium.h>

static bool
space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
           c == '\v';
}

/* [*b, *e): @p s without surrounding ASCII white space. */
static void
trim(const char *s, const char **b, const char **e)
{
    const char *end = s + strlen(s);
    while (s < end && space(*s))
        s++;
    while (end > s && space(end[-1]))
        end--;
    *b = s;
    *e = end;
}

bool
sv_email_normalise(const char *in, char out[SV_PERSONAL_EMAIL_MAX + 1])
{
    const char *b, *e, *at = NULL;
    size_t n = 0;

    out[0] = '\0';
    trim(in, &b, &e);
    if (e - b < 3 || (size_t)(e - b) > SV_PERSONAL_EMAIL_MAX)
        return false;
    for (const char *p = b; p < e; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x21 || c == 0x7f)
            goto bad; /* white space or a control character inside */
        if (c == '@') {
            if (at != NULL)
                goto bad;
            at = p;
        }
        out[n++] = c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : (char)c;
    }
    if (at == NULL || at == b || at == e - 1)
        goto bad;
    out[n] = '\0';
    return true;
bad:
    memset(out, 0, n + 1);
    return false;
}

char
sv_resident_id_check_char(const char *id17)
{
    /* W_i = 2^(17 - i) mod 11 for positions 1..17. */
    static const int w[17] = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                              3, 7, 9,  10, 5, 8, 4, 2};
    static const char map[] = "10X98765432";
    int sum = 0;

    for (int i = 0; i < 17; i++)
        sum += (id17[i] - '0') * w[i];
    return map[sum % 11];
}

static bool
province_ok(int p)
{
    return (p >= 11 && p <= 15) || (p >= 21 && p <= 23) ||
           (p >= 31 && p <= 37) || (p >= 41 && p <= 46) ||
           (p >= 50 && p <= 54) || (p >= 61 && p <= 65) || p == 71 ||
           (p >= 81 && p <= 83);
}

static bool
date_ok(int y, int m, int d)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1)
        return false;
    return d <= days[m - 1] + (m == 2 && leap ? 1 : 0);
}

static int
digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

bool
sv_resident_id_normalise(const char *in, char out[SV_RESIDENT_ID_LEN + 1])
{
    const char *b, *e;
    char id[SV_RESIDENT_ID_LEN + 1];

    out[0] = '\0';
    trim(in, &b, &e);
    if (e - b != SV_RESIDENT_ID_LEN)
        return false;
    memcpy(id, b, SV_RESIDENT_ID_LEN);
    id[SV_RESIDENT_ID_LEN] = '\0';
    if (id[17] == 'x')
        id[17] = 'X';
    bool ok = (id[17] >= '0' && id[17] <= '9') || id[17] == 'X';
    for (int i = 0; ok && i < 17; i++)
        ok = id[i] >= '0' && id[i] <= '9';
    ok = ok && province_ok(digits(id, 2)) &&
         date_ok(digits(id + 6, 4), digits(id + 10, 2), digits(id + 12, 2)) &&
         sv_resident_id_check_char(id) == id[17];
    if (ok)
        memcpy(out, id, sizeof id);
    sodium_memzero(id, sizeof id); /* a person's identity number */
    return ok;
}
