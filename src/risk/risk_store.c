/* risk's SQL and its binding (see risk_store.h). */
#include "risk/risk_store.h"

#include <stdio.h>

/* ---- AUTH-4: decaying failure counters (platform table) ---- */

SV_SQL(Q_COUNTER_READ, "counter_read",
       "SELECT key, score, updated_at, locked_until, hard, pending, "
       "pending_until FROM auth_counters WHERE key IN ($1, $2, $3)",
       SV_SQL_PLATFORM);
#define DECAYED(col)                                                           \
    "CASE WHEN auth_counters." col " - ($2 - auth_counters.updated_at) * "     \
    "1000 / $3 > 0 THEN auth_counters." col " - ($2 - "                        \
    "auth_counters.updated_at) * 1000 / $3 ELSE 0 END"
/*
 * One failure more, after the decay since the last update ($3 ms each);
 * $4 is 1000 when it was a real check (it counts towards the lock), else 0.
 */
SV_SQL(Q_COUNTER_FAIL, "counter_fail",
       "INSERT INTO auth_counters (key, score, hard, updated_at) "
       "VALUES ($1, 1000, $4, $2) ON CONFLICT (key) DO UPDATE SET "
       "score = 1000 + " DECAYED("score") ", hard = $4 + " DECAYED(
           "hard") ", updated_at = $2 "
                   "RETURNING score, hard, locked_until, locks",
       SV_SQL_PLATFORM);
/*
 * AUTH-4: a password check of this name may start only while the failures
 * so far and the checks in flight, all counted as failures, stay under
 * $4 (captcha_after, thousandths). Leases end at $5. No row: wait.
 */
SV_SQL(Q_COUNTER_CLAIM, "counter_claim",
       "INSERT INTO auth_counters (key, score, updated_at, pending, "
       "pending_until) VALUES ($1, 0, $2, 1, $5) "
       "ON CONFLICT (key) DO UPDATE SET pending = CASE WHEN "
       "auth_counters.pending_until <= $2 THEN 1 ELSE "
       "auth_counters.pending + 1 END, pending_until = $5 WHERE " DECAYED(
           "score") " + CASE WHEN auth_counters.pending_until <= $2 "
                    "THEN 0 ELSE auth_counters.pending END * 1000 < $4 "
                    "RETURNING pending",
       SV_SQL_PLATFORM);
SV_SQL(Q_COUNTER_RELEASE, "counter_release",
       "UPDATE auth_counters SET pending = CASE WHEN pending > 0 THEN "
       "pending - 1 ELSE 0 END WHERE key = $1",
       SV_SQL_PLATFORM);
SV_SQL(Q_COUNTER_LOCKS, "counter_locks",
       "SELECT locks FROM auth_counters WHERE key = $1", SV_SQL_PLATFORM);
/* Only if not locked already: of two racing failures, one locks. */
SV_SQL(Q_COUNTER_LOCK, "counter_lock",
       "UPDATE auth_counters SET locked_until = $2, locks = locks + 1 "
       "WHERE key = $1 AND locked_until <= $3",
       SV_SQL_PLATFORM);
/* Rows with nothing left to say: decayed to zero and not locked. */
SV_SQL(Q_COUNTER_PRUNE, "counter_prune",
       "DELETE FROM auth_counters WHERE locked_until < $1 "
       "AND updated_at + score * $2 / 1000 < $1 AND pending_until < $1",
       SV_SQL_PLATFORM);
/* Failures and lock forgotten; checks in flight stay counted. */
SV_SQL(Q_COUNTER_CLEAR, "counter_clear",
       "UPDATE auth_counters SET score = 0, hard = 0, locked_until = 0, "
       "locks = 0 WHERE key = $1",
       SV_SQL_PLATFORM);

/* ---- AUTH-5: stuffing detection and the blacklist ---- */

SV_SQL(Q_FAILURE_ADD, "failure_add",
       "INSERT INTO auth_failures (source, scope, name_key, time_ms) "
       "VALUES ($1, $2, $3, $4)",
       SV_SQL_PLATFORM);
SV_SQL(Q_FAILURE_DISTINCT, "failure_distinct",
       "SELECT COUNT(DISTINCT name_key) FROM auth_failures "
       "WHERE source = $1 AND scope = $2 AND time_ms > $3",
       SV_SQL_PLATFORM);
