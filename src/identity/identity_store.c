#include "identity/identity_store.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"

const struct sv_field_desc identity_store_email_field = {
    .table = "accounts",
    .column = "email",
    .blind_index = "accounts.email",
    .normalise = sv_field_norm_lower,
    .max_len = SV_EMAIL_MAX,
};

/* Re-sealed after a key rotation (directory/field.h). */
SV_SQL(Q_EMAIL_PAGE, "account_email_sealed_page",
       "SELECT id, email_enc FROM accounts WHERE tenant_id = $1 "
       "AND id > $2 AND email_enc IS NOT NULL ORDER BY id LIMIT $3",
       0);
SV_SQL(Q_EMAIL_RESEAL, "account_email_reseal",
       "UPDATE accounts SET email_enc = $3 WHERE tenant_id = $1 "
       "AND id = $2 AND email_enc = $4",
       0);
SV_SQL(Q_EMAIL_COUNT, "account_email_sealed_count",
       "SELECT count(*) FROM accounts WHERE tenant_id = $1 "
       "AND email_enc IS NOT NULL",
       0);
SV_SEALED_COLUMN(email_column, &identity_store_email_field, &Q_EMAIL_PAGE,
                 &Q_EMAIL_RESEAL, &Q_EMAIL_COUNT);

/* The role column is the account's built-in role over the tenant, read
 * from its assignments (access/: tenant_admin, auditor; member without). */
#define ACOLS                                                                  \
    "id, tenant_id, username, COALESCE((SELECT MIN(CASE ra.role "              \
    "WHEN 'tenant_admin' THEN 'admin' ELSE 'auditor' END) "                    \
    "FROM role_assignments ra WHERE ra.tenant_id = accounts.tenant_id "        \
    "AND ra.subject_kind = 'account' AND ra.subject_id = accounts.id "         \
    "AND ra.scope_kind = 'tenant' "                                            \
    "AND ra.role IN ('tenant_admin', 'auditor')), 'member'), "                 \
    "email_enc, password_hash, must_change_password, created_at, disabled_at"

SV_SQL(Q_INSERT_ACCOUNT, "account_insert",
       "INSERT INTO accounts (tenant_id, id, username, email_enc, "
       "email_bidx, password_hash, must_change_password, created_at) "
       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
       "ON CONFLICT (tenant_id, username) DO NOTHING",
       0);
SV_SQL(Q_EACH_ACCOUNT, "account_each",
       "SELECT id, username FROM accounts WHERE tenant_id = $1", 0);
SV_SQL(Q_FIND_ACCOUNT, "account_find",
       "SELECT " ACOLS " FROM accounts WHERE tenant_id = $1 AND id = $2", 0);
SV_SQL(Q_FIND_BY_USERNAME, "account_find_by_username",
       "SELECT " ACOLS " FROM accounts WHERE tenant_id = $1 AND username = $2",
       0);
SV_SQL(Q_LIST_ACCOUNTS, "account_list",
       "SELECT " ACOLS " FROM accounts WHERE tenant_id = $1 "
       "AND id > $2 ORDER BY id LIMIT $3",
       0);
/* GET /users?q=: a username prefix ($4: a LIKE pattern, its wildcards
 * escaped) or an e-mail address, exactly (sealed: $5 its blind index). */
SV_SQL(Q_SEARCH_ACCOUNTS, "account_search",
       "SELECT " ACOLS " FROM accounts WHERE tenant_id = $1 "
       "AND id > $2 AND (username LIKE $4 ESCAPE '\\' OR email_bidx = $5) "
       "ORDER BY id LIMIT $3",
       0);
/* A password change or reset closes the account's logins in progress
 * (challenges: a platform table, keyed by the account). */
SV_SQL(Q_CLOSE_LOGINS, "account_close_logins",
       "UPDATE challenges SET stage = 'closed' WHERE account_id = $1 "
       "AND stage NOT IN ('done', 'closed')",
       SV_SQL_PLATFORM);
/* AUTH-6: a password that fails today's rules must be changed. */
SV_SQL(Q_FLAG_CHANGE, "account_flag_change",
       "UPDATE accounts SET must_change_password = 1 "
       "WHERE tenant_id = $1 AND id = $2",
       0);
SV_SQL(Q_SET_PASSWORD, "account_set_password",
       "UPDATE accounts SET password_hash = $3, must_change_password = $4, "
       "password_changed_at = $5 WHERE tenant_id = $1 AND id = $2",
       0);
