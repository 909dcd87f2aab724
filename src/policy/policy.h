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

/**
 * Check @p pw (@p len bytes of UTF-8) against @p pol. SV_OK or the
 * SV_E_PASSWORD_* code naming the first rule that refused it.
 */
SV_MUST_CHECK enum sv_err sv_policy_check(const struct sv_pw_policy *pol,
                                          const struct sv_pw_context *ctx,
                                          const char *pw, size_t len);

#endif
