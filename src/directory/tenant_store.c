#include "directory/tenant_store.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"

#define TCOLS                                                                  \
    "id, slug, name, password_policy, password_min_score, created_at, "        \
    "require_mfa, phone_region, mask_phones, phone_reveals_per_day"

SV_SQL(Q_BY_SLUG, "tenant_find_by_slug",
       "SELECT " TCOLS " FROM tenants WHERE slug = $1", SV_SQL_PLATFORM);
SV_SQL(Q_BY_ID, "tenant_find", "SELECT " TCOLS " FROM tenants WHERE id = $1",
       SV_SQL_PLATFORM);
SV_SQL(Q_LIST, "tenant_list", "SELECT " TCOLS " FROM tenants ORDER BY slug",
       SV_SQL_PLATFORM);
SV_SQL(Q_INSERT, "tenant_insert",
       "INSERT INTO tenants (id, slug, name, password_policy, "
       "password_min_score, created_at) VALUES ($1, $2, $3, $4, $5, $6) "
       "ON CONFLICT (slug) DO NOTHING",
       SV_SQL_PLATFORM);
SV_SQL(Q_SET_POLICY, "tenant_set_policy",
       "UPDATE tenants SET require_mfa = $2, password_policy = $3, "
       "password_min_score = $4, phone_region = $5, mask_phones = $6, "
       "phone_reveals_per_day = $7 WHERE id = $1",
       SV_SQL_PLATFORM);
SV_SQL(Q_INSERT_KEY, "tenant_key_insert",
       "INSERT INTO tenant_keys (tenant_id, version, wrapped, created_at) "
       "VALUES ($1, $2, $3, $4)",
       0);
SV_SQL(Q_FIND_KEY, "tenant_key_find",
       "SELECT k.version, k.wrapped, t.index_key FROM tenant_keys k "
       "JOIN tenants t ON t.id = k.tenant_id WHERE k.tenant_id = $1 "
       "AND ($2 = 0 OR k.version = $2) AND k.retired_at IS NULL "
       "ORDER BY k.version DESC LIMIT 1",
       0);
/* The version a write seals with. On PostgreSQL the row stays share-locked
 * until the writer's transaction ends, so the fence of a re-sealing job
 * (keys_store.c) waits for every writer that may still commit a value
 * under an older version (SQLite's writers are serial). */
#define NEWEST_KEY                                                             \
    "SELECT version FROM tenant_keys WHERE tenant_id = $1 "                    \
    "AND retired_at IS NULL ORDER BY version DESC LIMIT 1"
SV_SQL_PG(Q_NEWEST_KEY, "tenant_key_newest", NEWEST_KEY,
          NEWEST_KEY " FOR KEY SHARE", 0);
SV_SQL(Q_NO_INDEX_KEY, "tenant_without_index_key",
       "SELECT id FROM tenants WHERE index_key IS NULL ORDER BY id",
       SV_SQL_PLATFORM);
SV_SQL(Q_SET_INDEX_KEY, "tenant_set_index_key",
       "UPDATE tenants SET index_key = $2 WHERE id = $1 AND index_key IS NULL",
       SV_SQL_PLATFORM);

static void
read_tenant(struct sv_stmt *st, struct sv_tenant *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->id, sizeof t->id, "%s", sv_stmt_col_text(st, 0));
    snprintf(t->slug, sizeof t->slug, "%s", sv_stmt_col_text(st, 1));
    snprintf(t->name, sizeof t->name, "%s", sv_stmt_col_text(st, 2));
    t->policy.kind = strcmp(sv_stmt_col_text(st, 3), "nist") == 0
                         ? SV_PWPOL_NIST
                         : SV_PWPOL_DEFAULT;
    t->policy.min_score = (int)sv_stmt_col_int(st, 4);
    t->created_at = sv_stmt_col_int(st, 5);
    t->require_mfa = sv_stmt_col_int(st, 6) != 0;
    snprintf(t->phone_region, sizeof t->phone_region, "%s",
             sv_stmt_col_text(st, 7));
    t->mask_phones = sv_stmt_col_int(st, 8) != 0;
    t->phone_reveals_per_day = (int)sv_stmt_col_int(st, 9);
}

static enum sv_qs
find_one(struct sv_dbc *c, const struct sv_sql *q, const char *arg,
         struct sv_tenant *out)
{
    struct sv_stmt *st = sv_db_stmt(c, q);
    enum sv_qs qs;

