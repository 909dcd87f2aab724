/* The SQL of the sign-in: see login_store.h. */
#include "login/login_store.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"

/* ---- challenges (platform table: before the password, no tenant) ---- */

#define CH_COLS                                                                \
    "id, token_hash, tenant_slug, username, tenant_id, account_id, "           \
    "client_kind, device_client, device_name, device_model, "                  \
    "device_platform, device_key, ip, user_agent, stage, next, device_done, "  \
    "captcha_hash, captcha_draws, code_hash, code_expires_at, code_sends, "    \
    "approval_id, failures, created_at, expires_at, device_nonce, name_key"

SV_SQL(Q_CH_INSERT, "challenge_insert",
       "INSERT INTO challenges (" CH_COLS ") VALUES ($1, $2, $3, $4, "
       "$5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, "
       "$18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28)",
       SV_SQL_PLATFORM);
SV_SQL(Q_CH_FIND, "challenge_find",
       "SELECT " CH_COLS " FROM challenges WHERE id = $1", SV_SQL_PLATFORM);
SV_SQL(Q_CH_SET_STAGE, "challenge_set_stage",
       "UPDATE challenges SET stage = $2, next = $3, account_id = $4, "
       "tenant_id = $5, device_done = $6 WHERE id = $1 AND stage = $7",
       SV_SQL_PLATFORM);
SV_SQL(Q_CH_SET_CAPTCHA, "challenge_set_captcha",
       "UPDATE challenges SET captcha_hash = $2 WHERE id = $1",
       SV_SQL_PLATFORM);
/* A draw is counted before the image is drawn: at most $2 per challenge. */
SV_SQL(Q_CH_DRAW, "challenge_draw",
       "UPDATE challenges SET captcha_draws = captcha_draws + 1, "
       "captcha_hash = NULL WHERE id = $1 AND captcha_draws < $2",
       SV_SQL_PLATFORM);
/* AUTH-4: CAPTCHA challenges one source holds open now. */
SV_SQL(Q_CH_OPEN_BY_IP, "challenge_open_by_ip",
       "SELECT COUNT(*) FROM challenges WHERE ip = $1 AND "
       "expires_at > $2 AND stage = 'captcha' AND failures < 5",
       SV_SQL_PLATFORM);
SV_SQL(Q_CH_SET_CODE, "challenge_set_code",
       "UPDATE challenges SET code_hash = $2, code_expires_at = $3, "
       "code_sends = code_sends + 1 WHERE id = $1",
       SV_SQL_PLATFORM);
SV_SQL(Q_CH_FAIL, "challenge_fail",
       "UPDATE challenges SET failures = failures + 1, "
       "captcha_hash = NULL WHERE id = $1 RETURNING failures",
       SV_SQL_PLATFORM);
SV_SQL(Q_CH_SET_APPROVAL, "challenge_set_approval",
       "UPDATE challenges SET approval_id = $2 WHERE id = $1", SV_SQL_PLATFORM);
/* Only a pending approval is decided, once. */
SV_SQL(Q_CH_DECIDE, "challenge_decide",
       "UPDATE challenges SET stage = $2, device_done = $3, "
       "decided_at = $4 WHERE id = $1 AND approval_id = $5 "
       "AND stage = 'device'",
       SV_SQL_PLATFORM);
SV_SQL(Q_CH_DECIDED_SINCE, "challenge_decided_since",
       "SELECT id FROM challenges WHERE decided_at >= $1", SV_SQL_PLATFORM);
SV_SQL(Q_CH_PRUNE, "challenge_prune",
       "DELETE FROM challenges WHERE expires_at < $1", SV_SQL_PLATFORM);
/* A password change or reset closes the account's logins in progress. */
SV_SQL(Q_CH_CLOSE_ACCOUNT, "challenge_close_account",
       "UPDATE challenges SET stage = 'closed' WHERE account_id = $1 "
       "AND stage NOT IN ('done', 'closed')",
       SV_SQL_PLATFORM);
/* Approvals asked for one challenge, and for one account lately. */
/* The account's approvals long expired (the hourly count is past them). */
SV_SQL(Q_AP_PRUNE, "approval_prune",
       "DELETE FROM approvals WHERE tenant_id = $1 AND account_id = $2 "
       "AND expires_at < $3",
       0);
