/*
 * The self-service password reset (AUTH-3): a 6-digit code sent to the
 * account's bound phone or e-mail, then a new password with the code.
 * Reset codes are stored as keyed BLAKE2b (app->code_key) of (tag, row id,
 * code), single use, burnt after SV_RESET_MAX_ATTEMPTS wrong guesses.
 * Each function is a whole operation, one transaction per step.
 */
#ifndef SV_RECOVERY_RECOVERY_H
#define SV_RECOVERY_RECOVERY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/errors.h"
#include "crypto/password.h"
#include "directory/tenant.h"
#include "identity/identity.h"

struct sv_app;

#define SV_RESET_CODE_DIGITS 6
#define SV_RESET_MAX_PER_HOUR 3 /* codes sent per account per hour */
#define SV_RESET_MAX_ATTEMPTS 5 /* wrong guesses before a code is burnt */

/* ---- self-service password reset (AUTH-3) ---- */

/**
 * POST /auth/reset: send a 6-digit code to the account's bound phone
 * (@p channel "sms") or e-mail ("email"), valid app->cfg.reset_ttl_ms,
 * single use; it makes older unused codes void. At most
 * SV_RESET_MAX_PER_HOUR codes per account per hour. Unknown tenant or
 * account, no phone or e-mail, or over the limit: nothing is sent. Every
 * attempt on an existing tenant is audited (auth.reset_request, with the
 * reason). The answer must not depend on the outcome: the return value is
 * for the log only.
 */
SV_MUST_CHECK enum sv_err sv_reset_request(struct sv_app *app,
                                           const char *tenant_slug,
                                           const char *username,
                                           const char *channel, const char *ip,
                                           const char *user_agent);

/** POST /auth/reset/confirm, in three steps: verify → work → finish. */
struct sv_reset {
    /* in */
    struct sv_app *app;
    const char *tenant_slug;
    const char *username;
    const char *code;
    char *password; /* sodium_malloc'd copy, wiped by sv_reset_free() */
    size_t password_len;
    const char *ip;
    const char *user_agent;
    /* verify */
    struct sv_tenant tenant;
    struct sv_account account;
    char code_id[37];
    /* work */
    enum sv_err verdict;
    char new_hash[SV_HASH_LEN];
};

/** Copy @p password into locked memory. */
SV_MUST_CHECK enum sv_err sv_reset_init(struct sv_reset *r,
                                        const char *password, size_t len);
void sv_reset_free(struct sv_reset *r);

/**
 * Check the code against the account's newest unused, unexpired code.
 * A wrong code counts an attempt (the code is burnt at
 * SV_RESET_MAX_ATTEMPTS) and is audited.
 * @return SV_OK (the code is right; it is consumed by sv_reset_finish());
 *         SV_E_RESET_CODE_INVALID for a wrong, used or expired code and
 *         an unknown tenant or account alike; database errors.
 */
SV_MUST_CHECK enum sv_err sv_reset_verify(struct sv_app *app,
                                          struct sv_reset *r);
/** The slow part: the tenant's password policy, then Argon2id. */
void sv_reset_work(struct sv_app *app, struct sv_reset *r);
/**
 * One transaction: set the password (no change forced), consume the code,
 * revoke every session of the account, audit auth.reset, inbox notice.
 * @return SV_OK; r->verdict (a SV_E_PASSWORD_* rule); SV_E_RESET_CODE_INVALID
 *         (the code was used or expired meanwhile); database errors.
 */
SV_MUST_CHECK enum sv_err sv_reset_finish(struct sv_app *app,
                                          struct sv_reset *r);

/**
 * Inside a transaction that disables account @p account_id (DIR-6): every
 * reset code still open for it is void, so that none issued before works
 * after a rehire or an enable.
 */
SV_MUST_CHECK enum sv_err sv_reset_void_tx(struct sv_dbc *c,
                                           const char *tenant_id,
                                           const char *account_id);

/** In tenant @p tenant_id's transaction: every account's reset codes older
 *  than a day (nothing counts them any more), gone (app.c's sweep). */
SV_MUST_CHECK enum sv_err
sv_reset_sweep_tx(struct sv_dbc *c, const char *tenant_id, int64_t now_ms);

#endif