/*
 * Compare-and-set on the hash that was verified: a reset or change that
 * committed while the password was being checked makes these match nothing
 * (and on PostgreSQL the row stays locked until this transaction ends).
 */
SV_SQL(Q_SWAP_HASH, "account_swap_hash",
       "UPDATE accounts SET password_hash = $4 "
       "WHERE tenant_id = $1 AND id = $2 AND password_hash = $3",
       0);
SV_SQL(Q_CHANGE_PASSWORD, "account_change_password",
       "UPDATE accounts SET password_hash = $4, must_change_password = 0, "
       "password_changed_at = $5 "
       "WHERE tenant_id = $1 AND id = $2 AND password_hash = $3",
       0);
/* DIR-6: a disabled account. */
SV_SQL(Q_DISABLE, "account_disable",
       "UPDATE accounts SET disabled_at = $3 WHERE tenant_id = $1 AND id = $2 "
       "AND disabled_at IS NULL",
       0);
SV_SQL(Q_ENABLE, "account_enable",
       "UPDATE accounts SET disabled_at = NULL WHERE tenant_id = $1 "
       "AND id = $2 AND disabled_at IS NOT NULL",
       0);
SV_SQL(Q_SESSION_ALIVE, "session_alive",
       "SELECT 1 FROM sessions WHERE tenant_id = $1 AND id = $2 "
       "AND revoked_at IS NULL",
       0);

SV_SQL(Q_INSERT_SESSION, "session_insert",
       "INSERT INTO sessions (tenant_id, id, account_id, token_hash, "
       "created_at, last_seen_at, expires_at, ip, user_agent, device_id, "
       "mfa_pending) VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10)",
       0);
/* Looked up by the token's hash before any tenant is known. DIR-6: a
 * disabled account's sessions stop at once (revoked too, as a second
 * wall), at no extra query. */
SV_SQL(Q_RESOLVE_SESSION, "session_resolve",
       "SELECT s.id, s.tenant_id, t.slug, s.account_id, a.username, NULL, "
       "a.must_change_password, s.last_seen_at, s.expires_at, t.name, "
       "a.created_at, a.email_enc, s.mfa_pending, d.id, d.kind, d.client_id, "
       "d.public_key, d.state "
       "FROM sessions s "
       "JOIN accounts a ON a.id = s.account_id AND a.tenant_id = s.tenant_id "
       "JOIN tenants t ON t.id = s.tenant_id "
       "LEFT JOIN devices d ON d.id = s.device_id "
       "AND d.tenant_id = s.tenant_id "
       "WHERE s.token_hash = $1 AND s.revoked_at IS NULL "
       "AND s.expires_at > $2 AND s.last_seen_at + $3 > $2 "
       "AND a.disabled_at IS NULL",
       SV_SQL_PLATFORM);
SV_SQL(Q_TOUCH_SESSION, "session_touch",
       "UPDATE sessions SET last_seen_at = $3 WHERE tenant_id = $1 AND id = $2",
       0);
SV_SQL(Q_REVOKE_SESSION, "session_revoke",
       "UPDATE sessions SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 "
       "AND revoked_at IS NULL",
       0);
/* The account's live sessions, newest first (bounded: a page is enough). */
SV_SQL(Q_LIST_SESSIONS, "session_list",
       "SELECT id, created_at, last_seen_at, expires_at, ip, user_agent, "
       "device_id FROM sessions WHERE tenant_id = $1 AND account_id = $2 "
       "AND revoked_at IS NULL AND expires_at > $3 AND last_seen_at + $4 > $3 "
       "ORDER BY created_at DESC, id DESC LIMIT 200",
       0);
/* Sessions ended (expired or revoked) before $2: no request finds them
 * any more (the audit log keeps their story). */
SV_SQL(Q_SWEEP_SESSIONS, "session_sweep",
       "DELETE FROM sessions WHERE tenant_id = $1 "
       "AND (expires_at < $2 OR revoked_at < $2)",
       0);
SV_SQL(Q_REVOKE_OWN_SESSION, "session_revoke_own",
       "UPDATE sessions SET revoked_at = $4 WHERE tenant_id = $1 "
       "AND account_id = $2 AND id = $3 AND revoked_at IS NULL",
       0);