    sv_stmt_text(st, 1, arg);
    qs = sv_stmt_step(st);
    if (qs == SV_QS_ONE)
        read_tenant(st, out);
    return qs;
}

enum sv_qs
tenant_store_find_by_slug(struct sv_dbc *c, const char *slug,
                          struct sv_tenant *out)
{
    return find_one(c, &Q_BY_SLUG, slug, out);
}

enum sv_qs
tenant_store_find(struct sv_dbc *c, const char *id, struct sv_tenant *out)
{
    return find_one(c, &Q_BY_ID, id, out);
}

enum sv_qs
tenant_store_list(struct sv_dbc *c, sv_tenant_row_fn row, void *cls)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_LIST);
    struct sv_tenant t;
    enum sv_qs qs;

    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        read_tenant(st, &t);
        row(cls, &t);
    }
    return qs;
}

enum sv_qs
tenant_store_insert(struct sv_dbc *c, const struct sv_tenant *t)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_INSERT, t->id, t->slug);
    sv_stmt_text(st, 3, t->name);
    sv_stmt_text(st, 4, sv_policy_kind_name(t->policy.kind));
    sv_stmt_int(st, 5, t->policy.min_score);
    sv_stmt_int(st, 6, t->created_at);
    return sv_stmt_exec(st);
}

enum sv_qs
tenant_store_set_policy(struct sv_dbc *c, const struct sv_tenant *t)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_SET_POLICY);
    sv_stmt_text(st, 1, t->id);
    sv_stmt_int(st, 2, t->require_mfa ? 1 : 0);
    sv_stmt_text(st, 3, sv_policy_kind_name(t->policy.kind));
    sv_stmt_int(st, 4, t->policy.min_score);
    sv_stmt_text(st, 5, t->phone_region[0] ? t->phone_region : "CN");
    sv_stmt_int(st, 6, t->mask_phones ? 1 : 0);
    sv_stmt_int(st, 7, t->phone_reveals_per_day);
    return sv_stmt_exec(st);
}

enum sv_qs
tenant_store_insert_key(struct sv_dbc *c, const char *tenant_id,
                        uint32_t version, const uint8_t *wrapped, size_t len)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_INSERT_KEY);
    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_int(st, 2, version);
    sv_stmt_blob(st, 3, wrapped, len);
    sv_stmt_int(st, 4, sv_now_ms());
    return sv_stmt_exec(st);
}

enum sv_qs
tenant_store_find_key(struct sv_dbc *c, const char *tenant_id, uint32_t version,
                      struct tenant_store_key *out)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_FIND_KEY);
    enum sv_qs qs;
    const void *p;
    size_t n;

    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_int(st, 2, version);
    qs = sv_stmt_step(st);
    if (qs != SV_QS_ONE)
        return qs;
    out->version = (uint32_t)sv_stmt_col_int(st, 0);
    p = sv_stmt_col_blob(st, 1, &n);
    if (n > SV_WRAPPED_KEK_MAX)
        return SV_QS_HARD;
    memcpy(out->wrapped, p, n);
    out->wrapped_len = n;
    out->index_len = 0;
    if (!sv_stmt_col_null(st, 2)) {
        p = sv_stmt_col_blob(st, 2, &n);
        if (n > SV_WRAPPED_KEK_MAX)
            return SV_QS_HARD;
        memcpy(out->index_wrapped, p, n);
        out->index_len = n;
    }
    return SV_QS_ONE;
}

enum sv_qs
tenant_store_newest_key(struct sv_dbc *c, const char *tenant_id,
                        uint32_t *version)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_NEWEST_KEY);
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    qs = sv_stmt_step(st);
    if (qs != SV_QS_ONE)
        return qs;
    *version = (uint32_t)sv_stmt_col_int(st, 0);
    return SV_QS_ONE;
}

enum sv_qs
tenant_store_without_index_key(struct sv_dbc *c,
                               void (*row)(void *, const char *), void *cls)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_NO_INDEX_KEY);
    enum sv_qs qs;

    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        row(cls, sv_stmt_col_text(st, 0));
    return qs;
}

enum sv_qs
tenant_store_set_index_key(struct sv_dbc *c, const char *tenant_id,
                           const uint8_t *wrapped, size_t len)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_SET_INDEX_KEY);
    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_blob(st, 2, wrapped, len);
    return sv_stmt_exec(st);
}
