/* The SQL of reset codes: see recovery_store.h. */
#include "recovery/recovery_store.h"

#include <stdio.h>
#include <string.h>

SV_SQL(Q_RESET_INSERT, "recovery_reset_insert",
       "INSERT INTO reset_codes (tenant_id, id, account_id, code_hash, "
       "attempts, created_at, expires_at) VALUES ($1, $2, $3, $4, 0, $5, $6)",
       0);
/* Codes of the account older than a day: nothing counts them any more. */
SV_SQL(Q_RESET_PRUNE, "recovery_reset_prune",
       "DELETE FROM reset_codes WHERE tenant_id = $1 AND account_id = $2 "
       "AND created_at < $3",
       0);
SV_SQL(Q_RESET_SWEEP, "recovery_reset_sweep",
       "DELETE FROM reset_codes WHERE tenant_id = $1 AND created_at < $2", 0);
SV_SQL(Q_RESET_COUNT, "recovery_reset_count",
       "SELECT COUNT(*) FROM reset_codes "
       "WHERE tenant_id = $1 AND account_id = $2 AND created_at >= $3",
       0);
SV_SQL(Q_RESET_VOID, "recovery_reset_void",
       "UPDATE reset_codes SET expires_at = $3 "
       "WHERE tenant_id = $1 AND account_id = $2 AND used_at IS NULL "
       "AND expires_at > $3",
       0);
SV_SQL(Q_RESET_FIND, "recovery_reset_find",
       "SELECT id, code_hash, attempts FROM reset_codes "
       "WHERE tenant_id = $1 AND account_id = $2 AND used_at IS NULL "
       "AND expires_at > $3 ORDER BY created_at DESC, id DESC LIMIT 1",
       0);
SV_SQL(Q_RESET_FAIL, "recovery_reset_fail",
       "UPDATE reset_codes SET attempts = attempts + 1, "
       "expires_at = CASE WHEN attempts + 1 >= $4 THEN $3 "
       "ELSE expires_at END "
       "WHERE tenant_id = $1 AND id = $2",
       0);
SV_SQL(Q_RESET_USE, "recovery_reset_use",
       "UPDATE reset_codes SET used_at = $3 "
       "WHERE tenant_id = $1 AND id = $2 AND used_at IS NULL "
       "AND expires_at > $3",
       0);

/* ---- reset codes ---- */

enum sv_qs
recovery_store_prune(struct sv_dbc *c, const char *tenant_id,
                     const char *account_id, int64_t before)
{
    return sv_db_exec_tti(c, &Q_RESET_PRUNE, tenant_id, account_id, before);
}

enum sv_qs
recovery_store_sweep(struct sv_dbc *c, const char *tenant_id, int64_t before)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_RESET_SWEEP);

    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_int(st, 2, before);
    return sv_stmt_exec(st);
}

enum sv_qs
recovery_store_insert(struct sv_dbc *c, const char *tenant_id, const char *id,
                      const char *account_id,
                      const uint8_t hash[RECOVERY_HASH_LEN], int64_t now,
                      int64_t expires_at)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_RESET_INSERT, tenant_id, id);
    sv_stmt_text(st, 3, account_id);
    sv_stmt_blob(st, 4, hash, RECOVERY_HASH_LEN);
    sv_stmt_int(st, 5, now);
    sv_stmt_int(st, 6, expires_at);
    return sv_stmt_exec(st);
}

enum sv_qs
recovery_store_count_since(struct sv_dbc *c, const char *tenant_id,
                           const char *account_id, int64_t since, int64_t *n)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_RESET_COUNT, tenant_id, account_id);
    enum sv_qs qs;

    sv_stmt_int(st, 3, since);
    qs = sv_stmt_step(st);
    if (qs == SV_QS_ONE)
        *n = sv_stmt_col_int(st, 0);
    return qs;
}

enum sv_qs
recovery_store_void(struct sv_dbc *c, const char *tenant_id,
                    const char *account_id, int64_t now)
{
    return sv_db_exec_tti(c, &Q_RESET_VOID, tenant_id, account_id, now);
}

enum sv_qs
recovery_store_find(struct sv_dbc *c, const char *tenant_id,
                    const char *account_id, int64_t now, struct reset_row *r)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_RESET_FIND, tenant_id, account_id);
    const void *p;
    size_t n = 0;
    enum sv_qs qs;

    sv_stmt_int(st, 3, now);
    qs = sv_stmt_step(st);
    if (qs != SV_QS_ONE)
        return qs;
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", sv_stmt_col_text(st, 0));
    p = sv_stmt_col_blob(st, 1, &n);
    if (p == NULL || n != RECOVERY_HASH_LEN)
        return SV_QS_HARD;
    memcpy(r->hash, p, n);
    r->attempts = sv_stmt_col_int(st, 2);
    return SV_QS_ONE;
}

enum sv_qs
recovery_store_fail(struct sv_dbc *c, const char *tenant_id, const char *id,
                    int64_t now, int64_t max)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_RESET_FAIL, tenant_id, id);
    sv_stmt_int(st, 3, now);
    sv_stmt_int(st, 4, max);
    return sv_stmt_exec(st);
}

enum sv_qs
recovery_store_use(struct sv_dbc *c, const char *tenant_id, const char *id,
                   int64_t now)
{
    return sv_db_exec_tti(c, &Q_RESET_USE, tenant_id, id, now);
}