/* Every account's, for the accounts that never come back (app.c's sweep). */
SV_SQL(Q_AP_SWEEP, "approval_sweep",
       "DELETE FROM approvals WHERE tenant_id = $1 AND expires_at < $2", 0);
SV_SQL(Q_AP_COUNT_CHALLENGE, "approval_count_challenge",
       "SELECT COUNT(*) FROM approvals WHERE tenant_id = $1 "
       "AND challenge_id = $2",
       0);
SV_SQL(Q_AP_COUNT_RECENT, "approval_count_recent",
       "SELECT COUNT(*) FROM approvals WHERE tenant_id = $1 "
       "AND account_id = $2 AND created_at > $3 AND kind = 'push'",
       0);

/* ---- approvals (DEV-3, DEV-4) ---- */

#define AP_COLS                                                                \
    "id, account_id, challenge_id, kind, qr_hash, number, choices, ip, "       \
    "user_agent, state, device_id, created_at, expires_at"

SV_SQL(Q_AP_INSERT, "approval_insert",
       "INSERT INTO approvals (tenant_id, id, account_id, "
       "challenge_id, kind, qr_hash, number, choices, ip, user_agent, "
       "state, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, "
       "$6, $7, $8, $9, $10, 'pending', $11, $12)",
       0);
SV_SQL(Q_AP_FIND, "approval_find",
       "SELECT " AP_COLS " FROM approvals WHERE tenant_id = $1 "
       "AND id = $2",
       0);
SV_SQL(Q_AP_PENDING, "approval_pending",
       "SELECT " AP_COLS " FROM approvals WHERE tenant_id = $1 "
       "AND account_id = $2 AND state = 'pending' AND kind = 'push' "
       "AND expires_at > $3 ORDER BY id LIMIT 20",
       0);
SV_SQL(Q_AP_SCANNED, "approval_scanned",
       "UPDATE approvals SET device_id = $3 WHERE tenant_id = $1 "
       "AND id = $2 AND state = 'pending' AND device_id IS NULL",
       0);
SV_SQL(Q_AP_DECIDE, "approval_decide",
       "UPDATE approvals SET state = $3, device_id = $4, "
       "decided_at = $5 WHERE tenant_id = $1 AND id = $2 "
       "AND state = 'pending'",
       0);

static void
copy_text(char *dst, size_t cap, struct sv_stmt *st, int col)
{
    snprintf(dst, cap, "%s", sv_stmt_col_text(st, col));
}

static bool
copy_blob32(uint8_t dst[32], struct sv_stmt *st, int col)
{
    size_t n = 0;
    const void *p = sv_stmt_col_blob(st, col, &n);
    if (p == NULL || n != 32)
        return false;
    memcpy(dst, p, 32);
    return true;
}

/* One count from a statement already bound; its cursor drained. */
static enum sv_qs
count_of(struct sv_stmt *st, int64_t *n)
{
    enum sv_qs qs = sv_stmt_step(st);
    *n = qs == SV_QS_ONE ? sv_stmt_col_int(st, 0) : 0;
    if (qs == SV_QS_ONE && (qs = sv_stmt_step(st)) >= 0)
        qs = SV_QS_ONE;
    return qs;
}

/* ---- challenges ---- */

