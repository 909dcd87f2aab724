/*
 * API tokens (issue 11, part 7): a tenant's credentials for machines, today
 * for provisioning over SCIM 2.0 (scope "scim"). A tenant admin with
 * access.manage makes one (audited as api_token.create, PRIVILEGE_CHANGE);
 * the token text ("svt_" and 256 random bits, base64url) is shown once and
 * only its SHA-256 is kept. A token acts for the account that made it,
 * within that account's permissions at the time of each request (its
 * grants are loaded as a session's are): a maker who loses a role takes
 * the token's power with it; a maker offboarded revokes it (the
 * offboarding hook); a disabled maker's tokens are refused. Events of a
 * token's requests name the maker's account and "token:<name>".
 *
 * A token is refused (401, as an unknown one) when malformed, unknown,
 * revoked, expired, of another scope, or when its maker is disabled.
 * last_used_at is written at most once a minute.
 */
#ifndef SV_APITOKEN_APITOKEN_H
#define SV_APITOKEN_APITOKEN_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "core/errors.h"
#include "crypto/token.h"
#include "identity/identity.h"

struct sv_actor;
struct sv_app;
struct sv_db;
struct sv_dbc;

/** A name: 1-64 characters, no control characters, unique per tenant. */
#define SV_API_TOKEN_NAME_MAX 64
/** Live tokens per tenant at most. */
#define SV_API_TOKENS_MAX 50
/** Lifetime in days at most (0: no expiry). */
#define SV_API_TOKEN_DAYS_MAX 3650

struct sv_api_token {
    char id[37];
    char name[SV_API_TOKEN_NAME_MAX * 4 + 1];
    char scope[8];
    char created_by[37];
    char created_by_name[SV_USERNAME_MAX + 1];
    int64_t created_at, expires_at, last_used_at, revoked_at; /* 0: none */
};

bool sv_check_api_token_name(const char *s, size_t len);

/**
 * Make a token named @p name for @p scope ("scim"), valid @p days (0: no
 * expiry), made by @p actor. @p secret gets its text: shown once, then
 * wiped by the caller.
 * @return SV_OK; SV_E_FIELD_INVALID ("name", "scope", "expires_in_days");
 *         SV_E_EXISTS ("name"); SV_E_CONFLICT (SV_API_TOKENS_MAX live);
 *         database errors.
 */
SV_MUST_CHECK enum sv_err
sv_api_token_create(struct sv_db *db, const char *tenant_id, const char *name,
                    const char *scope, int64_t days,
                    const struct sv_actor *actor, struct sv_api_token *out,
                    char secret[SV_TOKEN_LEN + 1], const char **field);

/** Revoke token @p id, audited as api_token.revoke. SV_E_NOT_FOUND (also
 *  when already revoked). */
SV_MUST_CHECK enum sv_err sv_api_token_revoke(struct sv_db *db,
                                              const char *tenant_id,
                                              const char *id,
                                              const struct sv_actor *actor);

typedef void (*sv_api_token_row_fn)(void *cls, const struct sv_api_token *t);
/** The tenant's tokens, newest first, revoked ones too (at most 200). */
SV_MUST_CHECK enum sv_err sv_api_token_list(struct sv_db *db,
                                            const char *tenant_id,
                                            void (*start)(void *),
                                            sv_api_token_row_fn row, void *cls);

/**
 * The router's question: presented @p token for @p scope. @p out gets a
 * session-shaped principal: the token's id as the session id, its tenant,
 * the maker's account, "token:<name>" as the username.
 * SV_E_UNAUTHENTICATED as the header says.
 */
SV_MUST_CHECK enum sv_err sv_api_token_resolve(struct sv_app *app,
                                               const char *token,
                                               const char *scope,
                                               struct sv_session *out);

/** For the offboarding (people/offboard.c's hook): inside its
 *  transaction, revoke every live token @p account_id made, audited by
 *  @p actor. Adds {"revoked": n} to @p report. */
SV_MUST_CHECK enum sv_err sv_api_token_offboard_tx(struct sv_dbc *c,
                                                   const char *tenant_id,
                                                   const char *account_id,
                                                   const struct sv_actor *actor,
                                                   json_t *report);

#endif