SV_SQL(Q_REVOKE_ACCOUNT_SESSIONS, "session_revoke_account",
       "UPDATE sessions SET revoked_at = $4 WHERE tenant_id = $1 "
       "AND account_id = $2 AND revoked_at IS NULL "
       "AND (CAST($3 AS TEXT) IS NULL OR id <> $3)",
       0);

enum sv_qs
identity_store_insert_account(struct sv_dbc *c, const struct account_row *r,
                              const uint8_t *email_bidx)
{
    struct sv_stmt *st =
        sv_db_stmt2(c, &Q_INSERT_ACCOUNT, r->a.tenant_id, r->a.id);
    sv_stmt_text(st, 3, r->a.username);
    sv_stmt_blob(st, 4, r->email_enc_len ? r->email_enc : NULL,
                 r->email_enc_len);
    sv_stmt_blob(st, 5, email_bidx, email_bidx ? SV_BLIND_INDEX_LEN : 0);
    sv_stmt_text(st, 6, r->hash);
    sv_stmt_int(st, 7, r->a.must_change_password);
    sv_stmt_int(st, 8, r->a.created_at);
    return sv_stmt_exec(st);
}

enum sv_qs
identity_store_each_account(struct sv_dbc *c, const char *tenant_id,
                            sv_account_each_fn fn, void *cls)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_EACH_ACCOUNT);
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        fn(cls, sv_stmt_col_text(st, 0), sv_stmt_col_text(st, 1));
    return qs;
}

static void
read_account(struct sv_stmt *st, struct account_row *r)
{
    const void *p;
    size_t n;

    memset(r, 0, sizeof *r);
    snprintf(r->a.id, sizeof r->a.id, "%s", sv_stmt_col_text(st, 0));
    snprintf(r->a.tenant_id, sizeof r->a.tenant_id, "%s",
             sv_stmt_col_text(st, 1));
    snprintf(r->a.username, sizeof r->a.username, "%s",
             sv_stmt_col_text(st, 2));
    if (!sv_role_parse(sv_stmt_col_text(st, 3), &r->a.role))
        r->a.role = SV_ROLE_MEMBER;
    p = sv_stmt_col_blob(st, 4, &n);
    if (p != NULL && n <= sizeof r->email_enc) {
        memcpy(r->email_enc, p, n);
        r->email_enc_len = n;
    }
    snprintf(r->hash, sizeof r->hash, "%s", sv_stmt_col_text(st, 5));
    r->a.must_change_password = sv_stmt_col_int(st, 6) != 0;
    r->a.created_at = sv_stmt_col_int(st, 7);
    r->a.disabled = !sv_stmt_col_null(st, 8);
}

static enum sv_qs
find2(struct sv_dbc *c, const struct sv_sql *q, const char *tenant_id,
      const char *arg, struct account_row *r)
{
    struct sv_stmt *st = sv_db_stmt(c, q);
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_text(st, 2, arg);
    qs = sv_stmt_step(st);
    if (qs == SV_QS_ONE)
        read_account(st, r);
    return qs;
}

enum sv_qs
identity_store_find_account(struct sv_dbc *c, const char *tenant_id,
                            const char *id, struct account_row *r)
{
    return find2(c, &Q_FIND_ACCOUNT, tenant_id, id, r);
}

enum sv_qs
identity_store_find_account_by_username(struct sv_dbc *c, const char *tenant_id,
                                        const char *username,
                                        struct account_row *r)
{
    return find2(c, &Q_FIND_BY_USERNAME, tenant_id, username, r);
}

enum sv_qs
identity_store_list_accounts(struct sv_dbc *c, const char *tenant_id,
                             const char *after_id, int limit, const char *like,
                             const uint8_t *email_bidx, account_row_fn row,
                             void *cls)
{
    struct sv_stmt *st =
        sv_db_stmt(c, like != NULL ? &Q_SEARCH_ACCOUNTS : &Q_LIST_ACCOUNTS);
    struct account_row r;
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_text(st, 2, after_id != NULL ? after_id : "");
    sv_stmt_int(st, 3, limit);
    if (like != NULL) {
        sv_stmt_text(st, 4, like);
        if (email_bidx != NULL)
            sv_stmt_blob(st, 5, email_bidx, SV_BLIND_INDEX_LEN);
        else
            sv_stmt_null(st, 5);
    }
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        read_account(st, &r);
        row(cls, &r);
    }
    return qs;
}

