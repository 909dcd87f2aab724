#include "mfa/mfa_store.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"

const struct sv_field_desc mfa_store_totp_secret_field = {
    .table = "totp",
    .column = "secret",
    .min_len = SV_TOTP_SECRET_LEN,
    .max_len = SV_TOTP_SECRET_LEN,
};

const struct sv_field_desc mfa_store_phone_field = {
    .table = "accounts",
    .column = "phone",
    .max_len = SV_PHONE_MAX,
};

const struct sv_field_desc mfa_store_recovery_field = {
    .table = "recovery_codes",
    .column = "code_hash",
    .blind_index = "recovery_codes.code_hash",
    .max_len = SV_UUID_LEN + 1 + SV_RECOVERY_CODE_LEN,
};

/* Re-sealed after a key rotation (directory/field.h). */
SV_SQL(Q_TOTP_SECRET_PAGE, "totp_secret_sealed_page",
       "SELECT account_id, secret_enc FROM totp WHERE tenant_id = $1 "
       "AND account_id > $2 AND secret_enc IS NOT NULL ORDER BY account_id "
       "LIMIT $3",
       0);
SV_SQL(Q_TOTP_SECRET_RESEAL, "totp_secret_reseal",
       "UPDATE totp SET secret_enc = $3 WHERE tenant_id = $1 "
       "AND account_id = $2 AND secret_enc = $4",
       0);
SV_SQL(Q_TOTP_SECRET_COUNT, "totp_secret_sealed_count",
       "SELECT count(*) FROM totp WHERE tenant_id = $1 "
       "AND secret_enc IS NOT NULL",
       0);
SV_SEALED_COLUMN(totp_secret_column, &mfa_store_totp_secret_field,
                 &Q_TOTP_SECRET_PAGE, &Q_TOTP_SECRET_RESEAL,
                 &Q_TOTP_SECRET_COUNT);

/* Re-sealed after a key rotation (directory/field.h). */
SV_SQL(Q_PHONE_PAGE, "account_phone_sealed_page",
       "SELECT id, phone_enc FROM accounts WHERE tenant_id = $1 "
       "AND id > $2 AND phone_enc IS NOT NULL ORDER BY id LIMIT $3",
       0);
SV_SQL(Q_PHONE_RESEAL, "account_phone_reseal",
       "UPDATE accounts SET phone_enc = $3 WHERE tenant_id = $1 "
       "AND id = $2 AND phone_enc = $4",
       0);
SV_SQL(Q_PHONE_COUNT, "account_phone_sealed_count",
       "SELECT count(*) FROM accounts WHERE tenant_id = $1 "
       "AND phone_enc IS NOT NULL",
       0);
SV_SEALED_COLUMN(phone_column, &mfa_store_phone_field, &Q_PHONE_PAGE,
                 &Q_PHONE_RESEAL, &Q_PHONE_COUNT);

/* ---- totp ---- */

SV_SQL(Q_TOTP_FIND, "mfa_totp_find",
       "SELECT secret_enc, confirmed, last_step FROM totp "
       "WHERE tenant_id = $1 AND account_id = $2",
       0);
/* A confirmed secret is never overwritten: it must be removed first. */
SV_SQL(Q_TOTP_PUT_PENDING, "mfa_totp_put_pending",
       "INSERT INTO totp (tenant_id, account_id, secret_enc, confirmed, "
       "last_step, created_at) VALUES ($1, $2, $3, 0, 0, $4) "
       "ON CONFLICT (tenant_id, account_id) DO UPDATE SET "
       "secret_enc = excluded.secret_enc, last_step = 0, "
       "created_at = excluded.created_at WHERE totp.confirmed = 0",
       0);
SV_SQL(Q_TOTP_CONFIRM, "mfa_totp_confirm",
       "UPDATE totp SET confirmed = 1, last_step = $3 "
       "WHERE tenant_id = $1 AND account_id = $2 AND confirmed = 0",
       0);
/* Compare-and-set: of two requests with the same code only one wins. */
SV_SQL(Q_TOTP_ADVANCE, "mfa_totp_advance",
       "UPDATE totp SET last_step = $3 "
       "WHERE tenant_id = $1 AND account_id = $2 AND confirmed = 1 "
       "AND last_step < $3",
       0);
SV_SQL(Q_TOTP_DELETE, "mfa_totp_delete",
       "DELETE FROM totp WHERE tenant_id = $1 AND account_id = $2", 0);

/* ---- recovery codes ---- */

SV_SQL(Q_RECOVERY_INSERT, "mfa_recovery_insert",
       "INSERT INTO recovery_codes (tenant_id, account_id, code_hash) "
       "VALUES ($1, $2, $3)",
       0);
SV_SQL(Q_RECOVERY_USE, "mfa_recovery_use",
       "UPDATE recovery_codes SET used_at = $4 "
       "WHERE tenant_id = $1 AND account_id = $2 AND code_hash = $3 "
       "AND used_at IS NULL",
       0);
SV_SQL(Q_RECOVERY_DELETE, "mfa_recovery_delete",
       "DELETE FROM recovery_codes WHERE tenant_id = $1 AND account_id = $2",
       0);

/* ---- sessions, phone ---- */

/* Only the session that enrolled: another one opened with the password
 * alone (perhaps not by the owner) stays restricted. */
SV_SQL(Q_SESSIONS_MFA_DONE, "mfa_sessions_done",
       "UPDATE sessions SET mfa_pending = 0 "
       "WHERE tenant_id = $1 AND account_id = $2 AND id = $3",
       0);
/* AUTH-8: without its authenticator, a require_mfa account's sessions may
 * only enrol a new one. */
