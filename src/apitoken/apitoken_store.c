/* The SQL of API tokens: see apitoken_store.h. */
#include "apitoken/apitoken_store.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"

#define TCOLS                                                                  \
    "t.id, t.name, t.scope, t.created_by, a.username, t.created_at, "          \
    "t.expires_at, t.last_used_at, t.revoked_at"
#define TJOIN                                                                  \
    "FROM api_tokens t JOIN accounts a ON a.tenant_id = t.tenant_id "          \
    "AND a.id = t.created_by "
/* Live: not revoked, not expired at $N. */
#define LIVE(n)                                                                \
    "t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > " n ") "

SV_SQL(Q_TOKEN_INSERT, "api_token_insert",
       "INSERT INTO api_tokens (tenant_id, id, name, name_key, token_hash, "
       "scope, created_by, created_at, expires_at) "
       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
       0);
SV_SQL(Q_TOKEN_NAME_TAKEN, "api_token_name_taken",
       "SELECT t.id FROM api_tokens t WHERE t.tenant_id = $1 "
       "AND t.name_key = $2",
       0);
SV_SQL(Q_TOKEN_LIVE_COUNT, "api_token_live_count",
       "SELECT COUNT(*) FROM api_tokens t WHERE t.tenant_id = $1 "
       "AND " LIVE("$2"),
       0);
SV_SQL(Q_TOKEN_FIND, "api_token_find",
       "SELECT " TCOLS " " TJOIN "WHERE t.tenant_id = $1 AND t.id = $2", 0);
SV_SQL(Q_TOKEN_REVOKE, "api_token_revoke",
       "UPDATE api_tokens SET revoked_at = $3 WHERE tenant_id = $1 "
       "AND id = $2 AND revoked_at IS NULL",
       0);
SV_SQL(Q_TOKEN_LIST, "api_token_list",
       "SELECT " TCOLS " " TJOIN "WHERE t.tenant_id = $1 "
       "ORDER BY t.created_at DESC, t.id DESC LIMIT 200",
       0);
SV_SQL(Q_TOKEN_MADE_BY, "api_token_made_by",
       "SELECT " TCOLS " " TJOIN "WHERE t.tenant_id = $1 "
       "AND t.created_by = $2 AND " LIVE("$3") "ORDER BY t.id",
       0);
/* Looked up by the token's hash before any tenant is known (as a
 * session): its maker enabled. */
SV_SQL(Q_TOKEN_RESOLVE, "api_token_resolve",
       "SELECT " TCOLS ", t.tenant_id " TJOIN
       "WHERE t.token_hash = $1 AND a.disabled_at IS NULL AND " LIVE("$2"),
       SV_SQL_PLATFORM);
SV_SQL(Q_TOKEN_TOUCH, "api_token_touch",
       "UPDATE api_tokens SET last_used_at = $3 WHERE tenant_id = $1 "
       "AND id = $2",
       0);

static void
read_token(struct sv_stmt *st, struct sv_api_token *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->id, sizeof t->id, "%s", sv_stmt_col_text(st, 0));
    snprintf(t->name, sizeof t->name, "%s", sv_stmt_col_text(st, 1));
    snprintf(t->scope, sizeof t->scope, "%s", sv_stmt_col_text(st, 2));
    snprintf(t->created_by, sizeof t->created_by, "%s",
             sv_stmt_col_text(st, 3));
    snprintf(t->created_by_name, sizeof t->created_by_name, "%s",
             sv_stmt_col_text(st, 4));
    t->created_at = sv_stmt_col_int(st, 5);
    t->expires_at = sv_stmt_col_null(st, 6) ? 0 : sv_stmt_col_int(st, 6);
    t->last_used_at = sv_stmt_col_null(st, 7) ? 0 : sv_stmt_col_int(st, 7);
    t->revoked_at = sv_stmt_col_null(st, 8) ? 0 : sv_stmt_col_int(st, 8);
}

enum sv_qs
apitoken_store_insert(struct sv_dbc *c, const char *tenant_id,
                      const struct sv_api_token *t, const char *key,
                      const uint8_t hash[32])
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_TOKEN_INSERT, tenant_id, t->id);
    sv_stmt_text(st, 3, t->name);
    sv_stmt_text(st, 4, key);
    sv_stmt_blob(st, 5, hash, 32);
    sv_stmt_text(st, 6, t->scope);
    sv_stmt_text(st, 7, t->created_by);
    sv_stmt_int(st, 8, t->created_at);
    if (t->expires_at > 0)
        sv_stmt_int(st, 9, t->expires_at);
    else
        sv_stmt_null(st, 9);
    return sv_stmt_exec(st);
}

enum sv_qs
apitoken_store_name_taken(struct sv_dbc *c, const char *tenant_id,
                          const char *key)
{
    return sv_stmt_step(sv_db_stmt2(c, &Q_TOKEN_NAME_TAKEN, tenant_id, key));
}

enum sv_qs
apitoken_store_live_count(struct sv_dbc *c, const char *tenant_id, int64_t now,
                          int64_t *out)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_TOKEN_LIVE_COUNT);
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_int(st, 2, now);
    qs = sv_stmt_step(st);
    *out = qs == SV_QS_ONE ? sv_stmt_col_int(st, 0) : 0;
    return qs;
}

enum sv_qs
apitoken_store_find(struct sv_dbc *c, const char *tenant_id, const char *id,
                    struct sv_api_token *out)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_TOKEN_FIND, tenant_id, id);
    enum sv_qs qs = sv_stmt_step(st);
    if (qs == SV_QS_ONE)
        read_token(st, out);
    return qs;
}

enum sv_qs
apitoken_store_revoke(struct sv_dbc *c, const char *tenant_id, const char *id,
                      int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_TOKEN_REVOKE, tenant_id, id);
    sv_stmt_int(st, 3, now);
    return sv_stmt_exec(st);
}

static enum sv_qs
each_token(struct sv_stmt *st, sv_api_token_row_fn row, void *cls)
{
    struct sv_api_token t;
    enum sv_qs qs;
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        read_token(st, &t);
        row(cls, &t);
    }
    return qs;
}

enum sv_qs
apitoken_store_list(struct sv_dbc *c, const char *tenant_id,
                    sv_api_token_row_fn row, void *cls)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_TOKEN_LIST);
    sv_stmt_text(st, 1, tenant_id);
    return each_token(st, row, cls);
}

enum sv_qs
apitoken_store_made_by(struct sv_dbc *c, const char *tenant_id,
                       const char *account_id, int64_t now,
                       sv_api_token_row_fn row, void *cls)
{
    struct sv_stmt *st =
        sv_db_stmt2(c, &Q_TOKEN_MADE_BY, tenant_id, account_id);
    sv_stmt_int(st, 3, now);
    return each_token(st, row, cls);
}

enum sv_qs
apitoken_store_resolve(struct sv_dbc *c, const uint8_t hash[32], int64_t now,
                       struct sv_api_token *out, char *tenant_id)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_TOKEN_RESOLVE);
    enum sv_qs qs;

    sv_stmt_blob(st, 1, hash, 32);
    sv_stmt_int(st, 2, now);
    qs = sv_stmt_step(st);
    if (qs == SV_QS_ONE) {
        read_token(st, out);
        snprintf(tenant_id, 37, "%s", sv_stmt_col_text(st, 9));
    }
    return qs;
}

enum sv_qs
apitoken_store_touch(struct sv_dbc *c, const char *tenant_id, const char *id,
                     int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_TOKEN_TOUCH, tenant_id, id);
    sv_stmt_int(st, 3, now);
    return sv_stmt_exec(st);
}