enum sv_qs
login_store_find(struct sv_dbc *c, const char *id, struct login_challenge *ch)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_CH_FIND);
    enum sv_qs qs;
    enum sv_client_kind k = SV_CLIENT_API;

    sv_stmt_text(st, 1, id);
    qs = sv_stmt_step(st);
    if (qs != SV_QS_ONE)
        return qs;
    memset(ch, 0, sizeof *ch);
    copy_text(ch->id, sizeof ch->id, st, 0);
    copy_blob32(ch->token_hash, st, 1);
    copy_text(ch->tenant_slug, sizeof ch->tenant_slug, st, 2);
    copy_text(ch->username, sizeof ch->username, st, 3);
    copy_text(ch->tenant_id, sizeof ch->tenant_id, st, 4);
    copy_text(ch->account_id, sizeof ch->account_id, st, 5);
    if (!sv_client_kind_parse(sv_stmt_col_text(st, 6), &k))
        k = SV_CLIENT_API;
    ch->cl.kind = k;
    copy_text(ch->cl.device, sizeof ch->cl.device, st, 7);
    copy_text(ch->cl.name, sizeof ch->cl.name, st, 8);
    copy_text(ch->cl.model, sizeof ch->cl.model, st, 9);
    copy_text(ch->cl.platform, sizeof ch->cl.platform, st, 10);
    ch->cl.has_pk = copy_blob32(ch->cl.pk, st, 11);
    copy_text(ch->ip, sizeof ch->ip, st, 12);
    copy_text(ch->user_agent, sizeof ch->user_agent, st, 13);
    ch->cl.ip = ch->ip;
    ch->cl.user_agent = ch->user_agent;
    copy_text(ch->stage, sizeof ch->stage, st, 14);
    copy_text(ch->next, sizeof ch->next, st, 15);
    copy_text(ch->device_done, sizeof ch->device_done, st, 16);
    ch->has_captcha = copy_blob32(ch->captcha_hash, st, 17);
    ch->captcha_draws = sv_stmt_col_int(st, 18);
    ch->has_code = copy_blob32(ch->code_hash, st, 19);
    ch->code_expires_at = sv_stmt_col_int(st, 20);
    ch->code_sends = sv_stmt_col_int(st, 21);
    copy_text(ch->approval_id, sizeof ch->approval_id, st, 22);
    ch->failures = sv_stmt_col_int(st, 23);
    ch->created_at = sv_stmt_col_int(st, 24);
    ch->expires_at = sv_stmt_col_int(st, 25);
    copy_text(ch->cl.nonce, sizeof ch->cl.nonce, st, 26);
    ch->has_name_key = copy_blob32(ch->name_key, st, 27);
    return SV_QS_ONE;
}

enum sv_qs
login_store_insert(struct sv_dbc *c, const struct login_challenge *ch)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_CH_INSERT);

    sv_stmt_text(st, 1, ch->id);
    sv_stmt_blob(st, 2, ch->token_hash, 32);
    sv_stmt_text(st, 3, ch->tenant_slug);
    sv_stmt_text(st, 4, ch->username);
    sv_stmt_text(st, 5, sv_or_null(ch->tenant_id));
    sv_stmt_text(st, 6, sv_or_null(ch->account_id));
    sv_stmt_text(st, 7,
                 ch->cl.kind == SV_CLIENT_API
                     ? "api"
                     : sv_client_kind_name(ch->cl.kind));
    sv_stmt_text(st, 8, ch->cl.device);
    sv_stmt_text(st, 9, sv_or_null(ch->cl.name));
    sv_stmt_text(st, 10, sv_or_null(ch->cl.model));
    sv_stmt_text(st, 11, sv_or_null(ch->cl.platform));
    sv_stmt_blob(st, 12, ch->cl.has_pk ? ch->cl.pk : NULL,
                 ch->cl.has_pk ? 32 : 0);
    sv_stmt_text(st, 13, ch->cl.ip);
    sv_stmt_text(st, 14, ch->cl.user_agent);
    sv_stmt_text(st, 15, ch->stage);
    sv_stmt_text(st, 16, ch->next);
    sv_stmt_null(st, 17);
    sv_stmt_null(st, 18);
    sv_stmt_int(st, 19, 0);
    sv_stmt_null(st, 20);
    sv_stmt_null(st, 21);
    sv_stmt_int(st, 22, 0);
    sv_stmt_null(st, 23);
    sv_stmt_int(st, 24, 0);
    sv_stmt_int(st, 25, ch->created_at);
    sv_stmt_int(st, 26, ch->expires_at);
    sv_stmt_text(st, 27, sv_or_null(ch->cl.nonce));
    sv_stmt_blob(st, 28, ch->name_key, 32);
    return sv_stmt_exec(st);
}