SV_SQL(Q_FAILURE_PRUNE, "failure_prune",
       "DELETE FROM auth_failures WHERE time_ms < $1", SV_SQL_PLATFORM);
/* Entries of this tenant ($1; NULL for none) and platform-wide ones. */
SV_SQL(Q_BLACKLIST_HIT, "blacklist_hit",
       "SELECT id FROM blacklist WHERE (tenant_id = $1 OR tenant_id IS "
       "NULL) AND kind = $2 AND value = $3 AND lifted_at IS NULL "
       "AND (expires_at IS NULL OR expires_at > $4) LIMIT 1",
       0);
SV_SQL(Q_BLACKLIST_ACTIVE, "blacklist_active",
       "SELECT id FROM blacklist WHERE tenant_id = $1 AND kind = $2 "
       "AND value = $3 AND lifted_at IS NULL "
       "AND (expires_at IS NULL OR expires_at > $4) LIMIT 1",
       0);
SV_SQL(Q_BLACKLIST_ADD, "blacklist_add",
       "INSERT INTO blacklist (tenant_id, id, kind, value, reason, "
       "created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
       0);
SV_SQL(Q_BLACKLIST_LIST, "blacklist_list",
       "SELECT id, kind, value, reason, created_at, expires_at, "
       "tenant_id FROM blacklist WHERE (tenant_id = $1 OR tenant_id "
       "IS NULL) AND lifted_at IS NULL "
       "AND (expires_at IS NULL OR expires_at > $2) ORDER BY id",
       0);
SV_SQL(Q_BLACKLIST_LIFT, "blacklist_lift",
       "UPDATE blacklist SET lifted_at = $3 WHERE tenant_id = $1 "
       "AND id = $2 AND lifted_at IS NULL RETURNING kind, value",
       0);
SV_SQL(Q_BLACKLIST_PLATFORM_ADD, "blacklist_platform_add",
       "INSERT INTO blacklist (tenant_id, id, kind, value, reason, "
       "created_at, expires_at) VALUES (NULL, $1, $2, $3, $4, $5, $6)",
       SV_SQL_PLATFORM);
SV_SQL(Q_BLACKLIST_PLATFORM_LIST, "blacklist_platform_list",
       "SELECT id, kind, value, reason, created_at, expires_at, "
       "tenant_id FROM blacklist WHERE lifted_at IS NULL "
       "AND (expires_at IS NULL OR expires_at > $1) ORDER BY id",
       SV_SQL_PLATFORM);
SV_SQL(Q_BLACKLIST_PLATFORM_LIFT, "blacklist_platform_lift",
       "UPDATE blacklist SET lifted_at = $2 WHERE id = $1 "
       "AND lifted_at IS NULL RETURNING kind, value, tenant_id",
       SV_SQL_PLATFORM);
/* A lifted source starts afresh: its failures no longer count. */
SV_SQL(Q_FAILURE_FORGET, "failure_forget",
       "DELETE FROM auth_failures WHERE source = $1 AND scope = $2",
       SV_SQL_PLATFORM);

/* ---- counters ---- */

/*
 * After a row was read: step past the end, so the statement completes on
 * every engine. SV_QS_ONE stays the answer unless that step fails.
 */
static enum sv_qs
drained(struct sv_stmt *st, enum sv_qs qs)
{
    if (qs == SV_QS_ONE) {
        enum sv_qs more = sv_stmt_step(st);
        if (more < 0)
            return more;
    }
    return qs;
}

enum sv_qs
risk_store_counters_read(struct sv_dbc *c, const uint8_t k1[32],
                         const uint8_t k2[32], const uint8_t k3[32],
                         risk_counter_row_fn row, void *cls)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_COUNTER_READ);
    enum sv_qs qs;

    sv_stmt_blob(st, 1, k1, 32);
    sv_stmt_blob(st, 2, k2, 32);
    sv_stmt_blob(st, 3, k3, 32);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        size_t n = 0;
        const void *k = sv_stmt_col_blob(st, 0, &n);
        if (k == NULL || n != 32)
            continue;
        row(cls, k, sv_stmt_col_int(st, 1), sv_stmt_col_int(st, 2),
            sv_stmt_col_int(st, 3), sv_stmt_col_int(st, 4));
    }
    return qs;
}