enum sv_qs
identity_store_set_password(struct sv_dbc *c, const char *tenant_id,
                            const char *id, const char *hash, bool must_change,
                            int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_SET_PASSWORD, tenant_id, id);
    sv_stmt_text(st, 3, hash);
    sv_stmt_int(st, 4, must_change);
    sv_stmt_int(st, 5, now);
    return sv_stmt_exec(st);
}

enum sv_qs
identity_store_swap_hash(struct sv_dbc *c, const char *tenant_id,
                         const char *id, const char *old_hash,
                         const char *new_hash)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_SWAP_HASH, tenant_id, id);
    sv_stmt_text(st, 3, old_hash);
    sv_stmt_text(st, 4, new_hash);
    return sv_stmt_exec(st);
}

enum sv_qs
identity_store_change_password(struct sv_dbc *c, const char *tenant_id,
                               const char *id, const char *old_hash,
                               const char *new_hash, int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_CHANGE_PASSWORD, tenant_id, id);
    sv_stmt_text(st, 3, old_hash);
    sv_stmt_text(st, 4, new_hash);
    sv_stmt_int(st, 5, now);
    return sv_stmt_exec(st);
}

enum sv_qs
identity_store_set_disabled(struct sv_dbc *c, const char *tenant_id,
                            const char *id, bool disabled, int64_t now)
{
    struct sv_stmt *st =
        sv_db_stmt2(c, disabled ? &Q_DISABLE : &Q_ENABLE, tenant_id, id);
    if (disabled)
        sv_stmt_int(st, 3, now);
    return sv_stmt_exec(st);
}

enum sv_qs
identity_store_session_alive(struct sv_dbc *c, const char *tenant_id,
                             const char *id)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_SESSION_ALIVE, tenant_id, id);
    return sv_stmt_step(st);
}

enum sv_qs
identity_store_insert_session(struct sv_dbc *c, const char *tenant_id,
                              const char *id, const char *account_id,
                              const uint8_t *token_hash, int64_t now,
                              int64_t expires_at, const char *ip,
                              const char *ua, const char *device_id,
                              bool mfa_pending)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_INSERT_SESSION, tenant_id, id);
    sv_stmt_text(st, 3, account_id);
    sv_stmt_blob(st, 4, token_hash, SV_TOKEN_HASH_LEN);
    sv_stmt_int(st, 5, now);
    sv_stmt_int(st, 6, expires_at);
    sv_stmt_text(st, 7, ip);
    sv_stmt_text(st, 8, ua);
    sv_stmt_text(st, 9, device_id);
    sv_stmt_int(st, 10, mfa_pending);
    return sv_stmt_exec(st);
}

enum sv_qs
identity_store_resolve_session(struct sv_dbc *c, const uint8_t *token_hash,
                               int64_t now, int64_t idle_ms,
                               struct sv_session *out)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_RESOLVE_SESSION);
    enum sv_qs qs;

    sv_stmt_blob(st, 1, token_hash, SV_TOKEN_HASH_LEN);
    sv_stmt_int(st, 2, now);
    sv_stmt_int(st, 3, idle_ms);
    qs = sv_stmt_step(st);
    if (qs != SV_QS_ONE)
        return qs;
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", sv_stmt_col_text(st, 0));
    snprintf(out->tenant_id, sizeof out->tenant_id, "%s",
             sv_stmt_col_text(st, 1));
    snprintf(out->tenant_slug, sizeof out->tenant_slug, "%s",
             sv_stmt_col_text(st, 2));
    snprintf(out->account_id, sizeof out->account_id, "%s",
             sv_stmt_col_text(st, 3));
    snprintf(out->username, sizeof out->username, "%s",
             sv_stmt_col_text(st, 4));
    out->must_change_password = sv_stmt_col_int(st, 6) != 0;
    out->last_seen_at = sv_stmt_col_int(st, 7);
    out->expires_at = sv_stmt_col_int(st, 8);
    snprintf(out->tenant_name, sizeof out->tenant_name, "%s",
             sv_stmt_col_text(st, 9));
    out->account_created_at = sv_stmt_col_int(st, 10);
    const void *p = sv_stmt_col_blob(st, 11, &out->email_enc_len);
    if (p == NULL || out->email_enc_len > sizeof out->email_enc)
        out->email_enc_len = 0;
    else
        memcpy(out->email_enc, p, out->email_enc_len);
    out->mfa_pending = sv_stmt_col_int(st, 12) != 0;
    if (!sv_stmt_col_null(st, 13)) {
        size_t n = 0;
        snprintf(out->device_id, sizeof out->device_id, "%s",
                 sv_stmt_col_text(st, 13));
        snprintf(out->device_kind, sizeof out->device_kind, "%s",
                 sv_stmt_col_text(st, 14));
        snprintf(out->device_client, sizeof out->device_client, "%s",
                 sv_stmt_col_text(st, 15));
        p = sv_stmt_col_blob(st, 16, &n);
        if (p != NULL && n == sizeof out->device_pk) {
            memcpy(out->device_pk, p, n);
            out->has_device_pk = true;
        }
        /* A revoked device's sessions are revoked with it; this is the
         * second wall. */
        if (strcmp(sv_stmt_col_text(st, 17), "revoked") == 0)
            return SV_QS_NONE;
    }
    return SV_QS_ONE;
}

