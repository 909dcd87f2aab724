#include "audit/audit_store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

SV_SQL(Q_BUMP, "audit_bump_head",
       "UPDATE audit_heads SET seq = seq + 1 WHERE stream = $1 "
       "RETURNING seq, hash",
       SV_SQL_PLATFORM);
SV_SQL(Q_CREATE_HEAD, "audit_create_head",
       "INSERT INTO audit_heads (stream, seq, hash) VALUES ($1, 0, $2) "
       "ON CONFLICT (stream) DO NOTHING",
       SV_SQL_PLATFORM);
SV_SQL(Q_SET_HEAD, "audit_set_head",
       "UPDATE audit_heads SET hash = $2, sig = $3 WHERE stream = $1",
       SV_SQL_PLATFORM);
/* A batch (sv_audit_batch_begin): the head's row locked, read once. */
SV_SQL(Q_LOCK_HEAD, "audit_lock_head",
       "UPDATE audit_heads SET seq = seq WHERE stream = $1 "
       "RETURNING seq, hash",
       SV_SQL_PLATFORM);
SV_SQL(Q_SET_HEAD_SEQ, "audit_set_head_seq",
       "UPDATE audit_heads SET seq = $2, hash = $3, sig = $4 "
       "WHERE stream = $1",
       SV_SQL_PLATFORM);
SV_SQL(Q_HEAD, "audit_head",
       "SELECT seq, hash, sig FROM audit_heads WHERE stream = $1",
       SV_SQL_PLATFORM);
SV_SQL(Q_INSERT, "audit_insert",
       "INSERT INTO audit_events (tenant_id, id, stream, seq, time_ms, "
       "actor_id, actor, action, target_type, target_id, ip, user_agent, "
       "result, reason, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, "
       "$6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
       0);

#define COLS                                                                   \
    "id, stream, seq, time_ms, tenant_id, actor_id, actor, action, "           \
    "target_type, target_id, ip, user_agent, result, reason, details, "        \
    "prev_hash, hash"

/* A stream in order, a batch at a time (after seq $2): a whole stream
 * never sits in memory, PostgreSQL's result sets included. */
/* Rows of one scan batch. */
#define AUDIT_SCAN_BATCH 2048

SV_SQL(Q_SCAN, "audit_scan",
       "SELECT " COLS " FROM audit_events WHERE stream = $1 AND seq > $2 "
       "ORDER BY seq LIMIT $3",
       SV_SQL_PLATFORM);
/*
 * AUD-2: one report's events. $9: the report's actions as ",a,b," (NULL:
 * any; '_' escaped in the action, a LIKE wildcard otherwise). $10 1 for the
 * failed-logins report, whose events are those not "success" but for the
 * lines of actions.def that say otherwise: $11 security.lock and $12
 * security.blacklist (every event: result "denied"), $13
 * account.password_change_failed (reason current_password_invalid only),
 * $14 auth.reset (a refused new password, reason password_*, left out).
 */
#define REPORT_WHERE                                                           \
    "AND (CAST($9 AS TEXT) IS NULL OR $9 LIKE '%,' || "                        \
    "replace(action, '_', '\\_') || ',%' ESCAPE '\\') "                        \
    "AND (CAST($10 AS INTEGER) = 0 OR action IN ($11, $12) "                   \
    "OR (action = $13 AND reason = 'current_password_invalid') "               \
    "OR (action = $14 AND result <> 'success' "                                \
    "AND COALESCE(reason, '') NOT LIKE 'password\\_%' ESCAPE '\\') "           \
    "OR (action NOT IN ($11, $12, $13, $14) AND result <> 'success')) "
SV_SQL(Q_LIST, "audit_list",
       "SELECT " COLS " FROM audit_events WHERE tenant_id = $1 "
       "AND stream = $1 "
       "AND (CAST($2 AS TEXT) IS NULL OR action = $2) "
       "AND (CAST($3 AS TEXT) IS NULL OR actor_id = $3) "
       /* CAST: PostgreSQL would type "$4 = 0" as a 32-bit integer. */
       "AND (CAST($4 AS BIGINT) = 0 OR time_ms >= $4) "
       "AND (CAST($5 AS BIGINT) = 0 OR time_ms <= $5) "
       "AND (CAST($6 AS BIGINT) = 0 OR seq < $6) "
       "AND (CAST($8 AS TEXT) IS NULL OR result = $8) " REPORT_WHERE
       "ORDER BY seq DESC LIMIT $7",
       0);

