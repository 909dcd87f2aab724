/*
 * Second factors of an account: TOTP and recovery codes (AUTH-8) and the
 * bound phone that SMS codes go to (DEV-6).
 *
 * The *_tx functions run inside the caller's transaction, with the tenant
 * scope already set, and write their own audit events. The other functions
 * are whole operations, each one transaction (for handlers and the CLI).
 *
 * At rest: the TOTP secret and the phone are sealed with the tenant's field
 * key (AAD tenant | "totp" | "secret" | account id, and tenant |
 * "accounts" | "phone" | account id); recovery codes are stored as the
 * tenant's keyed blind index of (account id, code).
 */
#ifndef SV_MFA_MFA_H
#define SV_MFA_MFA_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/totp.h"
#include "core/errors.h"
#include "identity/identity.h"
#include "notify/inbox.h"

struct sv_app;
struct sv_dbc;

#define SV_PHONE_MAX 16 /* E.164: '+' and up to 15 digits */

/** E.164: '+', a non-zero digit, 7–15 digits in all. */
bool sv_check_phone(const char *s);

/* ---- TOTP (AUTH-8) ---- */

/** True when the account has a confirmed authenticator. */
SV_MUST_CHECK enum sv_err sv_totp_enrolled_tx(struct sv_dbc *c,
                                              const char *tenant_id,
                                              const char *account_id,
                                              bool *enrolled);

/**
 * Check @p code for the account: a 6-digit TOTP code (±1 step, never the
 * same step twice: the accepted step is stored) or an unused recovery code
 * (marked used; audited as mfa.recovery_code.used and announced in the
 * inbox). *ok tells; the caller counts failures and audits the step.
 *
 * @return SV_OK (then see *ok); SV_E_TOTP_NOT_ENROLLED when the account has
 *         no confirmed authenticator; database and crypto errors.
 */
SV_MUST_CHECK enum sv_err sv_totp_check_tx(struct sv_dbc *c,
                                           const char *tenant_id,
                                           const char *account_id,
                                           const char *code, bool *ok);

/** A pending enrolment, as shown to the user once. */
struct sv_totp_enrolment {
    char secret_b32[SV_TOTP_B32_MAX + 1];
    /* otpauth:// URI (holds the secret). malloc'd; sv_totp_enrolment_fini()
     * wipes and frees it. */
    char *uri;
};

/** Wipe @p e and free its URI. Safe on a zeroed struct. */
void sv_totp_enrolment_fini(struct sv_totp_enrolment *e);

/**
 * POST /me/totp: a new secret for the session's account, pending until
 * confirmed; it replaces an unconfirmed one. Issuer "Salesvault", label
 * "USERNAME@TENANTSLUG".
 *
 * @param[out] out  Caller finishes with sv_totp_enrolment_fini() (also on
 *                  failure).
 * @return SV_OK; SV_E_TOTP_ALREADY_ENROLLED when a confirmed authenticator
 *         exists (remove it first); database and crypto errors.
 */
SV_MUST_CHECK enum sv_err sv_totp_enrol_start(struct sv_app *app,
                                              const struct sv_session *s,
                                              const struct sv_actor *actor,
                                              struct sv_totp_enrolment *out);

/**
 * POST /me/totp/confirm: the first valid code confirms the pending secret.
 * Makes SV_RECOVERY_CODES new recovery codes (older ones are deleted),
 * lifts sessions.mfa_pending for the account's sessions, audits
 * mfa.totp.enrol (failures too) and posts an inbox notice.
 *
 * @param[out] codes  The recovery codes in clear, to show once. The caller
 *                    wipes them.
 * @return SV_OK; SV_E_TOTP_NOT_ENROLLED (no pending enrolment);
 *         SV_E_CODE_INVALID (wrong code; audited); database errors.
 */
SV_MUST_CHECK enum sv_err
sv_totp_enrol_confirm(struct sv_app *app, const struct sv_session *s,
                      const struct sv_actor *actor, const char *code,
                      char codes[SV_RECOVERY_CODES][SV_RECOVERY_CODE_LEN + 1]);

