#include "policy/policy.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zxcvbn.h>

#include "core/util.h"

static char **blocklist;
static size_t blocklist_len;

bool
sv_policy_kind_parse(const char *s, enum sv_pw_policy_kind *out)
{
    if (strcmp(s, "default") == 0)
        *out = SV_PWPOL_DEFAULT;
    else if (strcmp(s, "nist") == 0)
        *out = SV_PWPOL_NIST;
    else
        return false;
    return true;
}

const char *
sv_policy_kind_name(enum sv_pw_policy_kind k)
{
    return k == SV_PWPOL_NIST ? "nist" : "default";
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
lower_dup(const char *s, size_t n)
{
    char *d = sv_xmalloc(n + 1);
    for (size_t i = 0; i < n; i++)
        d[i] = (char)tolower((unsigned char)s[i]);
    d[n] = '\0';
    return d;
}

void
sv_policy_free_blocklist(void)
{
    for (size_t i = 0; i < blocklist_len; i++)
        free(blocklist[i]);
    free(blocklist);
    blocklist = NULL;
    blocklist_len = 0;
}

static void
finish_list(char **words, size_t n)
{
    sv_policy_free_blocklist();
    qsort(words, n, sizeof *words, cmp_str);
    blocklist = words;
    blocklist_len = n;
}

void
sv_policy_set_blocklist(const char *const *words, size_t n)
{
    char **w = sv_xcalloc(n ? n : 1, sizeof *w);
    for (size_t i = 0; i < n; i++)
        w[i] = lower_dup(words[i], strlen(words[i]));
    finish_list(w, n);
}

enum sv_err
sv_policy_load_blocklist(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[256];
    char **w = NULL;
    size_t n = 0, cap = 0;

    if (f == NULL)
        return SV_E_NOT_FOUND;
    while (fgets(line, sizeof line, f) != NULL) {
        size_t len = strcspn(line, "\r\n");
        if (len == 0 || line[0] == '#')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            w = realloc(w, cap * sizeof *w);
            if (w == NULL)
                sv_abort_at(__FILE__, __LINE__, "out of memory");
        }
        w[n++] = lower_dup(line, len);
    }
    fclose(f);
    finish_list(w, n);
    return SV_OK;
}

/* The list is lower-case and sorted, so a case-insensitive comparison
 * searches it without copying the password anywhere. */
static int
cmp_key_ci(const void *key, const void *elem)
{
    return strcasecmp(key, *(char *const *)elem);
}

static bool
blocklisted(const char *pw, size_t len)
{
    (void)len; /* NUL-terminated; embedded NULs are refused at parsing */
    if (blocklist_len == 0)
        return false;
    return bsearch(pw, blocklist, blocklist_len, sizeof *blocklist,
                   cmp_key_ci) != NULL;
}

/* The e-mail's local part is what people reuse; the domain is shared. */
static void
email_local(const char *email, char *out, size_t cap)
{
    size_t n = strcspn(email, "@");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, email, n);
    out[n] = '\0';
}

int
sv_policy_score(const struct sv_pw_context *ctx, const char *pw)
{
    const char *words[6];
    char local[256];
    size_t n = 0;
    double bits, log10_guesses;

    if (ctx->username)
        words[n++] = ctx->username;
    if (ctx->tenant_slug)
        words[n++] = ctx->tenant_slug;
    if (ctx->tenant_name)
        words[n++] = ctx->tenant_name;
    if (ctx->email) {
        email_local(ctx->email, local, sizeof local);
        words[n++] = local;
    }
    words[n] = NULL;
    bits = ZxcvbnMatch(pw, words, NULL);
    log10_guesses = bits * log10(2.0);
    /* zxcvbn's score bands, by guesses: 1e3, 1e6, 1e8, 1e10. */
    if (log10_guesses < 3)
        return 0;
    if (log10_guesses < 6)
        return 1;
    if (log10_guesses < 8)
        return 2;
    if (log10_guesses < 10)
        return 3;
    return 4;
}

/* Context words shorter than 3 characters would refuse too much. */
static bool
contains_word(const char *pw, const char *word)
{
    return word != NULL && strlen(word) >= 3 && sv_contains_ci(pw, word);
}

enum sv_err
sv_policy_check(const struct sv_pw_policy *pol, const struct sv_pw_context *ctx,
                const char *pw, size_t len)
{
    size_t chars = sv_utf8_len(pw, len);
    size_t min = pol->kind == SV_PWPOL_NIST ? 8 : 6;
    size_t max = pol->kind == SV_PWPOL_NIST ? 64 : 20;
    char local[256];

    if (chars < min)
        return SV_E_PASSWORD_TOO_SHORT;
    if (chars > max)
        return SV_E_PASSWORD_TOO_LONG;
    if (pol->kind == SV_PWPOL_DEFAULT) {
        bool lower = false, upper = false, digit = false, symbol = false;
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)pw[i];
            if (c >= 'a' && c <= 'z')
                lower = true;
            else if (c >= 'A' && c <= 'Z')
                upper = true;
            else if (c >= '0' && c <= '9')
                digit = true;
            else
                symbol = true; /* punctuation, space, non-ASCII */
        }
        if (lower + upper + digit + symbol < 2)
            return SV_E_PASSWORD_TOO_SIMPLE;
    }
    if (ctx->email != NULL)
        email_local(ctx->email, local, sizeof local);
    if (contains_word(pw, ctx->username) ||
        contains_word(pw, ctx->tenant_slug) ||
        contains_word(pw, ctx->tenant_name) ||
        (ctx->email != NULL && contains_word(pw, local)))
        return SV_E_PASSWORD_CONTAINS_PERSONAL;
    if (blocklisted(pw, len))
        return SV_E_PASSWORD_COMMON;
    if (sv_policy_score(ctx, pw) < pol->min_score)
        return SV_E_PASSWORD_TOO_WEAK;
    return SV_OK;
}