enum sv_qs
identity_store_touch_session(struct sv_dbc *c, const char *tenant_id,
                             const char *id, int64_t now)
{
    return sv_db_exec_tti(c, &Q_TOUCH_SESSION, tenant_id, id, now);
}

enum sv_qs
identity_store_revoke_session(struct sv_dbc *c, const char *tenant_id,
                              const char *id, int64_t now)
{
    return sv_db_exec_tti(c, &Q_REVOKE_SESSION, tenant_id, id, now);
}

enum sv_qs
identity_store_sweep_sessions(struct sv_dbc *c, const char *tenant_id,
                              int64_t before)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_SWEEP_SESSIONS);

    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_int(st, 2, before);
    return sv_stmt_exec(st);
}

enum sv_qs
identity_store_revoke_account_sessions(struct sv_dbc *c, const char *tenant_id,
                                       const char *account_id,
                                       const char *except_id, int64_t now)
{
    int64_t n;
    return identity_store_revoke_other_sessions(c, tenant_id, account_id,
                                                except_id, now, &n);
}

enum sv_qs
identity_store_flag_change(struct sv_dbc *c, const char *tenant_id,
                           const char *id)
{
    return sv_stmt_exec(sv_db_stmt2(c, &Q_FLAG_CHANGE, tenant_id, id));
}

enum sv_qs
identity_store_close_logins(struct sv_dbc *c, const char *account_id)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_CLOSE_LOGINS);
    sv_stmt_text(st, 1, account_id);
    return sv_stmt_exec(st);
}

enum sv_qs
identity_store_list_sessions(struct sv_dbc *c, const char *tenant_id,
                             const char *account_id, int64_t now,
                             int64_t idle_ms, sv_session_row_fn row, void *cls)
{
    struct sv_stmt *st =
        sv_db_stmt2(c, &Q_LIST_SESSIONS, tenant_id, account_id);
    enum sv_qs qs;

    sv_stmt_int(st, 3, now);
    sv_stmt_int(st, 4, idle_ms);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        struct sv_session_view v = {
            .id = sv_stmt_col_text(st, 0),
            .created_at = sv_stmt_col_int(st, 1),
            .last_seen_at = sv_stmt_col_int(st, 2),
            .expires_at = sv_stmt_col_int(st, 3),
            .ip = sv_or_null(sv_stmt_col_text(st, 4)),
            .user_agent = sv_or_null(sv_stmt_col_text(st, 5)),
            .device_id = sv_or_null(sv_stmt_col_text(st, 6)),
        };
        row(cls, &v);
    }
    return qs;
}

enum sv_qs
identity_store_revoke_own_session(struct sv_dbc *c, const char *tenant_id,
                                  const char *account_id, const char *id,
                                  int64_t now)
{
    struct sv_stmt *st =
        sv_db_stmt2(c, &Q_REVOKE_OWN_SESSION, tenant_id, account_id);
    sv_stmt_text(st, 3, id);
    sv_stmt_int(st, 4, now);
    return sv_stmt_exec(st);
}

enum sv_qs
identity_store_revoke_other_sessions(struct sv_dbc *c, const char *tenant_id,
                                     const char *account_id,
                                     const char *keep_id, int64_t now,
                                     int64_t *n)
{
    struct sv_stmt *st =
        sv_db_stmt2(c, &Q_REVOKE_ACCOUNT_SESSIONS, tenant_id, account_id);
    enum sv_qs qs;

    sv_stmt_text(st, 3, keep_id);
    sv_stmt_int(st, 4, now);
    qs = sv_stmt_exec(st);
    *n = qs == SV_QS_ONE ? sv_stmt_changes(st) : 0;
    return qs;
}