/**
 * DELETE /me/totp: remove the authenticator and its recovery codes. A
 * confirmed one needs a current @p code (TOTP or recovery code); a pending
 * one is simply dropped. Audited as mfa.totp.remove; inbox notice.
 *
 * @return SV_OK; SV_E_TOTP_NOT_ENROLLED (nothing to remove);
 *         SV_E_CODE_INVALID (wrong code; audited); database errors.
 */
SV_MUST_CHECK enum sv_err sv_totp_remove(struct sv_app *app,
                                         const struct sv_session *s,
                                         const struct sv_actor *actor,
                                         const char *code);

/* ---- phone ---- */

/** Whether the account has a bound phone (nothing decrypted). */
SV_MUST_CHECK enum sv_err sv_phone_bound_tx(struct sv_dbc *c,
                                            const char *tenant_id,
                                            const char *account_id, bool *out);

/** The account's bound phone (decrypted) into @p out; *has false if none.
 *  SV_E_NOT_FOUND when the account is not in @p tenant_id. */
SV_MUST_CHECK enum sv_err
sv_phone_get_tx(struct sv_dbc *c, const char *tenant_id, const char *account_id,
                char out[SV_PHONE_MAX + 1], bool *has);

/**
 * Bind @p phone (checked with sv_check_phone()) to the account, or clear
 * it with NULL. Audited as user.update naming the field, never the number;
 * the account gets an inbox notice.
 *
 * @return SV_OK; SV_E_NOT_FOUND (no such account in @p tenant_id, DIR-1);
 *         SV_E_FIELD_INVALID (bad number: the caller names "phone").
 */
SV_MUST_CHECK enum sv_err
sv_phone_set_tx(struct sv_dbc *c, const char *tenant_id, const char *account_id,
                const char *phone, const struct sv_actor *actor);
/** sv_phone_set_tx() in its own transaction (PATCH /users/{id}). */
SV_MUST_CHECK enum sv_err
sv_phone_set(struct sv_app *app, const char *tenant_id, const char *account_id,
             const char *phone, const struct sv_actor *actor);

/**
 * sv_account_create() with a bound phone, in one transaction (POST /users
 * with "phone"). @p phone must pass sv_check_phone().
 */
SV_MUST_CHECK enum sv_err sv_account_create_with_phone(
    struct sv_app *app, const char *tenant_id, const char *username,
    enum sv_role role, const char *email, const char *phone, const char *hash,
    const struct sv_actor *actor, struct sv_account *out);

/* ---- the admin's list of users (GET /users) ---- */

/** One account as the admin screen shows it; borrowed for the callback. */
struct sv_user_view {
    const struct sv_account *a;
    bool totp;                           /* a confirmed authenticator */
    bool has_phone;                      /* phone_masked is set */
    char phone_masked[SV_PHONE_MAX + 1]; /* "+86*******5678" */
    int64_t locked_until; /* AUTH-4: the name's lock (risk/); 0: none */
};

typedef void (*sv_user_row_fn)(void *cls, const struct sv_user_view *u);

/**
 * One page of tenant @p tenant_id's accounts (sv_account_list(): @p q,
 * @p after_id, @p limit), each with its second factors and its lock, in
 * one read transaction. @p start(cls) runs before the rows of each
 * attempt. Composed here, above identity/ (accounts) and risk/ (locks),
 * beside the factors it reads.
 */
SV_MUST_CHECK enum sv_err
sv_users_page(struct sv_app *app, const char *tenant_id,
              const char *tenant_slug, const char *q, const char *after_id,
              int limit, void (*start)(void *cls), sv_user_row_fn row,
              void *cls, bool *more);

/**
 * Account @p id of tenant @p tenant_id as sv_users_page() shows it: @p row
 * is called once. SV_E_NOT_FOUND when the tenant has no such account.
 */
SV_MUST_CHECK enum sv_err sv_user_get(struct sv_app *app, const char *tenant_id,
                                      const char *tenant_slug, const char *id,
                                      sv_user_row_fn row, void *cls);

#endif