SV_SQL(Q_SESSIONS_MFA_AGAIN, "mfa_sessions_again",
       "UPDATE sessions SET mfa_pending = 1 "
       "WHERE tenant_id = $1 AND account_id = $2 AND revoked_at IS NULL "
       "AND (SELECT require_mfa FROM tenants WHERE id = $1) <> 0",
       0);
SV_SQL(Q_PHONE_FIND, "mfa_phone_find",
       "SELECT phone_enc FROM accounts WHERE tenant_id = $1 AND id = $2", 0);
SV_SQL(Q_PHONE_SET, "mfa_phone_set",
       "UPDATE accounts SET phone_enc = $3 WHERE tenant_id = $1 AND id = $2",
       0);

/* ---- totp ---- */

enum sv_qs
mfa_store_totp_find(struct sv_dbc *c, const char *tenant_id,
                    const char *account_id, struct totp_row *r)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_TOTP_FIND, tenant_id, account_id);
    const void *p;
    size_t n = 0;
    enum sv_qs qs;

    qs = sv_stmt_step(st);
    if (qs != SV_QS_ONE)
        return qs;
    memset(r, 0, sizeof *r);
    p = sv_stmt_col_blob(st, 0, &n);
    if (p == NULL || n > sizeof r->secret_enc)
        return SV_QS_HARD; /* not something we wrote */
    memcpy(r->secret_enc, p, n);
    r->secret_enc_len = n;
    r->confirmed = sv_stmt_col_int(st, 1) != 0;
    r->last_step = sv_stmt_col_int(st, 2);
    return SV_QS_ONE;
}

enum sv_qs
mfa_store_totp_put_pending(struct sv_dbc *c, const char *tenant_id,
                           const char *account_id, const uint8_t *secret_enc,
                           size_t len, int64_t now)
{
    struct sv_stmt *st =
        sv_db_stmt2(c, &Q_TOTP_PUT_PENDING, tenant_id, account_id);
    sv_stmt_blob(st, 3, secret_enc, len);
    sv_stmt_int(st, 4, now);
    return sv_stmt_exec(st);
}

enum sv_qs
mfa_store_totp_confirm(struct sv_dbc *c, const char *tenant_id,
                       const char *account_id, int64_t step)
{
    return sv_db_exec_tti(c, &Q_TOTP_CONFIRM, tenant_id, account_id, step);
}

enum sv_qs
mfa_store_totp_advance(struct sv_dbc *c, const char *tenant_id,
                       const char *account_id, int64_t step)
{
    return sv_db_exec_tti(c, &Q_TOTP_ADVANCE, tenant_id, account_id, step);
}

enum sv_qs
mfa_store_totp_delete(struct sv_dbc *c, const char *tenant_id,
                      const char *account_id)
{
    return sv_stmt_exec(sv_db_stmt2(c, &Q_TOTP_DELETE, tenant_id, account_id));
}

/* ---- recovery codes ---- */

enum sv_qs
mfa_store_recovery_insert(struct sv_dbc *c, const char *tenant_id,
                          const char *account_id,
                          const uint8_t hash[MFA_HASH_LEN])
{
    struct sv_stmt *st =
        sv_db_stmt2(c, &Q_RECOVERY_INSERT, tenant_id, account_id);
    sv_stmt_blob(st, 3, hash, MFA_HASH_LEN);
    return sv_stmt_exec(st);
}

enum sv_qs
mfa_store_recovery_use(struct sv_dbc *c, const char *tenant_id,
                       const char *account_id, const uint8_t hash[MFA_HASH_LEN],
                       int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_RECOVERY_USE, tenant_id, account_id);
    sv_stmt_blob(st, 3, hash, MFA_HASH_LEN);
    sv_stmt_int(st, 4, now);
    return sv_stmt_exec(st);
}

enum sv_qs
mfa_store_recovery_delete(struct sv_dbc *c, const char *tenant_id,
                          const char *account_id)
{
    return sv_stmt_exec(
        sv_db_stmt2(c, &Q_RECOVERY_DELETE, tenant_id, account_id));
}

/* ---- sessions, phone ---- */

enum sv_qs
mfa_store_sessions_mfa_done(struct sv_dbc *c, const char *tenant_id,
                            const char *account_id, const char *session_id)
{
    return sv_db_exec_ttt(c, &Q_SESSIONS_MFA_DONE, tenant_id, account_id,
                          session_id);
}

enum sv_qs
mfa_store_sessions_mfa_again(struct sv_dbc *c, const char *tenant_id,
                             const char *account_id)
{
    return sv_stmt_exec(
        sv_db_stmt2(c, &Q_SESSIONS_MFA_AGAIN, tenant_id, account_id));
}

enum sv_qs
mfa_store_phone_find(struct sv_dbc *c, const char *tenant_id,
                     const char *account_id, uint8_t enc[MFA_PHONE_ENC_MAX],
                     size_t *len)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_PHONE_FIND, tenant_id, account_id);
    const void *p;
    size_t n = 0;
    enum sv_qs qs;

    qs = sv_stmt_step(st);
    if (qs != SV_QS_ONE)
        return qs;
    *len = 0;
    if (sv_stmt_col_null(st, 0))
        return SV_QS_ONE;
    p = sv_stmt_col_blob(st, 0, &n);
    if (n > MFA_PHONE_ENC_MAX)
        return SV_QS_HARD;
    if (n > 0)
        memcpy(enc, p, n);
    *len = n;
    return SV_QS_ONE;
}

enum sv_qs
mfa_store_phone_set(struct sv_dbc *c, const char *tenant_id,
                    const char *account_id, const uint8_t *enc, size_t len)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_PHONE_SET, tenant_id, account_id);
    if (enc != NULL)
        sv_stmt_blob(st, 3, enc, len);
    else
        sv_stmt_null(st, 3);
    return sv_stmt_exec(st);
}