SV_SQL(Q_COUNT_BY, "audit_count_by",
       "SELECT COUNT(*) FROM audit_events WHERE tenant_id = $1 "
       "AND stream = $1 AND action = $2 AND time_ms >= $3 AND actor_id = $4",
       0);

/* Columns 0, 1 of the current row: seq and a 32-byte hash. */
static enum sv_qs
read_seq_hash(struct sv_stmt *st, int64_t *seq, uint8_t hash[32])
{
    size_t len;
    const void *h = sv_stmt_col_blob(st, 1, &len);

    if (len != 32)
        return SV_QS_HARD;
    *seq = sv_stmt_col_int(st, 0);
    memcpy(hash, h, 32);
    return SV_QS_ONE;
}

enum sv_qs
audit_store_bump_head(struct sv_dbc *c, const char *stream, int64_t *seq,
                      uint8_t prev[32])
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_BUMP);
    enum sv_qs qs;

    sv_stmt_text(st, 1, stream);
    qs = sv_stmt_step(st);
    if (qs != SV_QS_ONE)
        return qs;
    if (read_seq_hash(st, seq, prev) != SV_QS_ONE)
        return SV_QS_HARD;
    return sv_stmt_exec(st) < 0 ? SV_QS_HARD : SV_QS_ONE;
}

enum sv_qs
audit_store_lock_head(struct sv_dbc *c, const char *stream, int64_t *seq,
                      uint8_t hash[32])
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_LOCK_HEAD);
    enum sv_qs qs;

    sv_stmt_text(st, 1, stream);
    qs = sv_stmt_step(st);
    if (qs != SV_QS_ONE)
        return qs;
    if (read_seq_hash(st, seq, hash) != SV_QS_ONE)
        return SV_QS_HARD;
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) /* finish it */
        ;
    return qs < 0 ? qs : SV_QS_ONE;
}

enum sv_qs
audit_store_set_head_seq(struct sv_dbc *c, const char *stream, int64_t seq,
                         const uint8_t hash[32], const uint8_t sig[64])
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_SET_HEAD_SEQ);
    sv_stmt_text(st, 1, stream);
    sv_stmt_int(st, 2, seq);
    sv_stmt_blob(st, 3, hash, 32);
    sv_stmt_blob(st, 4, sig, 64);
    return sv_stmt_exec(st);
}

enum sv_qs
audit_store_create_head(struct sv_dbc *c, const char *stream)
{
    static const uint8_t zero[32];
    struct sv_stmt *st = sv_db_stmt(c, &Q_CREATE_HEAD);
    sv_stmt_text(st, 1, stream);
    sv_stmt_blob(st, 2, zero, sizeof zero);
    return sv_stmt_exec(st);
}

enum sv_qs
audit_store_set_head(struct sv_dbc *c, const char *stream,
                     const uint8_t hash[32], const uint8_t sig[64])
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_SET_HEAD);
    sv_stmt_text(st, 1, stream);
    sv_stmt_blob(st, 2, hash, 32);
    sv_stmt_blob(st, 3, sig, 64);
    return sv_stmt_exec(st);
}

enum sv_qs
audit_store_head(struct sv_dbc *c, const char *stream, int64_t *seq,
                 uint8_t hash[32], uint8_t sig[64])
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_HEAD);
    enum sv_qs qs;

    sv_stmt_text(st, 1, stream);
    qs = sv_stmt_step(st);
    if (qs != SV_QS_ONE)
        return qs;
    if (read_seq_hash(st, seq, hash) != SV_QS_ONE) {
        /* A malformed head is for verify to report, not to choke on. */
        *seq = sv_stmt_col_int(st, 0);
        memset(hash, 0, 32);
    }
    size_t len;
    const void *p = sv_stmt_col_blob(st, 2, &len);
    memset(sig, 0, 64);
    if (p != NULL && len == 64)
        memcpy(sig, p, 64);
    return SV_QS_ONE;
}