enum sv_qs
login_store_set_stage(struct sv_dbc *c, const struct login_challenge *ch,
                      const char *stage, const char *next,
                      const char *device_done)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_CH_SET_STAGE);

    sv_stmt_text(st, 1, ch->id);
    sv_stmt_text(st, 2, stage);
    sv_stmt_text(st, 3, next);
    sv_stmt_text(st, 4, sv_or_null(ch->account_id));
    sv_stmt_text(st, 5, sv_or_null(ch->tenant_id));
    sv_stmt_text(st, 6, sv_or_null(device_done));
    sv_stmt_text(st, 7, ch->stage);
    return sv_stmt_exec(st);
}

enum sv_qs
login_store_fail(struct sv_dbc *c, const char *id)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_CH_FAIL);
    int64_t failures;

    sv_stmt_text(st, 1, id);
    return count_of(st, &failures); /* RETURNING: drain the cursor */
}

enum sv_qs
login_store_open_by_ip(struct sv_dbc *c, const char *ip, int64_t now,
                       int64_t *n)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_CH_OPEN_BY_IP);
    sv_stmt_text(st, 1, ip);
    sv_stmt_int(st, 2, now);
    return count_of(st, n);
}

enum sv_qs
login_store_draw(struct sv_dbc *c, const char *id, int64_t max)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_CH_DRAW);
    sv_stmt_text(st, 1, id);
    sv_stmt_int(st, 2, max);
    return sv_stmt_exec(st);
}

enum sv_qs
login_store_set_captcha(struct sv_dbc *c, const char *id,
                        const uint8_t hash[32])
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_CH_SET_CAPTCHA);
    sv_stmt_text(st, 1, id);
    sv_stmt_blob(st, 2, hash, 32);
    return sv_stmt_exec(st);
}

enum sv_qs
login_store_set_code(struct sv_dbc *c, const char *id, const uint8_t hash[32],
                     int64_t expires_at)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_CH_SET_CODE);
    sv_stmt_text(st, 1, id);
    sv_stmt_blob(st, 2, hash, 32);
    sv_stmt_int(st, 3, expires_at);
    return sv_stmt_exec(st);
}

enum sv_qs
login_store_set_approval(struct sv_dbc *c, const char *id,
                         const char *approval_id)
{
    return sv_stmt_exec(sv_db_stmt2(c, &Q_CH_SET_APPROVAL, id, approval_id));
}

enum sv_qs
login_store_decide(struct sv_dbc *c, const char *id, const char *stage,
                   const char *device_done, int64_t now,
                   const char *approval_id)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_CH_DECIDE, id, stage);
    sv_stmt_text(st, 3, device_done);
    sv_stmt_int(st, 4, now);
    sv_stmt_text(st, 5, approval_id);
    return sv_stmt_exec(st);
}

enum sv_qs
login_store_decided_since(struct sv_dbc *c, int64_t since,
                          void (*fn)(const char *id))
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_CH_DECIDED_SINCE);
    enum sv_qs qs;

    sv_stmt_int(st, 1, since);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        fn(sv_stmt_col_text(st, 0));
    return qs;
}

enum sv_qs
login_store_prune(struct sv_dbc *c, int64_t before)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_CH_PRUNE);
    sv_stmt_int(st, 1, before);
    return sv_stmt_exec(st);
}

enum sv_qs
login_store_close_account(struct sv_dbc *c, const char *account_id)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_CH_CLOSE_ACCOUNT);
    sv_stmt_text(st, 1, account_id);
    return sv_stmt_exec(st);
}

/* ---- approvals ---- */

enum sv_qs
login_store_approval_sweep(struct sv_dbc *c, const char *tenant_id,
                           int64_t before)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_AP_SWEEP);

    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_int(st, 2, before);
    return sv_stmt_exec(st);
}

enum sv_qs
login_store_approval_prune(struct sv_dbc *c, const char *tenant_id,
                           const char *account_id, int64_t before)
{
    return sv_db_exec_tti(c, &Q_AP_PRUNE, tenant_id, account_id, before);
}

enum sv_qs
login_store_approval_count(struct sv_dbc *c, const char *tenant_id,
                           const char *challenge_id, int64_t *n)
{
    return count_of(
        sv_db_stmt2(c, &Q_AP_COUNT_CHALLENGE, tenant_id, challenge_id), n);
}

