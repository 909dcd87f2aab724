/*
 * Password policy (AUTH-1). Rules, checked in this order so each refusal
 * names one rule:
 *   1. length: default 6-20 code points (white paper §8.1.1); NIST 8-64
 *   2. composition (default policy only): 2+ of lower, upper, digit, symbol
 *   3. no username, tenant slug/name or e-mail (local part) inside
 *   4. not on the common-password blocklist (case-insensitive)
 *   5. zxcvbn score at least the tenant minimum, with the same context words
 *
 * A leaf (core only): directory/ keeps a policy per tenant, identity/
 * checks passwords against it.
 */
#ifndef SV_POLICY_POLICY_H
#define SV_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/errors.h"

enum sv_pw_policy_kind { SV_PWPOL_DEFAULT = 0, SV_PWPOL_NIST = 1 };

struct sv_pw_policy {
    enum sv_pw_policy_kind kind;
    int min_score; /* zxcvbn 0..4 */
};

/** Words a password must not contain; any may be NULL. */
struct sv_pw_context {
    const char *username;
    const char *tenant_slug;
    const char *tenant_name;
    const char *email;
};

/** Parse "default" / "nist". */
SV_MUST_CHECK bool sv_policy_kind_parse(const char *s,
                                        enum sv_pw_policy_kind *out);
const char *sv_policy_kind_name(enum sv_pw_policy_kind k);

/**
 * Load the common-password list (one per line, '#' comments); replaces any
 * list loaded before. Not thread-safe: call at start-up.
 */
SV_MUST_CHECK enum sv_err sv_policy_load_blocklist(const char *path);
/** Load a list from memory (tests). */
void sv_policy_set_blocklist(const char *const *words, size_t n);
void sv_policy_free_blocklist(void);

/** zxcvbn score 0..4 of @p pw given @p ctx's words. */
int sv_policy_score(const struct sv_pw_context *ctx, const char *pw);

/** One rule in force; min/max -1 where the rule has none. */
struct sv_pw_rule {
    const char *rule; /* "length", "classes", "no_context", "not_common",
                         "score" */
    int min, max;
};

#define SV_PW_RULES_MAX 5

/** The rules of @p pol, in the order they are checked; returns how many. */
size_t sv_policy_rules(const struct sv_pw_policy *pol,
                       struct sv_pw_rule out[SV_PW_RULES_MAX]);

/*
 * zxcvbn's work grows with the length: the check as you type scores the
 * policy's longest length in characters (20 or 64), at most this many
 * bytes (64 characters of 4 bytes); a longer password fails the length rule
 * anyway.
 */
#define SV_PW_SCORE_MAX_BYTES 256

/** Every rule's verdict on one password (the check as you type). */
struct sv_pw_report {
    enum sv_err verdict; /* what sv_policy_check() answers */
    int score;           /* zxcvbn 0..4 */
    size_t n_rules;
    struct sv_pw_rule rules[SV_PW_RULES_MAX];
    bool ok[SV_PW_RULES_MAX];
};

/**
 * Check @p pw against each rule of @p pol, every rule (not only up to the
 * first refusal). The score counts the policy's longest length in
 * characters at most (and SV_PW_SCORE_MAX_BYTES bytes). Nothing is kept: the
 * caller wipes
 * @p pw.
 */
void sv_policy_report(const struct sv_pw_policy *pol,
                      const struct sv_pw_context *ctx, const char *pw,
                      size_t len, struct sv_pw_report *out);

/**
 * Check @p pw (@p len bytes of UTF-8) against @p pol. SV_OK or the
 * SV_E_PASSWORD_* code naming the first rule that refused it.
 */
SV_MUST_CHECK enum sv_err sv_policy_check(const struct sv_pw_policy *pol,
                                          const struct sv_pw_context *ctx,
                                          const char *pw, size_t len);

#endif