enum sv_qs
risk_store_counter_fail(struct sv_dbc *c, const uint8_t key[32], int64_t now,
                        int64_t decay_ms, bool hard, int64_t *out_hard,
                        int64_t *locked_until)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_COUNTER_FAIL);
    enum sv_qs qs;

    sv_stmt_blob(st, 1, key, 32);
    sv_stmt_int(st, 2, now);
    sv_stmt_int(st, 3, decay_ms);
    sv_stmt_int(st, 4, hard ? 1000 : 0);
    qs = sv_stmt_step(st);
    if (qs == SV_QS_ONE) {
        *out_hard = sv_stmt_col_int(st, 1);
        *locked_until = sv_stmt_col_int(st, 2);
    }
    return drained(st, qs);
}

enum sv_qs
risk_store_counter_claim(struct sv_dbc *c, const uint8_t key[32], int64_t now,
                         int64_t decay_ms, int64_t max, int64_t lease_until)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_COUNTER_CLAIM);

    sv_stmt_blob(st, 1, key, 32);
    sv_stmt_int(st, 2, now);
    sv_stmt_int(st, 3, decay_ms);
    sv_stmt_int(st, 4, max);
    sv_stmt_int(st, 5, lease_until);
    return drained(st, sv_stmt_step(st));
}

enum sv_qs
risk_store_counter_release(struct sv_dbc *c, const uint8_t key[32])
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_COUNTER_RELEASE);
    sv_stmt_blob(st, 1, key, 32);
    return sv_stmt_exec(st);
}

enum sv_qs
risk_store_counter_locks(struct sv_dbc *c, const uint8_t key[32],
                         int64_t *locks)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_COUNTER_LOCKS);
    enum sv_qs qs;

    *locks = 0;
    sv_stmt_blob(st, 1, key, 32);
    qs = sv_stmt_step(st);
    if (qs == SV_QS_ONE)
        *locks = sv_stmt_col_int(st, 0);
    return drained(st, qs);
}

enum sv_qs
risk_store_counter_lock(struct sv_dbc *c, const uint8_t key[32], int64_t until,
                        int64_t now)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_COUNTER_LOCK);
    sv_stmt_blob(st, 1, key, 32);
    sv_stmt_int(st, 2, until);
    sv_stmt_int(st, 3, now);
    return sv_stmt_exec(st);
}

enum sv_qs
risk_store_counter_clear(struct sv_dbc *c, const uint8_t key[32])
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_COUNTER_CLEAR);
    sv_stmt_blob(st, 1, key, 32);
    return sv_stmt_exec(st);
}

enum sv_qs
risk_store_counter_prune(struct sv_dbc *c, int64_t now, int64_t decay_ms)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_COUNTER_PRUNE);
    sv_stmt_int(st, 1, now);
    sv_stmt_int(st, 2, decay_ms);
    return sv_stmt_exec(st);
}

/* ---- failures ---- */

enum sv_qs
risk_store_failure_add(struct sv_dbc *c, const char *source, const char *scope,
                       const uint8_t name_key[32], int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_FAILURE_ADD, source, scope);
    sv_stmt_blob(st, 3, name_key, 32);
    sv_stmt_int(st, 4, now);
    return sv_stmt_exec(st);
}

enum sv_qs
risk_store_failure_distinct(struct sv_dbc *c, const char *source,
                            const char *scope, int64_t since, int64_t *distinct)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_FAILURE_DISTINCT);
    enum sv_qs qs;

    sv_stmt_text(st, 1, source);
    sv_stmt_text(st, 2, scope);
    sv_stmt_int(st, 3, since);
    qs = sv_stmt_step(st);
    *distinct = qs == SV_QS_ONE ? sv_stmt_col_int(st, 0) : 0;
    return drained(st, qs);
}

enum sv_qs
risk_store_failure_prune(struct sv_dbc *c, int64_t before)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_FAILURE_PRUNE);
    sv_stmt_int(st, 1, before);
    return sv_stmt_exec(st);
}

enum sv_qs
risk_store_failure_forget(struct sv_dbc *c, const char *source,
                          const char *scope)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_FAILURE_FORGET, source, scope);
    return sv_stmt_exec(st);
}

/* ---- the blacklist ---- */

static enum sv_qs
lookup(struct sv_dbc *c, const struct sv_sql *q, const char *tenant_id,
       const char *kind, const char *value, int64_t now)
{
    struct sv_stmt *st = sv_db_stmt(c, q);
    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_text(st, 2, kind);
    sv_stmt_text(st, 3, value);
    sv_stmt_int(st, 4, now);
    return sv_stmt_step(st);
}