enum sv_qs
login_store_approval_count_pushes(struct sv_dbc *c, const char *tenant_id,
                                  const char *account_id, int64_t since,
                                  int64_t *n)
{
    struct sv_stmt *st =
        sv_db_stmt2(c, &Q_AP_COUNT_RECENT, tenant_id, account_id);
    sv_stmt_int(st, 3, since);
    return count_of(st, n);
}

enum sv_qs
login_store_approval_insert(struct sv_dbc *c, const char *tenant_id,
                            const struct login_approval *a)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_AP_INSERT, tenant_id, a->id);
    char choices[40];

    snprintf(choices, sizeof choices, "%d,%d,%d", a->choices[0], a->choices[1],
             a->choices[2]);
    sv_stmt_text(st, 3, a->account_id);
    sv_stmt_text(st, 4, a->challenge_id);
    sv_stmt_text(st, 5, a->qr ? "qr" : "push");
    sv_stmt_blob(st, 6, a->has_qr ? a->qr_hash : NULL, a->has_qr ? 32 : 0);
    sv_stmt_int(st, 7, a->number);
    sv_stmt_text(st, 8, choices);
    sv_stmt_text(st, 9, a->ip);
    sv_stmt_text(st, 10, a->user_agent);
    sv_stmt_int(st, 11, a->created_at);
    sv_stmt_int(st, 12, a->expires_at);
    return sv_stmt_exec(st);
}

static void
approval_read(struct sv_stmt *st, struct login_approval *a)
{
    memset(a, 0, sizeof *a);
    copy_text(a->id, sizeof a->id, st, 0);
    copy_text(a->account_id, sizeof a->account_id, st, 1);
    copy_text(a->challenge_id, sizeof a->challenge_id, st, 2);
    a->qr = strcmp(sv_stmt_col_text(st, 3), "qr") == 0;
    a->has_qr = copy_blob32(a->qr_hash, st, 4);
    a->number = (int)sv_stmt_col_int(st, 5);
    if (sscanf(sv_stmt_col_text(st, 6), "%d,%d,%d", &a->choices[0],
               &a->choices[1], &a->choices[2]) != 3)
        memset(a->choices, 0, sizeof a->choices);
    copy_text(a->ip, sizeof a->ip, st, 7);
    copy_text(a->user_agent, sizeof a->user_agent, st, 8);
    copy_text(a->state, sizeof a->state, st, 9);
    copy_text(a->device_id, sizeof a->device_id, st, 10);
    a->created_at = sv_stmt_col_int(st, 11);
    a->expires_at = sv_stmt_col_int(st, 12);
}

enum sv_qs
login_store_approval_find(struct sv_dbc *c, const char *tenant_id,
                          const char *id, struct login_approval *a)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_AP_FIND, tenant_id, id);
    enum sv_qs qs = sv_stmt_step(st);

    if (qs != SV_QS_ONE)
        return qs;
    approval_read(st, a);
    return SV_QS_ONE;
}

enum sv_qs
login_store_approval_pending(struct sv_dbc *c, const char *tenant_id,
                             const char *account_id, int64_t now,
                             void (*row)(void *cls,
                                         const struct login_approval *a),
                             void *cls)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_AP_PENDING, tenant_id, account_id);
    struct login_approval a;
    enum sv_qs qs;

    sv_stmt_int(st, 3, now);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        approval_read(st, &a);
        row(cls, &a);
    }
    return qs;
}

enum sv_qs
login_store_approval_scanned(struct sv_dbc *c, const char *tenant_id,
                             const char *id, const char *device_id)
{
    return sv_db_exec_ttt(c, &Q_AP_SCANNED, tenant_id, id, device_id);
}

enum sv_qs
login_store_approval_decide(struct sv_dbc *c, const char *tenant_id,
                            const char *id, const char *state,
                            const char *device_id, int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_AP_DECIDE, tenant_id, id);
    sv_stmt_text(st, 3, state);
    sv_stmt_text(st, 4, device_id);
    sv_stmt_int(st, 5, now);
    return sv_stmt_exec(st);
}