enum sv_qs
audit_store_insert(struct sv_dbc *c, const struct sv_audit_record *r)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_INSERT);
    const struct sv_audit_event *e = &r->ev;

    sv_stmt_text(st, 1, e->tenant_id);
    sv_stmt_text(st, 2, r->id);
    sv_stmt_text(st, 3, r->stream);
    sv_stmt_int(st, 4, r->seq);
    sv_stmt_int(st, 5, r->time_ms);
    sv_stmt_text(st, 6, e->actor_id);
    sv_stmt_text(st, 7, e->actor);
    sv_stmt_text(st, 8, e->action);
    sv_stmt_text(st, 9, e->target_type);
    sv_stmt_text(st, 10, e->target_id);
    sv_stmt_text(st, 11, e->ip);
    sv_stmt_text(st, 12, e->user_agent);
    sv_stmt_text(st, 13, e->result);
    sv_stmt_text(st, 14, e->reason);
    sv_stmt_text(st, 15, e->details);
    sv_stmt_blob(st, 16, r->prev_hash, 32);
    sv_stmt_blob(st, 17, r->hash, 32);
    return sv_stmt_exec(st);
}

static const char *
opt_text(struct sv_stmt *st, int col)
{
    return sv_stmt_col_null(st, col) ? NULL : sv_stmt_col_text(st, col);
}

static void
read_row(struct sv_stmt *st, struct sv_audit_record *r)
{
    const void *p;
    size_t len;

    memset(r, 0, sizeof *r);
    r->id = sv_stmt_col_text(st, 0);
    r->stream = sv_stmt_col_text(st, 1);
    r->seq = sv_stmt_col_int(st, 2);
    r->time_ms = sv_stmt_col_int(st, 3);
    r->ev.tenant_id = opt_text(st, 4);
    r->ev.actor_id = opt_text(st, 5);
    r->ev.actor = opt_text(st, 6);
    r->ev.action = sv_stmt_col_text(st, 7);
    r->ev.target_type = opt_text(st, 8);
    r->ev.target_id = opt_text(st, 9);
    r->ev.ip = opt_text(st, 10);
    r->ev.user_agent = opt_text(st, 11);
    r->ev.result = sv_stmt_col_text(st, 12);
    r->ev.reason = opt_text(st, 13);
    r->ev.details = opt_text(st, 14);
    p = sv_stmt_col_blob(st, 15, &len);
    if (len == 32)
        memcpy(r->prev_hash, p, 32);
    p = sv_stmt_col_blob(st, 16, &len);
    if (len == 32)
        memcpy(r->hash, p, 32);
}

enum sv_qs
audit_store_scan(struct sv_dbc *c, const char *stream, sv_audit_row_fn row,
                 void *cls)
{
    struct sv_audit_record r;
    int64_t after = INT64_MIN, n;
    enum sv_qs qs;

    do {
        struct sv_stmt *st = sv_db_stmt(c, &Q_SCAN);
        sv_stmt_text(st, 1, stream);
        sv_stmt_int(st, 2, after);
        sv_stmt_int(st, 3, AUDIT_SCAN_BATCH);
        n = 0;
        while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
            read_row(st, &r);
            after = r.seq;
            n++;
            row(cls, &r);
        }
    } while (qs >= 0 && n == AUDIT_SCAN_BATCH);
    return qs;
}

/* Every action's wire string, comma separated, fits (checked below). */
#define SV_AUDIT_ACTIONS_LIST_MAX 8192