enum sv_qs
risk_store_blacklist_hit(struct sv_dbc *c, const char *tenant_id,
                         const char *kind, const char *value, int64_t now)
{
    return lookup(c, &Q_BLACKLIST_HIT, tenant_id, kind, value, now);
}

enum sv_qs
risk_store_blacklist_active(struct sv_dbc *c, const char *tenant_id,
                            const char *kind, const char *value, int64_t now)
{
    return lookup(c, &Q_BLACKLIST_ACTIVE, tenant_id, kind, value, now);
}

enum sv_qs
risk_store_blacklist_add(struct sv_dbc *c, const char *tenant_id,
                         const char *id, const char *kind, const char *value,
                         const char *reason, int64_t now, int64_t expires_at)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_BLACKLIST_ADD, tenant_id, id);
    sv_stmt_text(st, 3, kind);
    sv_stmt_text(st, 4, value);
    sv_stmt_text(st, 5, reason);
    sv_stmt_int(st, 6, now);
    sv_stmt_int(st, 7, expires_at);
    return sv_stmt_exec(st);
}

enum sv_qs
risk_store_blacklist_platform_add(struct sv_dbc *c, const char *id,
                                  const char *kind, const char *value,
                                  const char *reason, int64_t now,
                                  int64_t expires_at)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_BLACKLIST_PLATFORM_ADD, id, kind);
    sv_stmt_text(st, 3, value);
    sv_stmt_text(st, 4, reason);
    sv_stmt_int(st, 5, now);
    if (expires_at != 0)
        sv_stmt_int(st, 6, expires_at);
    else
        sv_stmt_null(st, 6);
    return sv_stmt_exec(st);
}

enum sv_qs
risk_store_blacklist_list(struct sv_dbc *c, const char *tenant_id, int64_t now,
                          sv_blacklist_row_fn row, void *cls)
{
    struct sv_stmt *st;
    enum sv_qs qs;

    if (tenant_id != NULL) {
        st = sv_db_stmt(c, &Q_BLACKLIST_LIST);
        sv_stmt_text(st, 1, tenant_id);
        sv_stmt_int(st, 2, now);
    } else {
        st = sv_db_stmt(c, &Q_BLACKLIST_PLATFORM_LIST);
        sv_stmt_int(st, 1, now);
    }
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        struct sv_blacklist_entry e = {
            .id = sv_stmt_col_text(st, 0),
            .kind = sv_stmt_col_text(st, 1),
            .value = sv_stmt_col_text(st, 2),
            .reason = sv_stmt_col_text(st, 3),
            .created_at = sv_stmt_col_int(st, 4),
            .expires_at = sv_stmt_col_null(st, 5) ? 0 : sv_stmt_col_int(st, 5),
            .tenant_id = sv_stmt_col_null(st, 6) ? NULL
                         : tenant_id != NULL     ? tenant_id
                                                 : sv_stmt_col_text(st, 6),
        };
        row(cls, &e);
    }
    return qs;
}

enum sv_qs
risk_store_blacklist_lift(struct sv_dbc *c, const char *tenant_id,
                          const char *id, int64_t now, char source[128],
                          char entry_tenant[40])
{
    struct sv_stmt *st;
    enum sv_qs qs;

    if (tenant_id != NULL) {
        st = sv_db_stmt(c, &Q_BLACKLIST_LIFT);
        sv_stmt_text(st, 1, tenant_id);
        sv_stmt_text(st, 2, id);
        sv_stmt_int(st, 3, now);
    } else {
        st = sv_db_stmt(c, &Q_BLACKLIST_PLATFORM_LIFT);
        sv_stmt_text(st, 1, id);
        sv_stmt_int(st, 2, now);
    }
    qs = sv_stmt_step(st);
    if (qs != SV_QS_ONE)
        return qs;
    snprintf(source, 128, "%s:%s", sv_stmt_col_text(st, 0),
             sv_stmt_col_text(st, 1));
    snprintf(entry_tenant, 40, "%s",
             tenant_id != NULL || sv_stmt_col_null(st, 2)
                 ? ""
                 : sv_stmt_col_text(st, 2));
    return drained(st, qs);
}
