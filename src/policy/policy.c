#include "policy/policy.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>
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

static void
length_limits(const struct sv_pw_policy *pol, size_t *min, size_t *max)
{
    *min = pol->kind == SV_PWPOL_NIST ? 8 : 6;
    *max = pol->kind == SV_PWPOL_NIST ? 64 : 20;
}

/* Composition (default policy): 2+ of lower, upper, digit, symbol. */
static bool
enough_classes(const char *pw, size_t len)
{
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
    return lower + upper + digit + symbol >= 2;
}

static bool
has_context(const struct sv_pw_context *ctx, const char *pw)
{
    char local[256];

    if (ctx->email != NULL)
        email_local(ctx->email, local, sizeof local);
    return contains_word(pw, ctx->username) ||
           contains_word(pw, ctx->tenant_slug) ||
           contains_word(pw, ctx->tenant_name) ||
           (ctx->email != NULL && contains_word(pw, local));
}

size_t
sv_policy_rules(const struct sv_pw_policy *pol,
                struct sv_pw_rule out[SV_PW_RULES_MAX])
{
    size_t min, max, n = 0;

    length_limits(pol, &min, &max);
    out[n++] = (struct sv_pw_rule){"length", (int)min, (int)max};
    if (pol->kind == SV_PWPOL_DEFAULT)
        out[n++] = (struct sv_pw_rule){"classes", 2, -1};
    out[n++] = (struct sv_pw_rule){"no_context", -1, -1};
    out[n++] = (struct sv_pw_rule){"not_common", -1, -1};
    out[n++] = (struct sv_pw_rule){"score", pol->min_score, -1};
    return n;
}

void
sv_policy_report(const struct sv_pw_policy *pol,
                 const struct sv_pw_context *ctx, const char *pw, size_t len,
                 struct sv_pw_report *out)
{
    size_t min, max, chars = sv_utf8_len(pw, len), cut = 0, n = 0;
    char head[SV_PW_SCORE_MAX_BYTES + 1];

    memset(out, 0, sizeof *out);
    length_limits(pol, &min, &max);
    /* The first `max` characters: all of any password the length rule
     * lets through (so the score is the real change's), and no more. */
    while (cut < len && cut < SV_PW_SCORE_MAX_BYTES) {
        if (((unsigned char)pw[cut] & 0xc0) != 0x80 && n++ == max)
            break; /* the first byte of character max + 1 */
        cut++;
    }
    while (cut > 0 && cut < len && ((unsigned char)pw[cut] & 0xc0) == 0x80)
        cut--; /* never inside a character */
    memcpy(head, pw, cut);
    head[cut] = '\0';
    out->score = sv_policy_score(ctx, head);
    sodium_memzero(head, sizeof head); /* a copy of the password */
    out->n_rules = sv_policy_rules(pol, out->rules);
    for (size_t i = 0; i < out->n_rules; i++) {
        const char *r = out->rules[i].rule;
        if (strcmp(r, "length") == 0)
            out->ok[i] = chars >= min && chars <= max;
        else if (strcmp(r, "classes") == 0)
            out->ok[i] = enough_classes(pw, len);
        else if (strcmp(r, "no_context") == 0)
            out->ok[i] = !has_context(ctx, pw);
        else if (strcmp(r, "not_common") == 0)
            out->ok[i] = !blocklisted(pw, len);
        else
            out->ok[i] = out->score >= pol->min_score;
    }
    /* The first rule that refuses, as sv_policy_check() answers (whose
     * checks these are, in its order; the score is the same: a password
     * the cut shortens already fails the length). */
    out->verdict = SV_OK;
    for (size_t i = 0; i < out->n_rules && out->verdict == SV_OK; i++) {
        const char *r = out->rules[i].rule;
        if (out->ok[i])
            continue;
        if (strcmp(r, "length") == 0)
            out->verdict =
                chars < min ? SV_E_PASSWORD_TOO_SHORT : SV_E_PASSWORD_TOO_LONG;
        else if (strcmp(r, "classes") == 0)
            out->verdict = SV_E_PASSWORD_TOO_SIMPLE;
        else if (strcmp(r, "no_context") == 0)
            out->verdict = SV_E_PASSWORD_CONTAINS_PERSONAL;
        else if (strcmp(r, "not_common") == 0)
            out->verdict = SV_E_PASSWORD_COMMON;
        else
            out->verdict = SV_E_PASSWORD_TOO_WEAK;
    }
}

enum sv_err
sv_policy_check(const struct sv_pw_policy *pol, const struct sv_pw_context *ctx,
                const char *pw, size_t len)
{
    size_t chars = sv_utf8_len(pw, len), min, max;

    length_limits(pol, &min, &max);
    if (chars < min)
        return SV_E_PASSWORD_TOO_SHORT;
    if (chars > max)
        return SV_E_PASSWORD_TOO_LONG;
    if (pol->kind == SV_PWPOL_DEFAULT && !enough_classes(pw, len))
        return SV_E_PASSWORD_TOO_SIMPLE;
    if (has_context(ctx, pw))
        return SV_E_PASSWORD_CONTAINS_PERSONAL;
    if (blocklisted(pw, len))
        return SV_E_PASSWORD_COMMON;
    if (sv_policy_score(ctx, pw) < pol->min_score)
        return SV_E_PASSWORD_TOO_WEAK;
    return SV_OK;
}