/* $9-$14 of REPORT_WHERE for report @p cat (SV_AUDIT_CAT__COUNT: any). */
static void
bind_report(struct sv_stmt *st, enum sv_audit_category cat)
{
    char list[SV_AUDIT_ACTIONS_LIST_MAX];
    size_t at = 1;

    if (cat >= SV_AUDIT_CAT_ACTIVITY) {
        sv_stmt_null(st, 9);
    } else {
        list[0] = ',';
        list[1] = '\0';
        for (int a = 0; a < SV_AUDIT__COUNT; a++) {
            if (sv_audit_action_category((enum sv_audit_action)a) != cat)
                continue;
            at +=
                (size_t)snprintf(list + at, sizeof list - at, "%s,",
                                 sv_audit_action_name((enum sv_audit_action)a));
            if (at >= sizeof list)
                abort(); /* the catalogue outgrew the buffer: a build bug */
        }
        sv_stmt_text(st, 9, list);
    }
    sv_stmt_int(st, 10, cat == SV_AUDIT_CAT_LOGIN_FAILURE);
    sv_stmt_text(st, 11, sv_audit_action_name(SV_AUDIT_SECURITY_LOCK));
    sv_stmt_text(st, 12, sv_audit_action_name(SV_AUDIT_SECURITY_BLACKLIST));
    sv_stmt_text(st, 13,
                 sv_audit_action_name(SV_AUDIT_ACCOUNT_PASSWORD_CHANGE_FAILED));
    sv_stmt_text(st, 14, sv_audit_action_name(SV_AUDIT_AUTH_RESET));
}

enum sv_qs
audit_store_list(struct sv_dbc *c, const struct sv_audit_query *q,
                 sv_audit_row_fn row, void *cls, int *n_rows)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_LIST);
    struct sv_audit_record r;
    enum sv_qs qs;

    *n_rows = 0;
    sv_stmt_text(st, 1, q->tenant_id);
    sv_stmt_text(st, 2, q->action);
    sv_stmt_text(st, 3, q->actor_id);
    sv_stmt_int(st, 4, q->since_ms);
    sv_stmt_int(st, 5, q->until_ms);
    sv_stmt_int(st, 6, q->before_seq);
    sv_stmt_int(st, 7, q->limit);
    sv_stmt_text(st, 8, q->result);
    bind_report(st, q->has_report ? q->report : SV_AUDIT_CAT__COUNT);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        read_row(st, &r);
        row(cls, &r);
        (*n_rows)++;
    }
    return qs;
}

/*
 * The security dashboard: auth.login failures, security.lock,
 * security.blacklist ($4, $5, $6: the wire strings, bound from the action
 * catalogue). The index audit_events_tenant_action (005) holds every column
 * read here: one range per action, within the window.
 */
#define SECURITY_WHERE                                                         \
    "WHERE tenant_id = $1 AND action IN ($4, $5, $6) AND time_ms >= $2 "       \
    "AND time_ms < $3 AND (action <> $4 OR result <> 'success') "
SV_SQL(Q_SECURITY_DAYS, "audit_security_days",
       "SELECT action, time_ms / 86400000, COUNT(*) FROM "
       "audit_events " SECURITY_WHERE "GROUP BY action, time_ms / 86400000",
       0);
SV_SQL(Q_SECURITY_SPAN, "audit_security_span",
       "SELECT action, 0, COUNT(*) FROM audit_events " SECURITY_WHERE
       "GROUP BY action",
       0);

enum sv_qs
audit_store_security_counts(struct sv_dbc *c, const char *tenant_id,
                            int64_t since, int64_t until, bool by_day,
                            void (*row)(void *cls, const char *action,
                                        int64_t day, int64_t n),
                            void *cls)
{
    struct sv_stmt *st =
        sv_db_stmt(c, by_day ? &Q_SECURITY_DAYS : &Q_SECURITY_SPAN);
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_int(st, 2, since);
    sv_stmt_int(st, 3, until);
    sv_stmt_text(st, 4, sv_audit_action_name(SV_AUDIT_AUTH_LOGIN));
    sv_stmt_text(st, 5, sv_audit_action_name(SV_AUDIT_SECURITY_LOCK));
    sv_stmt_text(st, 6, sv_audit_action_name(SV_AUDIT_SECURITY_BLACKLIST));
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        row(cls, sv_stmt_col_text(st, 0), sv_stmt_col_int(st, 1),
            sv_stmt_col_int(st, 2));
    return qs;
}

enum sv_qs
audit_store_count(struct sv_dbc *c, const char *tenant_id, const char *action,
                  const char *actor_id, int64_t since_ms, int64_t *out)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_COUNT_BY, tenant_id, action);
    enum sv_qs qs;

    sv_stmt_int(st, 3, since_ms);
    sv_stmt_text(st, 4, actor_id);
    qs = sv_stmt_step(st);
    *out = qs == SV_QS_ONE ? sv_stmt_col_int(st, 0) : 0;
    return qs;
}
